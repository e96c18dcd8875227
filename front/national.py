"""The national secretariat's pages: calls and their committees, the selection, the decisions."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import action_label
from core.formats import plural as french_plural
from core.models import Call, Dossier
from core.permissions import Access
from core.reading import shown_on, shown_opinion
from core.selection_rules import rule_checks
from core.services.calls import SetupRefused, call_advance, call_save, committee_create, committee_member_add
from core.services.dashboards import dashboard
from core.services.decisions import (
    DecisionRefused,
    amount_warnings,
    decidable,
    decision_clear,
    decision_record,
    decisions_notify,
    decisions_record_many,
)
from core.services.joint_opinions import published_projects
from core.services.selection import selection, selection_page
from core.workflow import CALL_STEPS, allows, available, blocked, guard, guard_who
from front import confirmations
from front.call_forms import CallForm, CommitteeForm, DecideManyForm, DecisionForm, MemberForm
from front.fields import Form


def _national(request: HttpRequest) -> Access:
    """The secretariat, and observers of the whole programme, read the national pages."""
    access = Access(request.user)
    if not access.is_national:
        raise PermissionDenied("Réservé au secrétariat national et aux observateurs nationaux.")
    return access


def _call_or_404(pk: int) -> Call:
    call = Call.objects.filter(pk=pk).first()
    if call is None:
        raise Http404("Appel introuvable.")
    return call


@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    access = _national(request)
    calls = Call.objects.all()
    return render(
        request,
        "front/call_list.html",
        {"title": "Appels à projets", "calls": calls, "can_create": allows(access, "call.create", Call())},
    )


@login_required
def call_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    access = Access(request.user)
    call = _call_or_404(pk) if pk else None
    guard(access, "call.edit" if call else "call.create", call or Call())
    form = CallForm(request.POST or None, instance=call)
    if request.method == "POST" and form.is_valid():
        try:
            saved = call_save(call=call, values=form.cleaned_data, by=request.user)
        except SetupRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Appel « {saved} » enregistré.")
            return redirect("call_detail", pk=saved.pk)
    title = f"Modifier « {call} »" if call else "Nouvel appel à projets"
    return render(
        request,
        "front/call_form.html",
        {"title": title, "form": form, "call": call},
        status=400 if form.errors else 200,
    )


@login_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = _national(request)
    call = _call_or_404(pk)
    committees = list(
        call.committees.select_related("call")
        .prefetch_related("seats")
        .prefetch_related("memberships__user", "memberships__organisation")
    )
    for committee in committees:
        committee.actions = available(access, committee) & {"committee.add_member"}
    actions = available(access, call)
    step = CALL_STEPS.get(call.status)
    next_step = confirmations.call_step(call, step) if step is not None and step.qualified in actions else None
    grants = confirmations.grants_publication(call) if "call.publish_grants" in actions else None
    return render(
        request,
        "front/call_detail.html",
        {
            "title": str(call),
            "call": call,
            "committees": committees,
            "actions": actions,
            "next_step": next_step,
            "grants": grants,
            # The call's own trail: its status, settings, committees and their members.
            "trail": [
                (event, action_label(event.action))
                for event in call.audit_events.filter(dossier=None).select_related("by")[:50]
            ],
            "committee_form": CommitteeForm(),
            "member_forms": {c.pk: MemberForm(committee=c) for c in committees if c.actions},
        },
    )


def _refusable(request: HttpRequest, action, success: str) -> None:
    try:
        action()
    except (SetupRefused, DecisionRefused) as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, success)


@require_http_methods(["GET", "POST"])
@login_required
def call_advance_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation of the step, without JavaScript; POST: the step."""
    access = Access(request.user)
    call = _call_or_404(pk)
    to_status = (request.POST if request.method == "POST" else request.GET).get("status", "")
    if to_status not in Call.Status.values:
        raise Http404("Statut inconnu.")
    # The step that leads to the status asked: the workflow refuses it (403) to whoever may not take it, and from any
    # other status than its own. None leads back to preparation: whoever may take a step is told so by the service.
    step = next((a for a in CALL_STEPS.values() if a.target == to_status), None)
    if step is not None:
        guard(access, step.qualified, call)
    else:
        guard_who(access, "call.open")
    if request.method == "GET":
        if step is None:
            raise Http404("Étape inconnue.")
        return confirmations.confirmation_page(request, confirmations.call_step(call, step))
    _refusable(
        request,
        lambda: call_advance(call=call, to_status=to_status, by=request.user),
        f"L'appel est maintenant « {Call.Status(to_status).label} ».",
    )
    return redirect("call_detail", pk=call.pk)


