"""State changes of a dossier: each one checked against the allowed transitions and recorded with its author."""

from django.db import transaction
from django.utils import timezone

from core.models import Dossier, StateTransition

State = Dossier.State

ALLOWED = {
    State.DRAFT: {State.SUBMITTED, State.WITHDRAWN},
    State.SUBMITTED: {State.INCOMPLETE, State.IN_INSTRUCTION, State.OPINION_SIGNED, State.WITHDRAWN},
    State.INCOMPLETE: {State.SUBMITTED, State.WITHDRAWN},
    State.IN_INSTRUCTION: {State.INCOMPLETE, State.OPINION_SIGNED, State.WITHDRAWN},
    State.OPINION_SIGNED: {
        State.IN_INSTRUCTION,
        State.RETAINED,
        State.NOT_RETAINED,
        State.DEFERRED,
        State.WITHDRAWN,
    },
    State.DEFERRED: {State.RETAINED, State.NOT_RETAINED, State.WITHDRAWN},
    State.RETAINED: {State.UNDER_AGREEMENT},
    State.UNDER_AGREEMENT: {State.REPORTING},
    State.REPORTING: {State.CLOSED},
}


class TransitionRefused(Exception):
    """A state change that the dossier's current state does not allow; the message is for the user."""


@transaction.atomic
def dossier_transition(*, dossier: Dossier, to_state: str, by, message: str = "") -> Dossier:
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if to_state not in ALLOWED.get(dossier.state, set()):
        raise TransitionRefused(
            f"Un dossier « {dossier.get_state_display()} » ne peut pas passer à « {State(to_state).label} »."
        )
    from_state = dossier.state
    dossier.state = to_state
    if to_state == State.SUBMITTED:
        dossier.submitted_at = timezone.now()
    dossier._history_user = by
    dossier.save()
    StateTransition.objects.create(dossier=dossier, from_state=from_state, to_state=to_state, by=by, message=message)
    return dossier
