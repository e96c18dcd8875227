from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, Value, When
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.models import ArchiveImport, Call, Dossier, Invitation, Membership, Organisation, Rank, Verdict
from core.paging import page_of
from core.permissions import Access
from core.reading import shown_opinion, with_shown
from core.selection_rules import rule_checks
from core.services.decisions import decisions_notify
from core.services.joint_opinions import (
    Check,
    PublicationRefused,
    joint_opinion_publish,
    publication_checks,
    published_projects,
)
from core.workflow import allows, blocked, guard, takes, where
from documents.joint_opinion_content import joint_opinion_context
from front.confirmations import confirmation_page, notification, publication
from front.fields import Form
from front.national import report_each

PER_PAGE = 50


def _state_label_order() -> Case:
    """States sorted by their French label, as the table shows them."""
    labels = sorted(Dossier.State.choices, key=lambda choice: choice[1])
    return Case(*[When(state=code, then=Value(i)) for i, (code, _) in enumerate(labels)], output_field=IntegerField())


SORTS = {
    "numero": lambda: ["number"],
    "projet": lambda: [Lower("title"), "number"],
    "bailleur": lambda: [Lower("lead_landlord__name"), "number"],
    "etat": lambda: [_state_label_order(), "number"],
}


class DossierFilters(Form):
    etat = forms.ChoiceField(label="État", choices=[("", "Tous"), *Dossier.State.choices], required=False)
    bailleur = forms.ModelChoiceField(
        label="Bailleur social", queryset=Organisation.objects.none(), required=False, empty_label="Tous"
    )
    avis = forms.ChoiceField(label="Avis", choices=[("", "Tous"), *Verdict.choices], required=False)
    rang = forms.ChoiceField(
        label="Rang", choices=[("", "Tous"), *Rank.choices, ("aucun", "Non retenu")], required=False
    )
    tri = forms.ChoiceField(
        label="Trier par",
        choices=[("numero", "Numéro"), ("projet", "Projet"), ("bailleur", "Bailleur"), ("etat", "État")],
        required=False,
    )


def _filtered(dossiers, chosen: dict):
    """Verdicts and ranks are filtered on what this user may read (with_shown), so that a filter reveals no
    hidden opinion."""
    if chosen.get("etat"):
        dossiers = dossiers.filter(state=chosen["etat"])
    if chosen.get("bailleur"):
        dossiers = dossiers.filter(lead_landlord=chosen["bailleur"])
    if chosen.get("avis"):
        dossiers = dossiers.filter(shown_verdict=chosen["avis"])
    if chosen.get("rang") == "aucun":
        dossiers = dossiers.filter(shown_verdict__isnull=False, shown_rank="")
    elif chosen.get("rang"):
        dossiers = dossiers.filter(shown_rank=chosen["rang"])
    return dossiers


def _counts(dossiers) -> tuple[int, list, list]:
    """The total, and the counts by state and by readable verdict, in one query whatever the committee's size."""
    by_state: dict[str, int] = {}
    by_verdict: dict[str, int] = {}
    total = 0
    grouped = dossiers.order_by().values("state", "shown_verdict").annotate(n=Count("pk"))
    for row in grouped:
        total += row["n"]
        state = Dossier.State(row["state"]).label
        by_state[state] = by_state.get(state, 0) + row["n"]
        if row["shown_verdict"] is not None:
            verdict = Verdict(row["shown_verdict"]).label if row["shown_verdict"] else "Avis non rendu"
            by_verdict[verdict] = by_verdict.get(verdict, 0) + row["n"]
    return total, sorted(by_state.items()), sorted(by_verdict.items())


