"""The national selection: a decision per dossier, checked against the cap and the envelope, then notified."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from core.formats import euros
from core.models import BudgetLine, Call, Decision, Dossier
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


def selection_dossiers(call: Call):
    """The dossiers the national committee decides on, with what it needs to see of each."""
    programme = Q(budget_lines__funder__in=BudgetLine.PROGRAMME_FUNDERS)
    return (
        call.dossiers.filter(
            state__in=[*DECIDABLE_STATES, *STATE_OF.values(), State.UNDER_AGREEMENT, State.REPORTING, State.CLOSED]
        )
        .select_related("committee", "lead_landlord", "opinion", "decision")
        .annotate(requested=Sum("budget_lines__amount", filter=programme, default=Decimal(0)))
        .order_by("committee__region", "committee__name", "number")
    )


@dataclass
class Selection:
    """The call's dossiers region by region, the totals and what needs the secretariat's attention."""

    regions: dict = field(default_factory=dict)
    requested: Decimal = Decimal(0)
    granted: Decimal = Decimal(0)
    alerts: list[str] = field(default_factory=list)


def selection(call: Call) -> Selection:
    result = Selection()
    for dossier in selection_dossiers(call):
        region = result.regions.setdefault(
            dossier.committee, {"dossiers": [], "requested": Decimal(0), "granted": Decimal(0)}
        )
        decision = getattr(dossier, "decision", None)
        granted = decision.amount_granted or Decimal(0) if decision else Decimal(0)
        region["dossiers"].append(dossier)
        region["requested"] += dossier.requested
        region["granted"] += granted
        result.requested += dossier.requested
        result.granted += granted
        label = f"{dossier.committee.name}, projet N°{dossier.number} « {dossier.title} »"
        if call.cap_per_project is not None and dossier.requested > call.cap_per_project:
            result.alerts.append(
                f"{label} : demande de {euros(dossier.requested)}, au-delà du plafond ({euros(call.cap_per_project)})."
            )
        if call.cap_per_project is not None and granted > call.cap_per_project:
            result.alerts.append(f"{label} : montant accordé au-delà du plafond ({euros(call.cap_per_project)}).")
    for committee, region in result.regions.items():
        retained = [d for d in region["dossiers"] if getattr(d, "opinion", None) and d.opinion.retained]
        if any(not d.opinion.priority for d in retained) or not retained:
            result.alerts.append(f"{committee.name} : rangs de priorité manquants dans l'avis du comité.")
    if call.national_envelope is not None and result.granted > call.national_envelope:
        result.alerts.append(
            f"Les montants accordés ({euros(result.granted)}) dépassent l'enveloppe nationale "
            f"({euros(call.national_envelope)})."
        )
    return result


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
