from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.models import Dossier, Organisation, Priority, Verdict
from core.permissions import Access
from core.reading import ShownOpinion, shown_opinion
from core.services.joint_opinions import (
    Check,
    PublicationRefused,
    joint_opinion_publish,
    publication_checks,
    published_projects,
)
from documents.avis_content import avis_context
from front.dossiers import with_relations

SORTS = {
    "numero": lambda d: d.number,
    "projet": lambda d: d.title.lower(),
    "bailleur": lambda d: (d.lead_landlord.name.lower(), d.number),
    "etat": lambda d: (d.get_state_display(), d.number),
}


class DossierFilters(forms.Form):
    etat = forms.ChoiceField(label="État", choices=[("", "Tous"), *Dossier.State.choices], required=False)
    bailleur = forms.ModelChoiceField(
        label="Bailleur social", queryset=Organisation.objects.none(), required=False, empty_label="Tous"
    )
    avis = forms.ChoiceField(label="Avis", choices=[("", "Tous"), *Verdict.choices], required=False)
    rang = forms.ChoiceField(
        label="Rang", choices=[("", "Tous"), *Priority.choices, ("aucun", "Non retenu")], required=False
    )
    tri = forms.ChoiceField(
        label="Trier par",
        choices=[("numero", "Numéro"), ("projet", "Projet"), ("bailleur", "Bailleur"), ("etat", "État")],
        required=False,
    )


def _matches(dossier: Dossier, filters: dict) -> bool:
    shown: ShownOpinion | None = dossier.shown_opinion
    if filters.get("etat") and dossier.state != filters["etat"]:
        return False
    if filters.get("bailleur") and dossier.lead_landlord_id != filters["bailleur"].pk:
        return False
    # Verdicts and ranks are filtered on what this user may read, so that a filter reveals no hidden opinion.
    if filters.get("avis") and (shown is None or shown.verdict != filters["avis"]):
        return False
    if filters.get("rang") == "aucun":
        return shown is not None and not shown.priority
    return not filters.get("rang") or (shown is not None and shown.priority == filters["rang"])


@login_required
def committee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    committee = access.committee_or_404(pk)
    dossiers = list(with_relations(access.dossiers().filter(committee=committee)))
    published = published_projects([committee.pk])
    for dossier in dossiers:
        dossier.shown_opinion, dossier.hidden_reason = shown_opinion(access, dossier, published)

    filters = DossierFilters(request.GET or None)
    filters.fields["bailleur"].queryset = Organisation.objects.filter(
        pk__in={d.lead_landlord_id for d in dossiers}
    ).order_by("name")
    chosen = filters.cleaned_data if filters.is_valid() else {}
    listed = sorted((d for d in dossiers if _matches(d, chosen)), key=SORTS[chosen.get("tri") or "numero"])

    return render(
        request,
        "front/committee_detail.html",
        {
            "title": f"{committee.name} — {committee.call.title}",
            "committee": committee,
            "filters": filters,
            "dossiers": listed,
            "total": len(dossiers),
            "by_state": _count(d.get_state_display() for d in dossiers),
            "by_verdict": _count(d.shown_opinion.verdict_label for d in dossiers if d.shown_opinion),
            "checks": readable_checks(access, publication_checks(committee))
            if access.can_read_committee_drafts(committee)
            else None,
            "can_publish": access.can_publish(committee),
            "versions": committee.joint_opinions.select_related("published_by").order_by("-version"),
        },
    )


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


def _count(labels) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return sorted(counts.items())


@require_POST
@login_required
def committee_publish(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    committee = access.committee_or_404(pk)
    if not access.can_publish(committee):
        raise PermissionDenied("Seuls les membres du comité publient son avis conjoint.")
    try:
        joint_opinion = joint_opinion_publish(committee=committee, by=request.user)
    except PublicationRefused as refusal:
        for check in readable_checks(access, refusal.checks):
            messages.error(request, check.message)
        return redirect("committee_detail", pk=committee.pk)
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
            **avis_context(content, committee=joint_opinion.committee, projects=projects),
        },
    )
