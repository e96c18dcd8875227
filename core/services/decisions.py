"""The national decisions: one per dossier, recorded (which freezes the dossier), then notified dossier by dossier."""

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from core import selection_rules
from core.audit import audit, snapshot
from core.formats import euros, percent
from core.models import Call, Committee, Decision, Dossier
from core.services.dossiers import dossier_transition, locked
from core.services.notifications import notify_decisions
from core.tasks import enqueue_on_commit
from core.workflow import OUTCOME_STATES, ActionRefused, check, where

State = Dossier.State
RECORDED = ("outcome", "amount_granted", "conditions", "notified_at")


class DecisionRefused(Exception):
    """The message is for the secretariat."""


def amount_warnings(dossier: Dossier, amount: Decimal | None) -> list[str]:
    """What the secretariat is asked to confirm before granting this amount: more than the call's cap per project,
    more than the landlord asked, or more than the call's share of the project's expenses. None is forbidden here: a
    committee may have its reasons, and a blocking rule of the call holds at the notification (core/selection_rules)."""
    warnings = []
    if amount is None:
        return warnings
    cap = dossier.call.cap_per_project
    if cap is not None and amount > cap:
        warnings.append(
            f"Le montant accordé ({euros(amount)}) dépasse le plafond par projet de l'appel ({euros(cap)})."
        )
    if amount > dossier.requested:
        warnings.append(
            f"Le montant accordé ({euros(amount)}) dépasse le montant demandé ({euros(dossier.requested)})."
        )
    maximum, share = dossier.call.fund_share_max, selection_rules.fund_share(dossier, amount)
    if maximum is not None and amount and (share is None or share > maximum):
        shown = "un budget vide" if share is None else percent(share, ROUND_CEILING)
        warnings.append(
            f"Le montant accordé ({euros(amount)}) couvre {shown} des dépenses du projet "
            f"({euros(selection_rules.expenses(dossier))}), au-delà des {percent(maximum)} que l'appel permet."
        )
    return warnings


@transaction.atomic
def decision_record(*, dossier: Dossier, outcome: str, amount_granted: Decimal | None, conditions: str, by) -> Decision:
    """Record (or change, until notified) the national decision on a dossier. The dossier and its opinion are frozen
    until the decision is notified or cleared."""
    dossier = locked(dossier)
    check(by, "decision.record", dossier)
    decision = getattr(dossier, "decision", None)
    before = snapshot(decision, RECORDED)
    if outcome != Decision.Outcome.RETAINED:
        amount_granted = None
    elif amount_granted is None:
        raise DecisionRefused("Indiquez le montant accordé au dossier retenu.")
    decision = decision or Decision(dossier=dossier)
    decision.outcome, decision.amount_granted, decision.conditions = outcome, amount_granted, conditions
    decision.decided_by, decision.notified_at = by, None
    decision.full_clean()
    decision.save()
    audit("decision.record", by=by, subject=dossier, dossier=dossier, before=before, after=snapshot(decision, RECORDED))
    return decision


def decidable(access, call: Call) -> QuerySet[Dossier]:
    """The call's dossiers this user may record a decision on now, with what the bulk form reads of them."""
    return (
        Dossier.objects.filter(where(access, "decision.record"), call=call)
        .select_related("committee", "call", "lead_landlord", "opinion", "decision")
        .annotate(budget_total=Sum("budget_lines__amount", default=Decimal(0)))
        .order_by("committee__name", "number")
    )


@transaction.atomic
def decisions_record_many(
    *, call: Call, dossier_ids: list[int], outcome: str, amount: Decimal | None, conditions: str, by
) -> list[Decision]:
    """One decision for each chosen dossier of the call, at the amount given or, when none is, at the amount each
    asked. One transaction: a dossier refused, none recorded, and the refusal names it."""
    dossiers = list(Dossier.objects.filter(call=call, pk__in=dossier_ids).order_by("committee__name", "number"))
    if not dossiers or len(dossiers) != len(set(dossier_ids)):
        raise DecisionRefused("Choisissez des dossiers de cet appel.")
    recorded = []
    for dossier in dossiers:
        granted = (
            (amount if amount is not None else dossier.requested) if outcome == Decision.Outcome.RETAINED else None
        )
        try:
            recorded.append(decision_record(dossier=dossier, outcome=outcome, amount_granted=granted,
                                            conditions=conditions, by=by))  # fmt: skip
        except (ActionRefused, DecisionRefused) as refusal:
            raise DecisionRefused(f"Projet N°{dossier.number} « {dossier.title} » : {refusal}") from None
    return recorded


@transaction.atomic
def decision_clear(*, dossier: Dossier, by) -> None:
    """Clear a decision recorded but not notified: the dossier and its opinion are open again."""
    dossier = locked(dossier)
    check(by, "decision.clear", dossier)
    before = snapshot(dossier.decision, RECORDED)
    dossier.decision.delete()
    audit("decision.clear", by=by, subject=dossier, dossier=dossier, before=before)


@dataclass
class Notified:
    done: list[Decision] = field(default_factory=list)
    # The dossiers whose decision could not be notified, and why.
    failed: list[tuple[Dossier, str]] = field(default_factory=list)


def decisions_notify(*, call: Call | None = None, committee: Committee | None = None, by) -> Notified:
    """Notify the decisions not yet notified of a call (national selection: the secretariat, call.notify_decisions)
    or of a committee (regional decision: its co-chairs, committee.notify_decisions), dossier by dossier: each in its
    own transaction, so that one that fails is reported and blocks no other. Each is checked as decision.notify."""
    scope = {"dossier__call": call} if committee is None else {"dossier__committee": committee}
    pending = Decision.objects.filter(**scope, notified_at__isnull=True).select_related("dossier")
    # The call's blocking rules hold for the selection as a whole: none of it is told while one fails.
    if pending.exists() and (reason := selection_rules.refusal(call or committee.call, committee)):
        raise ActionRefused(reason)
    result = Notified()
    for decision in pending.order_by("dossier__committee__name", "dossier__number"):
        try:
            result.done.append(decision_notify(dossier=decision.dossier, by=by))
        except (ActionRefused, DecisionRefused) as refusal:
            result.failed.append((decision.dossier, str(refusal)))
    if result.done:
        enqueue_on_commit(notify_decisions, [d.pk for d in result.done])
    return result


@transaction.atomic
def decision_notify(*, dossier: Dossier, by) -> Decision:
    """Notify one recorded decision: the dossier takes its new state."""
    dossier = locked(dossier)
    check(by, "decision.notify", dossier)
    decision = dossier.decision
    to_state = OUTCOME_STATES[decision.outcome]
    if dossier.state != to_state:
        dossier_transition(
            dossier=dossier,
            to_state=to_state,
            by=by,
            message=f"{dossier.call.decision_name.capitalize()} notifiée : {decision.get_outcome_display().lower()}.",
        )
    before = snapshot(decision, RECORDED)
    decision.notified_at = timezone.now()
    decision.save(update_fields=["notified_at"])
    audit("decision.notify", by=by, subject=dossier, dossier=dossier, before=before, after=snapshot(decision, RECORDED))
    return decision