@login_required
def committee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    committee = access.committee_or_404(pk)
    dossiers = access.dossiers().filter(committee=committee)
    published = None if access.reads_every_draft(committee.pk) else published_projects([committee.pk])
    dossiers = with_shown(access, dossiers, published)

    filters = DossierFilters(request.GET or None)
    landlords = Organisation.objects.filter(pk__in=dossiers.values("lead_landlord_id")).order_by("name")
    filters.fields["bailleur"].queryset = landlords
    # Read once: the template's loop over a queryset's choices would count them first, then read them.
    filters.fields["bailleur"].choices = [("", "Tous"), *landlords.values_list("pk", "name")]
    chosen = filters.cleaned_data if filters.is_valid() else {}
    total, by_state, by_verdict = _counts(dossiers)
    filtered = _filtered(dossiers, chosen)
    page = page_of(
        filtered.order_by(*SORTS[chosen.get("tri") or "numero"]()),
        dossiers.select_related("lead_landlord", "opinion"),
        PER_PAGE,
        request.GET.get("page"),
        # Unfiltered, the list holds every dossier counted above.
        count=total if filtered is dossiers else None,
    )
    for dossier in page:
        dossier.shown_opinion, dossier.hidden_reason = shown_opinion(
            access, dossier, published or {}, dossier.reads_draft
        )

    regional = committee.call.process == Call.Process.REGIONAL
    # The rules read the committee's decisions recorded, notified or not: only for those who decide them.
    decides = regional and takes(access, "committee.notify_decisions", committee)
    rules = rule_checks(committee.call, committee) if decides else []
    # On a call with a departmental pre-instruction, its co-chairs invite the departments' instructors from here.
    instructor = Invitation(role=Membership.Role.DEPARTMENTAL_INSTRUCTOR, committee=committee)
    invites = committee.call.departmental_preinstruction and allows(access, "invitation.send", instructor)
    return render(
        request,
        "front/committee_detail.html",
        {
            "title": f"{committee.name} — {committee.call.title}",
            "committee": committee,
            "invites_instructors": invites,
            # On a regional decision's call, the committee decides: the dossiers this user may decide on now.
            "to_decide": (
                Dossier.objects.filter(where(access, "decision.record"), committee=committee)
                .select_related("decision")
                .order_by("number")
                if regional
                else []
            ),
            "notification": (
                notification(committee) if allows(access, "committee.notify_decisions", committee) else None
            ),
            "rules": rules,
            "notify_blocked": (
                blocked(access, "committee.notify_decisions", committee) if any(r.refuses for r in rules) else None
            ),
            "filters": filters,
            "page": page,
            "total": total,
            "by_state": by_state,
            "by_verdict": by_verdict,
            "can_read_drafts": access.can_read_committee_drafts(committee),
            "can_export": allows(access, "committee.export", committee),
            "versions": committee.joint_opinions.select_related("published_by")
            .defer("content", "source_text")
            .order_by("-version"),
            # The files of the past avis conjoints imported into it: the committee's archive.
            "archives": ArchiveImport.objects.filter(where(access, "import.download"), committee=committee)
            .select_related("uploaded_by")
            .defer("document", "text")
            .order_by("-finished_at"),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def committee_notify(request: HttpRequest, pk: int) -> HttpResponse:
    """On a regional decision's call, the committee notifies its decisions. GET: the confirmation, without JavaScript;
    POST: the notification, dossier by dossier."""
    access = Access(request.user)
    committee = access.committee_or_404(pk)
    guard(access, "committee.notify_decisions", committee)
    if request.method == "GET":
        return confirmation_page(request, notification(committee))
    result = decisions_notify(committee=committee, by=request.user)
    plural = "s" if len(result.done) > 1 else ""
    done = f"{len(result.done)} décision{plural} notifiée{plural} : les porteurs en sont avertis."
    report_each(request, done if result.done else "", result.failed)
    return redirect("committee_detail", pk=committee.pk)


@login_required
def committee_publication(request: HttpRequest, pk: int) -> HttpResponse:
    """What stands in the way of publishing the avis conjoint: checked on every dossier, so on a page of its own."""
    access = Access(request.user)
    committee = access.committee_or_404(pk)
    if not access.can_read_committee_drafts(committee):
        raise PermissionDenied("Réservé aux membres du comité et au secrétariat national.")
    checks = publication_checks(committee)
    can_publish = allows(access, "committee.publish", committee)
    blocking = sum(check.blocking for check in checks)
    return render(
        request,
        "front/committee_publication.html",
        {
            "title": f"Publication de l'avis conjoint — {committee.name}",
            "committee": committee,
            "checks": readable_checks(access, checks),
            "can_publish": can_publish,
            # Counted on every check, those a member in conflict does not read included: publishing would be refused.
            "blocking": blocking,
            "confirmation": publication(committee, _next_version(committee)) if can_publish and not blocking else None,
        },
    )


def _next_version(committee) -> int:
    last = committee.joint_opinions.order_by("-version").values_list("version", flat=True).first()
    return (last or 0) + 1


def readable_checks(access: Access, checks: list[Check]) -> list[Check]:
    """The checks, except what they would tell a member in conflict about the drafts it may not read."""
    readable, hidden = [], {}
    for check in checks:
        if check.dossier is not None and not access.can_read_opinion_draft(check.dossier):
            hidden[check.dossier.pk] = check.dossier
        else:
            readable.append(check)
    return readable + [
        Check(f"Projet N°{d.number} : en conflit d'intérêts, vous ne voyez pas l'état de cet avis.", blocking=False)
        for d in hidden.values()
    ]


@require_http_methods(["GET", "POST"])
@login_required
def committee_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation, without JavaScript (the checks' page while one blocks); POST: the publication."""
    access = Access(request.user)
    committee = access.committee_or_404(pk)
    guard(access, "committee.publish", committee)
    if request.method == "GET":
        if any(check.blocking for check in publication_checks(committee)):
            return redirect("committee_publication", pk=committee.pk)
        return confirmation_page(request, publication(committee, _next_version(committee)))
    try:
        joint_opinion = joint_opinion_publish(committee=committee, by=request.user)
    except PublicationRefused as refusal:
        for check in readable_checks(access, refusal.checks):
            messages.error(request, check.message)
        return redirect("committee_publication", pk=committee.pk)
    messages.success(request, f"Avis conjoint publié : version {joint_opinion.version}.")
    return redirect("joint_opinion", uuid=joint_opinion.uuid)


@login_required
def joint_opinion_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    joint_opinion, projects = Access(request.user).joint_opinion_or_404(uuid)
    content = joint_opinion.content
    return render(
        request,
        "front/joint_opinion.html",
        {
            "title": f"Avis conjoint — {content['region']} — version {joint_opinion.version}",
            "joint_opinion": joint_opinion,
            **joint_opinion_context(content, committee=joint_opinion.committee, projects=projects),
        },
    )
