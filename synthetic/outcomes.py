"""What happens to a submitted dossier: the committee's opinion, the national decision, the agreement, its
payments and the reports, each dated from the call's calendar and kept only if it happened before PRESENT."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from random import Random

from core.models import (
    Agreement,
    Decision,
    Dossier,
    Opinion,
    PaymentTranche,
    Rank,
    Report,
    ReportHouseholds,
    ReportSpend,
    StateTransition,
    Strand,
    Verdict,
)
from core.workflow import TRANSITIONS
from synthetic import texts
from synthetic.batch import Batch
from synthetic.reference import PRESENT, Schedule, at
from synthetic.texts import Theme

State = Dossier.State
# Chance that the national committee follows a retained opinion, by rank.
FOLLOWED = {Rank.P1: 0.92, Rank.P2: 0.75, Rank.P3: 0.5}


def days(rng: Random, low: int, high: int) -> timedelta:
    """Between `low` and `high` days later, at some time of the working day."""
    return timedelta(days=rng.randint(low, high), minutes=rng.randrange(0, 9 * 60, 5))


def hundreds(amount: float | Decimal) -> Decimal:
    return Decimal(int(amount) // 100 * 100)


def _years_later(day: date, years: int) -> date:
    return day.replace(year=day.year + years, day=min(day.day, 28))


@dataclass
class Life:
    """The dossier's state changes, as far as they happened."""

    dossier: dict
    batch: Batch
    state: str = ""
    last: datetime | None = None

    def go(self, when: datetime, to_state: str, by: int | None, message: str = "", until: datetime = PRESENT) -> bool:
        """Record the change if it comes no later than `until`; the caller stops the dossier's life otherwise."""
        if when > until:
            return False
        # Written in bulk, not through the services: the workflow's transitions still hold (a draft's from-state is "").
        if to_state not in TRANSITIONS.get(self.state, ()):
            raise ValueError(f"The workflow has no transition from {self.state!r} to {to_state!r}.")
        self.batch.add(
            StateTransition,
            dossier_id=self.dossier["id"],
            from_state=self.state,
            to_state=to_state,
            by_id=by,
            at=when,
            message=message,
        )
        self.state, self.last = to_state, when
        if to_state == State.SUBMITTED:
            self.dossier["submitted_at"] = when
        return True


def opinion_add(life: Life, rng: Random, theme: Theme, over_cap: bool, when: datetime, by: int) -> dict:
    """Retained only with a favorable or réservé verdict, and then always ranked, as publication requires."""
    verdict = rng.choices(list(Verdict), (55, 30, 15))[0]
    retained = rng.random() < {Verdict.FAVORABLE: 0.85, Verdict.RESERVED: 0.45}.get(verdict, 0)
    ranks = (45, 40, 15) if verdict == Verdict.FAVORABLE else (10, 40, 50)
    return life.batch.add(
        Opinion,
        history=(when, by),
        dossier_id=life.dossier["id"],
        verdict=verdict.value,
        questions=texts.questions(rng, theme),
        remarks=texts.remarks(rng, verdict, over_cap),
        retained=retained,
        rank=rng.choices(list(Rank), ranks)[0].value if retained else "",
        revision=1,
        updated_at=when,
    )


def decision_add(
    life: Life, rng: Random, opinion: dict, requested: Decimal, cap: Decimal | None, schedule: Schedule, by: int
) -> dict:
    """The national committee mostly follows the regional ranks, and grants at most the cap."""
    followed = FOLLOWED.get(opinion["rank"], 0) if opinion["retained"] else 0
    draw = rng.random()
    if draw < followed:
        outcome = Decision.Outcome.RETAINED
    elif draw < followed + (0.05 if opinion["retained"] else 0.03):
        outcome = Decision.Outcome.DEFERRED
    else:
        outcome = Decision.Outcome.NOT_RETAINED
    amount, conditions = None, ""
    if outcome == Decision.Outcome.RETAINED:
        factor = rng.choices((1, 0.9, 0.8), (70, 20, 10))[0]
        amount = hundreds(min(requested, cap if cap is not None else requested) * Decimal(factor))
        conditions = rng.choice(texts.CONDITIONS) if factor < 1 or rng.random() < 0.25 else ""
    return life.batch.add(
        Decision,
        dossier_id=life.dossier["id"],
        outcome=outcome.value,
        amount_granted=amount,
        conditions=conditions,
        decided_at=schedule.decided + timedelta(minutes=rng.randrange(0, 480)),
        decided_by_id=by,
        notified_at=schedule.notified if schedule.notified <= PRESENT else None,
    )


