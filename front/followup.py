"""After the decision: the agreement and its payments (secretariat), the yearly reports (landlord)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.models import PaymentTranche, Report
from core.permissions import Access
from core.services.followup import (
    FollowupRefused,
    agreement_create,
    remaining,
    report_against_promise,
    report_review,
    report_save,
    tranche_pay,
)
from core.workflow import guard
from front.call_forms import AgreementForm, PaymentForm, ReviewForm, TrancheFormSet
from front.confirmations import confirmation_page, payment
from front.forms import ReportForm


def _back(dossier_pk: int, anchor: str):
    return redirect(reverse("dossier_followup", args=[dossier_pk]) + f"#{anchor}")


@login_required
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = access.dossier_or_404(pk)
    guard(access, "agreement.create", dossier)
    decision = getattr(dossier, "decision", None)
    initial = {"amount": decision.amount_granted} if decision else {}
    form = AgreementForm(request.POST or None, initial=initial)
    tranches = TrancheFormSet(request.POST or None, prefix="tranches")
    if request.method == "POST" and form.is_valid() and tranches.is_valid():
        lines = [t.cleaned_data for t in tranches if t.cleaned_data and not t.cleaned_data.get("DELETE")]
        try:
            agreement_create(dossier=dossier, tranches=lines, by=request.user, **form.cleaned_data)
        except FollowupRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, "Convention enregistrée.")
            return _back(dossier.pk, "convention")
    return render(
        request,
        "front/agreement_form.html",
        {"title": f"Convention — {dossier.title}", "dossier": dossier, "form": form, "tranches": tranches},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def tranche_paid(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation, with the date to give, without JavaScript; POST: the payment."""
    access = Access(request.user)
    tranche = PaymentTranche.objects.select_related("agreement").filter(pk=pk).first()
    if tranche is None:
        raise Http404("Tranche introuvable.")
    access.dossier_or_404(tranche.agreement.dossier_id)
    guard(access, "tranche.pay", tranche)
    if request.method == "GET":
        return confirmation_page(request, payment(tranche, remaining(tranche.agreement)))
    form = PaymentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Indiquez la date du versement.")
    else:
        try:
            tranche_pay(tranche=tranche, paid_on=form.cleaned_data["paid_on"], by=request.user)
        except FollowupRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, f"Versement de la tranche {tranche.order} enregistré.")
    return _back(tranche.agreement.dossier_id, "convention")


@login_required
def report_edit(request: HttpRequest, pk: int, year: int, final: bool = False) -> HttpResponse:
    access = Access(request.user)
    dossier = access.dossier_or_404(pk)
    report = dossier.reports.filter(year=year, is_final=final).prefetch_related("households", "spend").first()
    if report is not None:
        report.dossier = dossier
    guard(access, "report.save", report or Report(dossier=dossier, year=year, is_final=final))
    strands = list(dossier.strands.values_list("strand", flat=True).distinct().order_by("strand"))
    initial = {}
    if report:
        initial = {
            name: getattr(report, name)
            for name in ("entries_into_housing", "evictions_avoided", "transfers", "comment")
        }
        initial |= {f"households_{h.strand}": h.households for h in report.households.all()}
        initial |= {f"spend_{s.funder}": s.amount for s in report.spend.all()}
    form = ReportForm(request.POST or None, initial=initial, strands=strands)
    if request.method == "POST" and form.is_valid():
        values, households, spend = form.split()
        try:
            report_save(
                dossier=dossier,
                year=year,
                is_final=final,
                values=values,
                households=households,
                spend=spend,
                submit="transmettre" in request.POST,
                by=request.user,
            )
        except FollowupRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request, "Bilan transmis au secrétariat." if "transmettre" in request.POST else "Bilan enregistré."
            )
            return _back(dossier.pk, "bilans")
    kind = "Évaluation finale" if final else f"Bilan de l'année {year}"
    return render(
        request,
        "front/report_form.html",
        {"title": f"{kind} — {dossier.title}", "kind": kind, "dossier": dossier, "form": form, "report": report},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def report_review_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The report in full against the dossier's promise, and the secretariat's review: validate, or return it with a
    message."""
    access = Access(request.user)
    report = Report.objects.filter(pk=pk).prefetch_related("households", "spend").first()
    if report is None:
        raise Http404("Bilan introuvable.")
    report.dossier = access.dossier_or_404(report.dossier_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            raise Http404("Décision inconnue.")
        validate = form.cleaned_data["decision"] == "valider"
        guard(access, "report.validate" if validate else "report.return", report)
        try:
            report_review(report=report, validate=validate, message=form.cleaned_data["message"], by=request.user)
        except FollowupRefused as refusal:
            form.add_error("message", str(refusal))
        else:
            messages.success(request, "Bilan validé." if validate else "Bilan renvoyé au porteur.")
            return _back(report.dossier_id, "bilans")
    else:
        guard(access, "report.validate", report)
    households, spend = report_against_promise(report)
    kind = "Évaluation finale" if report.is_final else f"Bilan de l'année {report.year}"
    return render(
        request,
        "front/report_review.html",
        {
            "title": f"{kind} — {report.dossier.title}",
            "kind": kind,
            "report": report,
            "dossier": report.dossier,
            "households": households,
            "spend": spend,
            "form": form,
        },
        status=400 if form.errors else 200,
    )
