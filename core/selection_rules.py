"""The call's rules, checked over the dossiers its decisions retain (issue #21): the share of dossiers carried or
co-carried by an Hlm body, the fund's share of each dossier's expenses, the cap per project, each region's envelope.
Each rule is a warning or blocks the notification of the decisions, as the call says (`Call.*_mode`); a rule whose
limit the call does not set is not checked.

"Retained" is what the decisions recorded say, notified or not: the selection being made, before it is told."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.db.models import Sum

from core.formats import euros, number, percent, plural
from core.models import Call, Committee, Decision, Dossier, RuleMode

# A failing rule names at most this many dossiers: the message says what to look at, the page lists the rest.
NAMED = 3


@dataclass(frozen=True)
class RuleCheck:
    rule: str  # "hlm_share", "fund_share", "cap", "envelope"
    label: str
    figure: str
    limit: str
    ok: bool
    blocking: bool
    message: str
    committee: Committee | None = None

    @property
    def refuses(self) -> bool:
        """A blocking rule that does not hold: the decisions are not notified."""
        return self.blocking and not self.ok


def retained(call: Call, committee: Committee | None = None) -> list[Dossier]:
    """The dossiers the call's decisions retain (of one committee's, when given), with what the rules read: their
    carriers, amount, budget total."""
    scope = {"call": call} if committee is None else {"call": call, "committee": committee}
    return list(
        Dossier.objects.filter(**scope, decision__outcome=Decision.Outcome.RETAINED)
        .select_related("lead_landlord", "decision", "committee")
        .prefetch_related("co_landlords")
        .annotate(budget_total=Sum("budget_lines__amount", default=Decimal(0)))
        .order_by("committee__name", "number")
    )


def granted(dossier: Dossier) -> Decimal:
    """What the fund gives the dossier: the amount granted, or what it asks before an amount is set."""
    amount = dossier.decision.amount_granted
    return dossier.requested if amount is None else amount


def carried_by_hlm(dossier: Dossier) -> bool:
    return dossier.lead_landlord.is_hlm or any(org.is_hlm for org in dossier.co_landlords.all())


def expenses(dossier: Dossier) -> Decimal:
    """The dossier's budget total, every funder's lines: annotated by the lists that read many (`budget_total`)."""
    total = getattr(dossier, "budget_total", None)
    if total is None:
        total = dossier.budget_lines.aggregate(total=Sum("amount", default=Decimal(0)))["total"]
    return total


def fund_share(dossier: Dossier, amount: Decimal | None = None) -> Decimal | None:
    """The fund's part of the dossier's expenses (the amount given, or granted), in percent; None for an empty
    budget."""
    total = expenses(dossier)
    if not total:
        return None
    return (granted(dossier) if amount is None else amount) * 100 / total


def _check(rule: str, label: str, figure: str, limit: str, ok: bool, mode: str, committee=None) -> RuleCheck:
    message = f"{label} : {figure}, {limit}"
    return RuleCheck(rule, label, figure, limit, ok, mode == RuleMode.BLOCKING, message, committee)


def _over(over: list[Dossier], dossiers: list[Dossier], figure) -> str:
    """The dossiers over a limit, some named: 2 dossiers sur 41 au-delà (n°3 « … » (Comité) : 62,5 % ; …)."""
    return f"{len(over)} dossier{plural(len(over))} sur {number(len(dossiers))} au-delà ({_named(over, figure)})"


def _named(dossiers: list[Dossier], figure) -> str:
    names = [f"n°{d.number} « {d.title} » ({d.committee.name}) : {figure(d)}" for d in dossiers[:NAMED]]
    more = len(dossiers) - NAMED
    return " ; ".join(names) + (f" ; et {more} autre{plural(more)}" if more > 0 else "")


def hlm_share(call: Call, dossiers: list[Dossier]) -> RuleCheck | None:
    minimum = call.hlm_share_min
    if minimum is None:
        return None
    carried, total = sum(1 for d in dossiers if carried_by_hlm(d)), len(dossiers)
    # In whole numbers: exactly 30 % of 10 is 3, never a rounding away.
    ok = carried * 100 >= minimum * total
    share = f" ({percent(Decimal(carried * 100) / total, ROUND_FLOOR)})" if total else ""
    figure, limit = f"{number(carried)} sur {number(total)}{share}", f"minimum {percent(minimum)}"
    label = "Part des dossiers portés ou co-portés par un organisme Hlm"
    return _check("hlm_share", label, figure, limit, ok, call.hlm_share_mode)


def fund_share_rule(call: Call, dossiers: list[Dossier]) -> RuleCheck | None:
    maximum = call.fund_share_max
    if maximum is None:
        return None
    shares = {d.pk: fund_share(d) for d in dossiers}
    over = [d for d in dossiers if granted(d) > 0 and (shares[d.pk] is None or shares[d.pk] > maximum)]
    label = "Part du fonds dans les dépenses de chaque dossier"
    limit = f"maximum {percent(maximum)}"
    if over:
        shown = lambda d: "budget vide" if shares[d.pk] is None else percent(shares[d.pk], ROUND_CEILING)  # noqa: E731
        figure = _over(over, dossiers, shown)
    else:
        highest = max((s for s in shares.values() if s is not None), default=None)
        figure = "aucun dossier" if highest is None else f"au plus {percent(highest, ROUND_CEILING)}"
    return _check("fund_share", label, figure, limit, not over, call.fund_share_mode)


def cap_rule(call: Call, dossiers: list[Dossier]) -> RuleCheck | None:
    cap = call.cap_per_project
    if cap is None:
        return None
    over = [d for d in dossiers if granted(d) > cap]
    label = "Plafond par projet"
    limit = f"maximum {euros(cap)}"
    if over:
        figure = _over(over, dossiers, lambda d: euros(granted(d)))
    else:
        figure = f"au plus {euros(max((granted(d) for d in dossiers), default=0))}"
    return _check("cap", label, figure, limit, not over, call.cap_mode)


def envelope_rules(call: Call, dossiers: list[Dossier], committees: list[Committee]) -> list[RuleCheck]:
    """One check per committee whose envelope is set: the amounts granted to its retained dossiers."""
    checks = []
    for committee in committees:
        if committee.envelope is None:
            continue
        total = sum((granted(d) for d in dossiers if d.committee_id == committee.pk), Decimal(0))
        label = f"Enveloppe régionale, {committee.name}"
        figure, limit = f"{euros(total)} accordés", f"enveloppe {euros(committee.envelope)}"
        ok = total <= committee.envelope
        checks.append(_check("envelope", label, figure, limit, ok, call.envelope_mode, committee))
    return checks


def rule_checks(call: Call, committee: Committee | None = None) -> list[RuleCheck]:
    """Every rule the call sets, over the dossiers its decisions retain, in the order the page shows them. Given a
    committee (a regional decision's, which notifies its own decisions), over that committee's dossiers alone: its
    selection is told apart from the others'."""
    dossiers = retained(call, committee)
    checks = [hlm_share(call, dossiers), fund_share_rule(call, dossiers), cap_rule(call, dossiers)]
    committees = list(call.committees.order_by("name")) if committee is None else [committee]
    return [check for check in checks if check is not None] + envelope_rules(call, dossiers, committees)


def refusal(call: Call, committee: Committee | None = None) -> str | None:
    """Why the decisions (of the call, or of one committee) may not be notified: the first blocking rule that does not
    hold (French), or None."""
    failing = [check for check in rule_checks(call, committee) if check.refuses]
    if not failing:
        return None
    more = f" (et {len(failing) - 1} autre{plural(len(failing) - 1)})" if len(failing) > 1 else ""
    return f"Une règle bloquante de l'appel n'est pas respectée{more} : {failing[0].message}."
