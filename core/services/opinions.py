"""Writing and signing the committee's opinion on a dossier."""

from django.db import transaction

from core.models import ClearedSignature, Dossier, Opinion, OpinionSignature
from core.permissions import Access
from core.services.dossiers import dossier_transition, locked
from core.services.notifications import notify_signatures_cleared
from core.tasks import enqueue_on_commit
from core.workflow import check

FIELDS = ("verdict", "questions", "remarks", "retained", "rank")


class OpinionConflict(Exception):
    """Someone saved the opinion since this editor loaded it; `current` is what they saved."""

    def __init__(self, current: Opinion):
        super().__init__("L'avis a été modifié entre-temps.")
        self.current = current


class OpinionRefused(Exception):
    """An action on the opinion that the rules do not allow; the message is for the user."""


@transaction.atomic
def opinion_save(*, dossier: Dossier, by, expected_revision: int, **values) -> Opinion:
    """Save the opinion if nobody saved it since `expected_revision` (0: no opinion yet).

    A change clears the signatures: what was signed is no longer what is written.
    """
    dossier = locked(dossier)
    check(by, "opinion.write", dossier)
    opinion = Opinion.objects.select_for_update().filter(dossier=dossier).first()
    if (opinion.revision if opinion else 0) != expected_revision:
        raise OpinionConflict(opinion)
    opinion = opinion or Opinion(dossier=dossier, revision=0)
    if not values.get("retained"):
        values["rank"] = ""
    if opinion.pk and all(getattr(opinion, name) == values[name] for name in FIELDS):
        return opinion
    for name in FIELDS:
        setattr(opinion, name, values[name])
    opinion.revision += 1
    opinion.full_clean()
    opinion._history_user = by
    opinion.save()

    cleared = list(opinion.signatures.all())
    if cleared:
        clear_signatures(opinion, cleared, by)
    if dossier.state == Dossier.State.OPINION_SIGNED:
        dossier_transition(
            dossier=dossier, to_state=Dossier.State.IN_INSTRUCTION, by=by, message="Avis modifié : signatures effacées."
        )
    elif dossier.state == Dossier.State.SUBMITTED:
        dossier_transition(dossier=dossier, to_state=Dossier.State.IN_INSTRUCTION, by=by)
    return opinion


def clear_signatures(opinion: Opinion, signatures: list[OpinionSignature], by, department: str = "") -> None:
    """Clear the signatures, keeping which ones were cleared and by whom; the other institutions' members are told
    (the editor knows what it changed). `department`: the one whose opinion changed, when that is the cause."""
    for signature in signatures:
        ClearedSignature.objects.update_or_create(
            opinion=opinion,
            institution=signature.institution,
            defaults={"signed_by": signature.signed_by, "cleared_by": by},
        )
    opinion.signatures.all().delete()
    own = Access(by).institution_in(opinion.dossier.committee)
    told = [s.institution_id for s in signatures if own is None or s.institution_id != own.pk]
    if told:
        enqueue_on_commit(notify_signatures_cleared, opinion.pk, told, department)


@transaction.atomic
def opinion_sign(*, dossier: Dossier, by) -> Opinion:
    """Sign for the signer's co-chairing institution; with every institution's signature the opinion is final."""
    dossier = locked(dossier)
    check(by, "opinion.sign", dossier)
    committee = dossier.committee
    institution = Access(by).institution_in(committee)
    opinion = dossier.opinion
    OpinionSignature.objects.create(opinion=opinion, institution=institution, signed_by=by)
    opinion.cleared_signatures.filter(institution=institution).delete()
    signed = set(opinion.signatures.values_list("institution_id", flat=True))
    if signed >= {org.pk for org in committee.institutions} and dossier.state != Dossier.State.OPINION_SIGNED:
        dossier_transition(dossier=dossier, to_state=Dossier.State.OPINION_SIGNED, by=by)
    return opinion
