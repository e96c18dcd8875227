"""What a user may read of a committee's opinion: its working copy, or the published version, or why not.

Pages, documents, exports and the API all show opinions through this module.
"""

from dataclasses import dataclass
from uuid import UUID

from django.db.models import BooleanField, Case, CharField, OuterRef, Q, QuerySet, Subquery, Value, When

from core.models import SMILEYS, Dossier, Opinion, Verdict
from core.permissions import Access
from core.richtext import render_markdown
from core.services.joint_opinions import project_rank, published_projects


@dataclass
class ShownOpinion:
    """An opinion as a reader sees it: the committee's working copy, or a project of a published version."""

    verdict: str
    rank: str | None
    questions: str
    remarks: str
    published_version: int | None
    # Where the published version is read (its URL); None for the working copy.
    published_uuid: UUID | None = None
    retained: bool = False

    @classmethod
    def from_project(cls, project: dict) -> "ShownOpinion":
        return cls(
            project["verdict"],
            project_rank(project),
            project["questions"],
            project["remarks"],
            project.get("version"),
            project.get("uuid"),
            project_retained(project),
        )

    @property
    def rank_label(self) -> str:
        """The rank among the retained dossiers, as the avis conjoint words it."""
        if self.rank:
            return self.rank
        return "Retenu, sans rang" if self.retained else "Non retenu"

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


def project_retained(project: dict) -> bool:
    """Whether a project of a published version is retained. Versions published before it was carried explicitly
    said so by their rank alone."""
    return project["retained"] if "retained" in project else bool(project_rank(project))


def shown_opinion(
    access: Access, dossier: Dossier, published: dict, reads_draft: bool | None = None
) -> tuple[ShownOpinion | None, str]:
    """The opinion to show, or None and the reason why not. Lists pass reads_draft, annotated by with_shown()."""
    if reads_draft is None:
        reads_draft = access.can_read_opinion_draft(dossier)
    if reads_draft:
        opinion = getattr(dossier, "opinion", None)
        if opinion is None:
            return None, "Le comité n'a pas encore rédigé d'avis."
        shown = ShownOpinion(opinion.verdict, opinion.rank, opinion.questions, opinion.remarks, None)
        shown.retained = opinion.retained
        return shown, ""
    project = published.get((dossier.committee_id, dossier.number))
    if project is not None:
        return ShownOpinion.from_project(project), ""
    if dossier.committee_id in access.member_committee_ids:
        return None, (
            "Votre organisme porte ce dossier ou en est partenaire : en raison de ce conflit d'intérêts, "
            "vous ne pouvez ni consulter ni modifier l'avis du comité avant sa publication."
        )
    return None, "L'avis du comité régional n'est pas encore publié."


def shown_on(access: Access, dossiers) -> None:
    """Sets on each dossier of a list annotated with reads_draft what this reader reads of it: shown_opinion (None,
    and hidden_reason, where nothing) and shown_decision (None where none may be read)."""
    published = published_projects({d.committee_id for d in dossiers if not d.reads_draft})
    for dossier in dossiers:
        dossier.shown_opinion, dossier.hidden_reason = shown_opinion(access, dossier, published, dossier.reads_draft)
        decision = getattr(dossier, "decision", None)
        dossier.shown_decision = decision if decision is not None and access.can_read_decision(decision) else None


def with_shown(access: Access, dossiers: QuerySet[Dossier], published: dict | None) -> QuerySet[Dossier]:
    """Annotates what shown_opinion() would show, so that lists filter, count and sort in SQL: reads_draft,
    shown_verdict and shown_rank (None where nothing may be read; "" for no verdict or no rank).
    `published` needs only the committees whose dossiers the user does not read as drafts; None when the
    user reads every one of these dossiers as a draft (Access.reads_every_draft() said so): the working copy then,
    without a test per row."""
    if published is None:
        return dossiers.annotate(
            reads_draft=Value(True, output_field=BooleanField()),
            shown_verdict=_working_copy("verdict"),
            shown_rank=_working_copy("rank"),
        )
    drafts = access.opinion_drafts()
    return dossiers.annotate(
        reads_draft=reads_draft(access),
        shown_verdict=_shown(drafts, published, "verdict"),
        shown_rank=_shown(drafts, published, "rank"),
    )


def reads_draft(access: Access) -> Case:
    """Access.can_read_opinion_draft as an annotation on dossiers."""
    return Case(When(access.opinion_drafts(), then=Value(True)), default=Value(False), output_field=BooleanField())


def _shown(drafts: Q, published: dict, key: str) -> Case:
    numbers: dict[tuple[int, str], list[int]] = {}
    for (committee_id, number), project in published.items():
        numbers.setdefault((committee_id, project[key] or ""), []).append(number)
    from_versions = [
        When(Q(committee_id=committee_id, number__in=listed), then=Value(value))
        for (committee_id, value), listed in numbers.items()
    ]
    return Case(When(drafts, then=_working_copy(key)), *from_versions, default=None, output_field=CharField())


def _working_copy(key: str) -> Subquery:
    """A field of the dossier's opinion, looked up through its index dossier by dossier: a join would let
    PostgreSQL read every opinion of the programme to count those of one committee."""
    return Subquery(Opinion.objects.filter(dossier=OuterRef("pk")).values(key))
