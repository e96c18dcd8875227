"""An advisory member's opinion on a dossier: given while the committee instructs it, never signed."""

from django.db import transaction
from django.utils import timezone

from core.audit import audit
from core.models import AdvisoryOpinion, Dossier
from core.permissions import Access
from core.services.dossiers import locked
from core.workflow import check


class AdvisoryRefused(Exception):
    """The message is for the user."""


@transaction.atomic
def advisory_opinion_give(*, dossier: Dossier, text: str, by) -> AdvisoryOpinion:
    """Gives, or gives again, the opinion of the advisory member the user sits for."""
    dossier = locked(dossier)
    check(by, "advisory.give", dossier)
    text = text.strip()
    if not text:
        raise AdvisoryRefused("Écrivez l'avis consultatif.")
    organisation = Access(by).advisory_seat_in(dossier.committee)
    given = AdvisoryOpinion.objects.select_for_update().filter(dossier=dossier, organisation=organisation).first()
    before = {"text": given.text} if given else {}
    if given is None:
        given = AdvisoryOpinion(dossier=dossier, organisation=organisation)
    given.text, given.given_by, given.given_at = text, by, timezone.now()
    given.full_clean()
    given.save()
    audit("advisory.give", by=by, subject=given, dossier=dossier, before=before, after={"text": text})
    return given
