"""The national decisions: one per dossier, recorded until notified, then notified all at once."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.models import Call, Decision, Dossier
from core.services.dossiers import TransitionRefused, dossier_transition
from core.services.notifications import notify_after_commit, notify_decisions

State = Dossier.State
DECIDABLE_STATES = {State.OPINION_SIGNED, State.DEFERRED}
STATE_OF = {
    Decision.Outcome.RETAINED: State.RETAINED,
    Decision.Outcome.NOT_RETAINED: State.NOT_RETAINED,
    Decision.Outcome.DEFERRED: State.DEFERRED,
}


class DecisionRefused(Exception):
    """The message is for the secretariat."""


@transaction.atomic
def decision_record(*, dossier: Dossier, outcome: str, amount_granted: Decimal | None, conditions: str, by) -> Decision:
    """Record (or change, until notified) the national decision on a dossier."""
    dossier = Dossier.objects.select_for_update(of=("self",)).select_related("call").get(pk=dossier.pk)
    decision = Decision.objects.filter(dossier=dossier).first()
    # A deferred dossier comes back for a new decision; any other notified decision is final.
    if decision is not None and decision.notified_at and decision.outcome != Decision.Outcome.DEFERRED:
        raise DecisionRefused("La décision a déjà été notifiée : elle ne peut plus être modifiée.")
    if dossier.state not in DECIDABLE_STATES:
        raise DecisionRefused(f"Un dossier « {dossier.get_state_display()} » ne peut pas recevoir de décision.")
    if outcome != Decision.Outcome.RETAINED:
        amount_granted = None
    elif amount_granted is None:
        raise DecisionRefused("Indiquez le montant accordé au dossier retenu.")
    decision = decision or Decision(dossier=dossier)
    decision.outcome, decision.amount_granted, decision.conditions = outcome, amount_granted, conditions
    decision.decided_by, decision.notified_at = by, None
    decision.full_clean()
    decision.save()
    return decision


@transaction.atomic
def decisions_notify(*, call: Call, by) -> list[Decision]:
    """Notify every decision of the call not yet notified: each dossier takes its new state."""
    pending = list(
        Decision.objects.select_for_update(of=("self",))
        .select_related("dossier")
        .filter(dossier__call=call, notified_at__isnull=True)
    )
    if not pending:
        raise DecisionRefused("Aucune décision à notifier.")
    now = timezone.now()
    for decision in pending:
        try:
            dossier_transition(
                dossier=decision.dossier,
                to_state=STATE_OF[decision.outcome],
                by=by,
                message=f"Décision nationale notifiée : {decision.get_outcome_display().lower()}.",
            )
        except TransitionRefused as refusal:
            raise DecisionRefused(f"Projet N°{decision.dossier.number} : {refusal}") from refusal
        decision.notified_at = now
        decision.save(update_fields=["notified_at"])
    notify_after_commit(notify_decisions, [d.pk for d in pending])
    return pending
