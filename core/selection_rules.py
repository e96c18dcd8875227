"""The call's rules, checked over the dossiers its decisions retain (issue #21): the share of dossiers carried or
co-carried by an Hlm body, the fund's share of each dossier's expenses, the cap per project, each region's envelope.
Each rule is a warning or blocks the notification of the decisions, as the call says (`Call.*_mode`); a rule whose
limit the call does not set is not checked.

"Retained" is what the decisions recorded say, notified or not: the selection being made, before it is told."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import NamedTuple

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from core.formats import euros, number, percent, plural
from core.models import BudgetLine, Call, Committee, Decision, Dossier, Organisation, RuleMode

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


class Retained(NamedTuple):
    """What the rules read of a retained dossier."""

    number: int
    title: str
    committee_id: int
    committee_name: str
    granted: Decimal  # the amount granted, or what the dossier asks before an amount is set
    expenses: Decimal  # its budget's total, every funder's lines
    hlm: bool  # led or co-carried by an Hlm body


def retained(call: Call, committee: Committee | None = None) -> list[Retained]:
    """The dossiers the call's decisions retain (of one committee's, when given), as rows of what the rules read: a
    call of 10 000 dossiers retains thousands, which as model instances, with their carriers, took 1.6 s."""
    scope = {"call": call} if committee is None else {"call": call, "committee": committee}
    budget = BudgetLine.objects.filter(dossier=OuterRef("pk")).order_by().values("dossier").annotate(t=Sum("amount"))
    co_carried = Dossier.co_landlords.through.objects.filter(
        Organisation.hlm_bodies("organisation__"), dossier=OuterRef("pk")
    )
    hlm = Organisation.hlm_bodies("lead_landlord__") | Exists(co_carried)
    rows = (
        Dossier.objects.filter(**scope, decision__outcome=Decision.Outcome.RETAINED)
        .annotate(
            granted_amount=Coalesce("decision__amount_granted", "requested"),
            budget_total=Coalesce(Subquery(budget.values("t")), Decimal(0)),
            carried_by_hlm=ExpressionWrapper(hlm, output_field=BooleanField()),
        )
        .order_by("committee__name", "number")
        .values_list(
            "number", "title", "committee_id", "committee__name", "granted_amount", "budget_total", "carried_by_hlm"
        )
    )
    return [Retained(*row) for row in rows]


def share(amount: Decimal, total: Decimal) -> Decimal | None:
    """`amount` as a part of `total`, in percent; None for nothing to share."""
    return amount * 100 / total if total else None


def expenses(dossier: Dossier) -> Decimal:
    """The dossier's budget total, every funder's lines: annotated by the lists that read many (`budget_total`)."""
    total = getattr(dossier, "budget_total", None)
    if total is None:
        total = dossier.budget_lines.aggregate(total=Sum("amount", default=Decimal(0)))["total"]
    return total


def fund_share(dossier: Dossier, amount: Decimal) -> Decimal | None:
    """The fund's part of the dossier's expenses if it is given `amount`, in percent; None for an empty budget."""
    return share(amount, expenses(dossier))


def _check(rule: str, label: str, figure: str, limit: str, ok: bool, mode: str, committee=None) -> RuleCheck:
    message = f"{label} : {figure}, {limit}"
    return RuleCheck(rule, label, figure, limit, ok, mode == RuleMode.BLOCKING, message, committee)


def _over(over: list[Retained], dossiers: list[Retained], figure) -> str:
    """The dossiers over a limit, some named: 2 dossiers sur 41 au-delà (n°3 « … » (Comité) : 62,5 % ; …)."""
    return f"{len(over)} dossier{plural(len(over))} sur {number(len(dossiers))} au-delà ({_named(over, figure)})"


def _named(dossiers: list[Retained], figure) -> str:
    names = [f"n°{d.number} « {d.title} » ({d.committee_name}) : {figure(d)}" for d in dossiers[:NAMED]]
    more = len(dossiers) - NAMED
    return " ; ".join(names) + (f" ; et {more} autre{plural(more)}" if more > 0 else "")


def hlm_share(call: Call, dossiers: list[Retained]) -> RuleCheck | None:
    minimum = call.hlm_share_min
    if minimum is None:
        return None
    carried, total = sum(1 for d in dossiers if d.hlm), len(dossiers)
    # In whole numbers: exactly 30 % of 10 is 3, never a rounding away.
    ok = carried * 100 >= minimum * total
    share = f" ({percent(Decimal(carried * 100) / total, ROUND_FLOOR)})" if total else ""
    figure, limit = f"{number(carried)} sur {number(total)}{share}", f"minimum {percent(minimum)}"
    label = "Part des dossiers portés ou co-portés par un organisme Hlm"
    return _check("hlm_share", label, figure, limit, ok, call.hlm_share_mode)


def fund_share_rule(call: Call, dossiers: list[Retained]) -> RuleCheck | None:
    maximum = call.fund_share_max
    if maximum is None:
        return None
    shares = {d: share(d.granted, d.expenses) for d in dossiers}
    over = [d for d in dossiers if d.granted > 0 and (shares[d] is None or shares[d] > maximum)]
    label = "Part du fonds dans les dépenses de chaque dossier"
    limit = f"maximum {percent(maximum)}"
    if over:
        shown = lambda d: "budget vide" if shares[d] is None else percent(shares[d], ROUND_CEILING)  # noqa: E731
        figure = _over(over, dossiers, shown)
    else:
        highest = max((s for s in shares.values() if s is not None), default=None)
        figure = "aucun dossier" if highest is None else f"au plus {percent(highest, ROUND_CEILING)}"
    return _check("fund_share", label, figure, limit, not over, call.fund_share_mode)


def cap_rule(call: Call, dossiers: list[Retained]) -> RuleCheck | None:
    cap = call.cap_per_project
    if cap is None:
        return None
    over = [d for d in dossiers if d.granted > cap]
    label = "Plafond par projet"
    limit = f"maximum {euros(cap)}"
    if over:
        figure = _over(over, dossiers, lambda d: euros(d.granted))
    else:
        figure = f"au plus {euros(max((d.granted for d in dossiers), default=0))}"
    return _check("cap", label, figure, limit, not over, call.cap_mode)


def envelope_rules(call: Call, dossiers: list[Retained], committees: list[Committee]) -> list[RuleCheck]:
    """One check per committee whose envelope is set: the amounts granted to its retained dossiers."""
    checks = []
    for committee in committees:
        if committee.envelope is None:
            continue
        total = sum((d.granted for d in dossiers if d.committee_id == committee.pk), Decimal(0))
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


def blocks(call: Call) -> bool:
    """Whether a rule the call sets is blocking: without one, nothing is read to refuse the notification."""
    rules = [
        (call.hlm_share_mode, call.hlm_share_min),
        (call.fund_share_mode, call.fund_share_max),
        (call.cap_mode, call.cap_per_project),
    ]
    # The envelopes are the committees': a blocking mode is enough to look.
    return call.envelope_mode == RuleMode.BLOCKING or any(
        mode == RuleMode.BLOCKING and limit is not None for mode, limit in rules
    )


def refusal(call: Call, committee: Committee | None = None) -> str | None:
    """Why the decisions (of the call, or of one committee) may not be notified: the first blocking rule that does not
    hold (French), or None."""
    if not blocks(call):
        return None
    failing = [check for check in rule_checks(call, committee) if check.refuses]
    if not failing:
        return None
    more = f" (et {len(failing) - 1} autre{plural(len(failing) - 1)})" if len(failing) > 1 else ""
    return f"Une règle bloquante de l'appel n'est pas respectée{more} : {failing[0].message}."