@require_POST
@login_required
def committee_new(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call_or_404(pk)
    guard(Access(request.user), "call.add_committee", call)
    form = CommitteeForm(request.POST)
    if form.is_valid():
        _refusable(
            request, lambda: committee_create(call=call, by=request.user, **form.cleaned_data), "Comité régional créé."
        )
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("call_detail", pk=call.pk)


@require_POST
@login_required
def member_new(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    committee = access.committee_or_404(pk)
    guard(access, "committee.add_member", committee)
    form = MemberForm(request.POST, committee=committee)
    if form.is_valid():
        user = form.cleaned_data["username"]
        _refusable(
            request,
            lambda: committee_member_add(
                committee=committee, user=user, institution=form.institution_chosen(), by=request.user
            ),
            f"{user.get_full_name() or user} est membre du comité {committee.name}.",
        )
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("call_detail", pk=committee.call_id)


class SelectionFilter(Form):
    comite = forms.TypedChoiceField(label="Comité régional", coerce=int, required=False)


@login_required
def call_selection(request: HttpRequest, pk: int) -> HttpResponse:
    access = _national(request)
    call = _call_or_404(pk)
    result = selection(call, access)
    regions = {region.committee.pk: region.committee for region in result.regions}
    filters = SelectionFilter(request.GET or None)
    filters.fields["comite"].choices = [("", "Tous"), *((pk, committee.name) for pk, committee in regions.items())]
    chosen = regions.get(filters.cleaned_data["comite"]) if filters.is_valid() else None
    page = selection_page(call, access, result, chosen, request.GET.get("page"))
    shown_on(access, page)
    for dossier in page:
        dossier.can_decide = allows(access, "decision.record", dossier)
    actions = available(access, call)
    # The rules read the decisions recorded, notified or not: only for who reads those.
    rules = rule_checks(call) if access.reads_recorded_decisions else []
    return render(
        request,
        "front/selection.html",
        {
            "title": f"Sélection nationale — {call}",
            "call": call,
            "selection": result,
            "filters": filters,
            "page": page,
            "actions": actions,
            "notification": confirmations.notification(call) if "call.notify_decisions" in actions else None,
            "notify_blocked": blocked(access, "call.notify_decisions", call) if any(r.refuses for r in rules) else None,
            "rules": rules,
            "reads_recorded": access.reads_recorded_decisions,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def call_decide_many(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the dossiers a decision would apply to, each checked, with its amount and alerts; POST: the decisions, for
    the dossiers left checked, in one transaction."""
    access = _national(request)
    call = _call_or_404(pk)
    guard(access, "call.decide_many", call)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = DecideManyForm(data, call=call, decidable=decidable(access, call), access=access)
    if form.is_bound and form.is_valid() and request.method == "POST":
        chosen = form.chosen()
        if not chosen:
            form.add_error("dossiers", "Cochez au moins un dossier.")
        elif any(dossier.warnings for dossier in chosen) and not form.cleaned_data["confirmed"]:
            form.add_error("confirmed", "Des montants sont à vérifier : cochez la case pour les confirmer.")
        else:
            try:
                recorded = decisions_record_many(
                    call=call,
                    dossier_ids=[dossier.pk for dossier in chosen],
                    outcome=form.cleaned_data["outcome"],
                    amount=form.cleaned_data["amount"],
                    conditions=form.cleaned_data["conditions"],
                    by=request.user,
                )
            except DecisionRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                plural = french_plural(len(recorded))
                messages.success(request, f"{len(recorded)} décision{plural} enregistrée{plural} (à notifier).")
                return redirect("call_selection", pk=call.pk)
    return render(
        request,
        "front/decide_many.html",
        {
            "title": f"Décisions groupées — {call}",
            "call": call,
            "form": form,
            "rows": form.rows,
            # Every row at first; then those the user left checked.
            "checked": {d.pk for d in (form.chosen() if request.method == "POST" and form.rows else form.rows)},
            "kept": ("comite", "avis", "outcome", "amount", "conditions"),
            "warned": any(dossier.warnings for dossier in form.rows),
        },
        status=400 if form.errors else 200,
    )


@login_required
def decision_edit(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = access.dossier_or_404(pk)
    guard(access, "decision.record", dossier)
    decision = getattr(dossier, "decision", None)
    initial = (
        {"outcome": decision.outcome, "amount_granted": decision.amount_granted, "conditions": decision.conditions}
        if decision
        else {}
    )
    form = DecisionForm(request.POST or None, initial=initial, dossier=dossier)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in ("outcome", "amount_granted", "conditions")}
        try:
            decision_record(dossier=dossier, by=request.user, **values)
        except DecisionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Décision enregistrée pour le projet N°{dossier.number} (à notifier).")
            # Back to the list of decisions the user came from: the committee's, on a regional decision's call.
            if dossier.call.process == Call.Process.REGIONAL:
                return redirect("committee_detail", pk=dossier.committee_id)
            return redirect("call_selection", pk=dossier.call_id)
    return render(
        request,
        "front/decision_form.html",
        {
            "title": f"Décision — {dossier.title}",
            "dossier": dossier,
            "form": form,
            # What the decision is made on: the opinion as this reader reads it, the amount asked, the call's cap.
            "opinion": shown_opinion(access, dossier, published_projects({dossier.committee_id}))[0],
            "warnings": form.warnings if form.is_bound else amount_warnings(dossier, initial.get("amount_granted")),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def decision_clear_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = access.dossier_or_404(pk)
    guard(access, "decision.clear", dossier)
    decision_clear(dossier=dossier, by=request.user)
    messages.success(request, f"Décision effacée : le projet N°{dossier.number} et son avis ne sont plus figés.")
    return redirect("dossier_detail", pk=dossier.pk)


def report_each(request: HttpRequest, done: str, failed: list) -> None:
    """A call's act taken dossier by dossier: what was done, and each dossier left out, with why."""
    if done:
        messages.success(request, done)
    for dossier, reason in failed:
        messages.error(request, f"Projet N°{dossier.number} « {dossier.title} » ({dossier.committee.name}) : {reason}")


@require_http_methods(["GET", "POST"])
@login_required
def call_notify(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation, without JavaScript; POST: the notification."""
    call = _call_or_404(pk)
    guard(Access(request.user), "call.notify_decisions", call)
    if request.method == "GET":
        return confirmations.confirmation_page(request, confirmations.notification(call))
    result = decisions_notify(call=call, by=request.user)
    plural = french_plural(len(result.done))
    done = f"{len(result.done)} décision{plural} notifiée{plural} : les porteurs en sont avertis."
    report_each(request, done if result.done else "", result.failed)
    return redirect("call_selection", pk=call.pk)


ALL_CALLS = "tous"


class DashboardFilter(Form):
    appel = forms.ChoiceField(label="Appel à projets", required=False)


@login_required
def dashboard_national(request: HttpRequest) -> HttpResponse:
    """One call's figures, by default the latest with submitted dossiers (a call just opened holds only drafts,
    which no dashboard counts); the whole programme since its first call when asked."""
    access = _national(request)
    submitted = Dossier.objects.filter(call=OuterRef("pk")).exclude(state=Dossier.State.DRAFT)
    rows = list(Call.objects.annotate(submitted=Exists(submitted)).values_list("pk", "title", "submitted"))
    calls = {str(pk): title for pk, title, _ in rows}
    latest = next((str(pk) for pk, _, has_submitted in rows if has_submitted), next(iter(calls), ALL_CALLS))
    filters = DashboardFilter(request.GET or None, initial={"appel": latest})
    filters.fields["appel"].choices = [*calls.items(), (ALL_CALLS, "Tous les appels")]
    chosen = filters.cleaned_data["appel"] if filters.is_valid() else ""
    if not chosen:
        chosen = latest
        if filters.is_bound:
            # The list shows the call the page shows; the field's error, if any, says why.
            filters.data = filters.data.copy()
            filters.data["appel"] = chosen
    dossiers = access.dossiers().exclude(state=Dossier.State.DRAFT)
    if chosen != ALL_CALLS:
        dossiers = dossiers.filter(call_id=int(chosen))
    title = f"Tableau de bord national — {calls.get(chosen, 'tous les appels')}"
    return _dashboard(request, access, title, dossiers, filters)


@login_required
def dashboard_committee(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    committee = access.committee_or_404(pk)
    dossiers = access.dossiers().filter(committee=committee).exclude(state=Dossier.State.DRAFT)
    return _dashboard(request, access, f"Tableau de bord — {committee.name} — {committee.call.title}", dossiers)


def _dashboard(
    request: HttpRequest, access: Access, title: str, dossiers, filters: forms.Form | None = None
) -> HttpResponse:
    count, charts = dashboard(dossiers, access)
    return render(
        request, "front/dashboard.html", {"title": title, "charts": charts, "count": count, "filters": filters}
    )
