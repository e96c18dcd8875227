"""The departmental pre-instruction: a department's State service gives its opinion on a dossier that covers it."""

from django.db import transaction
from django.utils import timezone

from core import departments
from core.audit import audit, snapshot
from core.models import DepartmentalOpinion, Dossier, Opinion
from core.permissions import Access
from core.services.dossiers import locked
from core.services.notifications import notify_departmental_opinion
from core.services.opinions import clear_signatures
from core.tasks import enqueue_on_commit
from core.workflow import ActionRefused, check

FIELDS = ("verdict", "reasons")


def department_refusal(access: Access, dossier: Dossier, department: str) -> str | None:
    """Why this instructor does not give the opinion of this department on the dossier (French), or None: the
    workflow lets it act on the dossier for the departments it instructs, this one must be of them."""
    if department not in access.instructed_departments(dossier):
        return (
            f"Vous ne donnez pas l'avis de {departments.label(department)} sur ce dossier : seulement celui des "
            "départements du dossier dont vous instruisez les dossiers pour ce comité."
        )
    return None


@transaction.atomic
def departmental_opinion_give(
    *, dossier: Dossier, department: str, verdict: str, reasons: str, by
) -> DepartmentalOpinion:
    """Give, or change, the department's opinion: until the committee's opinion is signed, which waits for it.
    ValidationError, in French, for an opinion without its verdict, or reserved or unfavourable without reasons."""
    dossier = locked(dossier)
    check(by, "departmental.give", dossier)
    reason = department_refusal(Access(by), dossier, department)
    if reason:
        raise ActionRefused(reason)
    opinion = DepartmentalOpinion.objects.select_for_update().filter(dossier=dossier, department=department).first()
    before = snapshot(opinion, FIELDS)
    opinion = opinion or DepartmentalOpinion(dossier=dossier, department=department)
    opinion.verdict, opinion.reasons, opinion.given_by, opinion.given_at = verdict, reasons, by, timezone.now()
    opinion.full_clean()
    opinion.save()
    after = snapshot(opinion, FIELDS)
    audit("departmental.give", by=by, subject=opinion, before=before, after=after, dossier=dossier)
    if before == after:
        return opinion
    enqueue_on_commit(notify_departmental_opinion, opinion.pk)
    # Whoever signed the committee's opinion read the department's as it was.
    committee_opinion = Opinion.objects.filter(dossier=dossier).first()
    signed = list(committee_opinion.signatures.all()) if committee_opinion else []
    if signed:
        clear_signatures(committee_opinion, signed, by, department)
    return opinion