@dataclass
class Promised:
    """What the dossier promised, which its reports measure themselves against."""

    strands: dict[str, list[int]]
    # (year, funder, amount) of each budget line.
    lines: list[tuple[int, str, Decimal]]


def _report(rng: Random, life: Life, promised: Promised, year: int, final: bool, submitted: datetime):
    """The report of a project year, or the final evaluation; returns when it was validated, if it was."""
    checked = submitted + days(rng, 10, 60)
    returned = checked <= PRESENT and rng.random() < 0.05
    if returned:
        state = Report.State.RETURNED
    else:
        state = Report.State.VALIDATED if checked <= PRESENT else Report.State.SUBMITTED
    done = {
        strand: sum(int(count * rng.uniform(0.5, 1.15)) for count in (per_year if final else per_year[year - 1 : year]))
        for strand, per_year in promised.strands.items()
    }
    comment = rng.choice(texts.REPORT_COMMENTS)
    batch = life.batch
    report = batch.add(
        Report,
        dossier_id=life.dossier["id"],
        year=year,
        is_final=final,
        state=state.value,
        entries_into_housing=int(done.get(Strand.ACCESS, 0) * 0.7),
        evictions_avoided=int(done.get(Strand.KEEPING, 0) * 0.5),
        transfers=int(done.get(Strand.TRANSFER, 0) * 0.6),
        comment=f"{comment}\n\nRenvoyé par le secrétariat : {texts.RETURNED_REPORT}" if returned else comment,
        submitted_at=submitted,
    )
    for strand, count in done.items():
        batch.add(ReportHouseholds, report_id=report["id"], strand=strand, households=count)
    spend: dict[str, Decimal] = {}
    for line_year, funder, amount in promised.lines:
        if final or line_year == year:
            spend[funder] = spend.get(funder, Decimal(0)) + hundreds(amount * Decimal(rng.uniform(0.7, 1)))
    for funder, amount in spend.items():
        if amount:
            batch.add(ReportSpend, report_id=report["id"], funder=funder, amount=amount)
    return checked if state == Report.State.VALIDATED else None


def follow_up(rng: Random, life: Life, decision: dict, promised: Promised, staff: int, secretariat: int) -> None:
    """The agreement of a retained dossier, its yearly reports, its final evaluation and the payments they release."""
    dossier, years = life.dossier, life.dossier["duration_years"]
    signed_on = (decision["notified_at"] + days(rng, 45, 240)).date()
    if not life.go(at(signed_on, 11), State.UNDER_AGREEMENT, secretariat, "Convention signée."):
        return
    # The agreement runs from the first day of the month after its signature.
    starts_on = signed_on.replace(day=calendar.monthrange(signed_on.year, signed_on.month)[1]) + timedelta(days=1)
    ends_on = _years_later(starts_on, years) - timedelta(days=1)
    amount = decision["amount_granted"]
    agreement = life.batch.add(
        Agreement, dossier_id=dossier["id"], amount=amount, signed_on=signed_on, starts_on=starts_on, ends_on=ends_on
    )

    validated = []
    for year in range(1, years + 1):
        submitted = at(_years_later(starts_on, year), 10) + days(rng, 15, 75)
        if submitted > PRESENT:
            break
        validated.append(_report(rng, life, promised, year, False, submitted))
        if year == 1:
            life.go(submitted, State.REPORTING, staff, "Premier bilan transmis.")
    closed = None
    # A few landlords never send their final evaluation: the dossier stays in follow-up.
    if len(validated) == years and all(validated) and rng.random() < 0.95:
        submitted = at(ends_on, 10) + days(rng, 30, 100)
        if submitted <= PRESENT:
            closed = _report(rng, life, promised, years, True, submitted)
            if closed:
                life.go(closed, State.CLOSED, secretariat, "Évaluation finale validée : dossier clos.")

    first, second = hundreds(amount / 2), hundreds(amount * Decimal("0.3"))
    tranches = (
        (first, "À la signature de la convention", signed_on, at(signed_on)),
        (
            second,
            "Après validation du premier bilan",
            starts_on + timedelta(days=400),
            validated[0] if validated else None,
        ),
        (amount - first - second, "Après validation de l'évaluation finale", ends_on + timedelta(days=120), closed),
    )
    for order, (part, condition, due_on, released) in enumerate(tranches, 1):
        paid = released + days(rng, 5, 30) if released else None
        life.batch.add(
            PaymentTranche,
            agreement_id=agreement["id"],
            order=order,
            amount=part,
            condition=condition,
            due_on=due_on,
            paid_on=paid.date() if paid and paid <= PRESENT else None,
        )
