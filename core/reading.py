"""What a user may read of a committee's opinion: its working copy, or the published version, or why not.

Pages, documents, exports and the API all show opinions through this module.
"""

from dataclasses import dataclass
from uuid import UUID

from core.models import SMILEYS, Dossier, Verdict
from core.permissions import Access
from core.richtext import render_markdown


@dataclass
class ShownOpinion:
    """An opinion as a reader sees it: the committee's working copy, or a project of a published version."""

    verdict: str
    priority: str | None
    questions: str
    remarks: str
    published_version: int | None
    # Where the published version is read (its URL); None for the working copy.
    published_uuid: UUID | None = None

    @classmethod
    def from_project(cls, project: dict) -> "ShownOpinion":
        return cls(
            project["verdict"],
            project["priority"],
            project["questions"],
            project["remarks"],
            project.get("version"),
            project.get("uuid"),
        )

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


def shown_opinion(access: Access, dossier: Dossier, published: dict) -> tuple[ShownOpinion | None, str]:
    """The opinion to show, or None and the reason why not."""
    if access.can_read_opinion_draft(dossier):
        opinion = getattr(dossier, "opinion", None)
        if opinion is None:
            return None, "Le comité n'a pas encore rédigé d'avis."
        return ShownOpinion(opinion.verdict, opinion.priority, opinion.questions, opinion.remarks, None), ""
    project = published.get((dossier.committee_id, dossier.number))
    if project is not None:
        return ShownOpinion.from_project(project), ""
    if dossier.committee_id in access.member_committee_ids:
        return None, (
            "Votre organisme porte ce dossier ou en est partenaire : en raison de ce conflit d'intérêts, "
            "vous ne pouvez ni consulter ni modifier l'avis du comité avant sa publication."
        )
    return None, "L'avis du comité régional n'est pas encore publié."
