from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core import departments
from core.permissions import Access
from core.services.advisory import AdvisoryRefused, advisory_opinion_give
from core.services.departmental import department_refusal, departmental_opinion_give
from core.services.opinions import OpinionConflict, opinion_save, opinion_sign
from core.workflow import ActionRefused, guard
from front.dossiers import render_dossier
from front.forms import AdvisoryForm, DepartmentalOpinionForm, OpinionForm


def dossier_for(access: Access, pk: int, action: str):
    """The dossier (404 to whoever may not see it), if the action is available on it to this user (403 if not)."""
    dossier = access.dossier_or_404(pk)
    guard(access, action, dossier)
    return dossier


@require_POST
@login_required
def opinion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = dossier_for(access, pk, "opinion.write")
    form = OpinionForm(request.POST)
    if not form.is_valid():
        return render_dossier(request, access, dossier.pk, form=form, status=400)
    values = {name: value for name, value in form.cleaned_data.items() if name != "revision"}
    try:
        opinion = opinion_save(
            dossier=dossier, by=request.user, expected_revision=form.cleaned_data["revision"], **values
        )
    except OpinionConflict as conflict:
        # Keep this editor's text, but on the new revision: saving again is a deliberate overwrite.
        data = request.POST.copy()
        data["revision"] = conflict.current.revision if conflict.current else 0
        return render_dossier(
            request, access, dossier.pk, form=OpinionForm(data), conflict=conflict.current, status=409
        )
    messages.success(request, f"Avis enregistré (révision {opinion.revision}).")
    return redirect("dossier_detail", pk=dossier.pk)


@require_POST
@login_required
def advisory_give(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = dossier_for(access, pk, "advisory.give")
    form = AdvisoryForm(request.POST)
    if form.is_valid():
        try:
            advisory_opinion_give(dossier=dossier, text=form.cleaned_data["text"], by=request.user)
        except AdvisoryRefused as refusal:
            form.add_error("text", str(refusal))
    if not form.is_valid():
        return render_dossier(request, access, dossier.pk, advisory_form=form, status=400)
    messages.success(request, f"Avis consultatif de {access.advisory_seat_in(dossier.committee)} enregistré.")
    return redirect("dossier_detail", pk=dossier.pk)


@require_POST
@login_required
def opinion_sign_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = dossier_for(access, pk, "opinion.sign")
    opinion_sign(dossier=dossier, by=request.user)
    messages.success(request, f"Avis signé pour {access.institution_in(dossier.committee)}.")
    return redirect("dossier_detail", pk=dossier.pk)


@login_required
def departmental_opinion_edit(request: HttpRequest, pk: int, department: str) -> HttpResponse:
    """The opinion of a department's State service on the dossier, given or changed by its instructor."""
    access = Access(request.user)
    dossier = dossier_for(access, pk, "departmental.give")
    reason = department_refusal(access, dossier, department)
    if reason:
        raise ActionRefused(reason)
    opinion = dossier.departmental_opinions.filter(department=department).first()
    initial = {"verdict": opinion.verdict, "reasons": opinion.reasons} if opinion else {}
    form = DepartmentalOpinionForm(request.POST or None, initial=initial)
    name = departments.label(department)
    if request.method == "POST" and form.is_valid():
        try:
            departmental_opinion_give(dossier=dossier, department=department, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Avis de {name} enregistré : le comité régional le lit avant de signer le sien.")
            return redirect("dossier_detail", pk=dossier.pk)
    return render(
        request,
        "front/departmental_opinion_form.html",
        {"title": f"Avis départemental — {dossier.title}", "dossier": dossier, "department": name, "form": form,
         "opinion": opinion},
        status=400 if form.errors else 200,
    )  # fmt: skip
