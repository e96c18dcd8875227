from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.models import SMILEYS, BudgetLine, Dossier, DossierStrand, Priority, StateTransition, Verdict
from core.permissions import Access
from core.richtext import render_markdown
from core.services.joint_opinions import published_projects


@dataclass
class ShownOpinion:
    """The opinion as this user may read it: the committee's working copy, or the published version."""

    verdict: str
    priority: str | None
    questions: str
    remarks: str
    published_version: int | None

    @property
    def smiley(self) -> str:
        return SMILEYS.get(self.verdict, "")

    @property
    def verdict_label(self) -> str:
        return Verdict(self.verdict).label if self.verdict else "Avis non rendu"

    @property
    def questions_html(self) -> str:
        return render_markdown(self.questions)

    @property
    def remarks_html(self) -> str:
        return render_markdown(self.remarks)


def _shown_opinion(access: Access, dossier: Dossier, published: dict) -> tuple[ShownOpinion | None, str]:
    """The opinion to show, or None and the reason why not."""
    if access.can_read_opinion_draft(dossier):
        opinion = getattr(dossier, "opinion", None)
        if opinion is None:
            return None, "Le comité n'a pas encore rédigé d'avis."
        return ShownOpinion(opinion.verdict, opinion.priority, opinion.questions, opinion.remarks, None), ""
    project = published.get((dossier.committee_id, dossier.number))
    if project is not None:
        return ShownOpinion(
            project["verdict"], project["priority"], project["questions"], project["remarks"], project["version"]
        ), ""
    if dossier.committee_id in access.member_committee_ids:
        return None, (
            "Votre organisme porte ce dossier ou en est partenaire : en raison de ce conflit d'intérêts, "
            "vous ne pouvez ni consulter ni modifier l'avis du comité avant sa publication."
        )
    return None, "L'avis du comité régional n'est pas encore publié."


def _with_relations(dossiers):
    return dossiers.select_related("lead_landlord", "committee__call", "opinion").prefetch_related(
        "co_landlords", "partners"
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    access = Access(request.user)
    dossiers = list(_with_relations(access.dossiers()).order_by("-call__year", "committee__name", "number"))
    published = published_projects({d.committee_id for d in dossiers})
    committees: dict = {}
    for dossier in dossiers:
        dossier.shown_opinion, dossier.hidden_reason = _shown_opinion(access, dossier, published)
        committees.setdefault(dossier.committee, []).append(dossier)
    return render(
        request,
        "front/home.html",
        {"title": "Dossiers", "committees": committees.items(), "count": len(dossiers), "priorities": Priority},
    )


@login_required
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = access.dossier_or_404(pk)
    dossier = (
        _with_relations(Dossier.objects.filter(pk=dossier.pk))
        .prefetch_related(
            "publics",
            "territories",
            Prefetch("strands", queryset=DossierStrand.objects.order_by("strand", "year")),
            Prefetch("budget_lines", queryset=BudgetLine.objects.order_by("year", "funder")),
            Prefetch("transitions", queryset=StateTransition.objects.select_related("by")),
        )
        .get()
    )
    shown, hidden_reason = _shown_opinion(access, dossier, published_projects([dossier.committee_id]))
    budget = list(dossier.budget_lines.all())
    return render(
        request,
        "front/dossier_detail.html",
        {
            "title": f"Dossier N°{dossier.number} — {dossier.title}",
            "dossier": dossier,
            "opinion": shown,
            "hidden_reason": hidden_reason,
            "budget": budget,
            "budget_total": sum((line.amount for line in budget), start=0),
            "requested_total": sum(
                (line.amount for line in budget if line.funder in BudgetLine.PROGRAMME_FUNDERS), start=0
            ),
        },
    )
