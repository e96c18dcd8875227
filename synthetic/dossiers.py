"""One synthetic dossier: its content, then its life from the draft on.

Its life is planned step by step from its call's calendar and cut at the first step that would come after
PRESENT, after the call's deadline (for submissions), or beyond what the call's status allows: a dossier
of an open call is never instructed, one of a closed call never decided.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from random import Random

from core.models import (
    BudgetLine,
    Call,
    Committee,
    Decision,
    Dossier,
    DossierStrand,
    OpinionSignature,
    Organisation,
    Strand,
    Territory,
)
from core.workflow import OUTCOME_STATES
from synthetic import texts
from synthetic.batch import Batch
from synthetic.outcomes import (
    Life,
    Promised,
    days,
    decision_add,
    follow_up,
    hundreds,
    opinion_add,
)
from synthetic.places import Department
from synthetic.reference import PRESENT, Cast, CommitteePlan, Landlord, Schedule, at, co_chair_members
from synthetic.texts import THEMES, Theme

State = Dossier.State
Funder = BudgetLine.Funder
# How far the call's status lets a dossier go: 1 submitted, 2 instructed, 3 decided.
STAGE = {
    Call.Status.DRAFT: 0,
    Call.Status.OPEN: 1,
    Call.Status.CLOSED: 2,
    Call.Status.DECIDED: 3,
    Call.Status.ARCHIVED: 3,
}
THEME_WEIGHTS = list(accumulate(theme.weight for theme in THEMES))
RENEWAL = " (renouvellement)"


@dataclass
class Renewable:
    dossier_id: int
    title: str
    theme: Theme


@dataclass
class Generation:
    """What the builder carries from one dossier to the next."""

    rng: Random
    cast: Cast
    batch: Batch
    # Cumulative weights of each region's landlords, for rng.choices.
    landlord_weights: dict[str, list[float]]
    # Retained dossiers that a later call may renew, by (region, landlord id), once written; `retained` holds those
    # of the batch being built.
    renewable: dict[tuple[str, int], list[Renewable]] = field(default_factory=dict)
    retained: list[tuple[tuple[str, int], Renewable]] = field(default_factory=list)

    @classmethod
    def start(cls, rng: Random, cast: Cast, batch: Batch) -> "Generation":
        weights = {region: list(accumulate(ll.weight for ll in lls)) for region, lls in cast.landlords.items()}
        return cls(rng, cast, batch, weights)

    def written(self, batch: Batch) -> None:
        """The batch is in the database: its retained dossiers may be renewed, and the next dossiers go to `batch`."""
        for key, renewable in self.retained:
            self.renewable.setdefault(key, []).append(renewable)
        self.retained, self.batch = [], batch


def _strands(rng: Random, theme: Theme, years: int) -> dict[str, list[int]]:
    """Households per strand and project year, in one to three of the theme's usual strands."""
    pool, weights, chosen = [strand.value for strand in Strand], list(theme.strands), []
    for _ in range(rng.choices((1, 2, 3), (5, 4, 1))[0]):
        if not any(weights):
            break
        strand = rng.choices(pool, weights)[0]
        chosen.append(strand)
        weights[pool.index(strand)] = 0
    return {strand: [rng.randint(2, 12) for _ in range(years)] for strand in chosen}


def _budget(
    rng: Random, call: Call, households: list[int], department: Department
) -> list[tuple[int, str, str, Decimal]]:
    """(year, funder, label, amount) lines; most requests stay within the call's cap, a few exceed it (PACA 2018)."""
    cost = rng.randrange(1500, 4600, 100)
    programme = [count * cost for count in households]
    cap = call.cap_per_project
    if cap is not None and sum(programme) > cap and rng.random() < 0.92:
        factor = float(cap) / sum(programme) * rng.uniform(0.75, 0.98)
        programme = [amount * factor for amount in programme]
    fsi = call.year >= 2018 and rng.random() < 0.4
    own_funds, local = rng.random() < 0.85, rng.random() < 0.35
    other = rng.choice(texts.OTHER_FUNDERS) if rng.random() < 0.1 else ""
    lines = []
    for year, amount in enumerate(programme, 1):
        requested, from_fsi = hundreds(amount), hundreds(amount * 0.4) if fsi else Decimal(0)
        shares = [(Funder.FNAVDL, "", requested - from_fsi), (Funder.FSI, "", from_fsi)]
        if own_funds:
            shares.append((Funder.OWN_FUNDS, "", hundreds(amount * rng.uniform(0.1, 0.35))))
        if local:
            shares.append(
                (Funder.LOCAL_AUTHORITIES, f"Conseil départemental – {department.name}", hundreds(amount / 5))
            )
        if other:
            shares.append((Funder.OTHER, other, hundreds(amount * rng.uniform(0.05, 0.2))))
        lines += [(year, funder.value, label, value) for funder, label, value in shares if value]
    return lines


@dataclass
class Submitted:
    dossier: dict
    committee: Committee
    region: str
    theme: Theme
    landlord: Landlord
    promised: Promised


def _content(g: Generation, plan: CommitteePlan, number: int, created: datetime) -> Submitted:
    """The dossier as its landlord wrote it: texts, links, households, territories and budget."""
    rng, cast, batch, place = g.rng, g.cast, g.batch, plan.place
    landlords = cast.landlords[place.region]
    landlord: Landlord = rng.choices(landlords, cum_weights=g.landlord_weights[place.region])[0]
    # Drawn whether or not the landlord has a dossier to renew, so that the draws that follow do not depend on the
    # history before this dossier.
    renews = rng.random() < 0.12
    pool = g.renewable.get((place.region, landlord.id))
    renewed = pool.pop(rng.randrange(len(pool))) if pool and renews else None
    theme = renewed.theme if renewed else rng.choices(THEMES, cum_weights=THEME_WEIGHTS)[0]
    departments = rng.sample(place.departments, min(len(place.departments), rng.choices((1, 2, 3), (15, 4, 1))[0]))
    town = rng.choice(departments[0].towns)
    call = plan.committee.call
    years = min(call.max_duration_years, rng.choices((1, 2, 3), (1, 3, 8))[0])
    strands = _strands(rng, theme, years)
    partners = [
        template.format(department=departments[0].name, town=town, region=place.abbreviation)
        for template in rng.sample(theme.partners, rng.choices((0, 1, 2, 3), (1, 4, 4, 2))[0])
    ]
    others = [other for other in landlords if other is not landlord]
    co_landlords = rng.sample(others, min(len(others), rng.randint(1, 2))) if rng.random() < 0.08 else []
    publics = rng.sample(theme.publics, rng.randint(1, min(2, len(theme.publics))))
    if rng.random() < 0.15:
        publics.append(rng.choice(rng.choice(THEMES).publics))

    title = renewed.title.removesuffix(RENEWAL) + RENEWAL if renewed else texts.title(rng, theme, town)
    renewal_note = ""
    if not renewed and rng.random() < 0.03:
        renewal_note = f"Accompagnement financé par le FNAVDL en {call.year - rng.randint(1, 3)}, {landlord.name}"
    where = f"à {town} ({departments[0].name})"
    if len(departments) > 1:
        plural = "s" if len(departments) > 2 else ""
        where += f" et dans le{plural} département{plural} {texts.join([d.code for d in departments[1:]])}"
    households = sum(sum(per_year) for per_year in strands.values())
    summary = texts.summary(
        rng,
        theme=theme,
        landlord=landlord.name,
        households=households,
        years=years,
        strands=[Strand(strand).label for strand in strands],
        place=where,
        partners=partners,
        renews=renewed.title if renewed else "",
    )
    dossier = batch.add(
        Dossier,
        history=(created, landlord.staff.pk),
        call_id=call.pk,
        committee_id=plan.committee.pk,
        number=number,
        title=title,
        summary=summary,
        lead_landlord_id=landlord.id,
        duration_years=years,
        households_total=households,
        evaluation_plan=texts.evaluation_plan(rng),
        renews_id=renewed.dossier_id if renewed else None,
        renewal_note=renewal_note,
        created_at=created,
    )
    batch.link(
        "partners", dossier, [cast.organisation(batch, name, Organisation.Kind.ASSOCIATION) for name in partners]
    )
    batch.link("co_landlords", dossier, [other.id for other in co_landlords])
    batch.link("publics", dossier, dict.fromkeys(cast.publics[name] for name in publics))

    # The landlord fills in the parts of the draft a few minutes after creating it.
    filled = (created + timedelta(minutes=20), landlord.staff.pk)
    for strand, per_year in strands.items():
        for year, count in enumerate(per_year, 1):
            batch.add(
                DossierStrand, history=filled, dossier_id=dossier["id"], strand=strand, year=year, households=count
            )
    for index, department in enumerate(departments):
        commune = town if index == 0 and rng.random() < 0.6 else ""
        qpv = bool(commune) and rng.random() < 0.4
        batch.add(
            Territory,
            history=filled,
            dossier_id=dossier["id"],
            department=department.code,
            commune=commune,
            qpv=qpv,
            qpv_name=rng.choice(texts.QPV_NAMES) if qpv else "",
        )
    lines = _budget(rng, call, [sum(year) for year in zip(*strands.values(), strict=True)], departments[0])
    for year, funder, label, amount in lines:
        batch.add(
            BudgetLine, history=filled, dossier_id=dossier["id"], year=year, funder=funder, label=label, amount=amount
        )
    promised = Promised(strands, [(year, funder, amount) for year, funder, _, amount in lines])
    return Submitted(dossier, plan.committee, place.region, theme, landlord, promised)


def dossier_build(g: Generation, plan: CommitteePlan, number: int) -> dict | None:
    """Add a dossier and its life to the batch; returns its section of the avis conjoint, None if the committee
    never received it (a draft, a withdrawn dossier)."""
    call = plan.committee.call
    schedule = Schedule.of(call.year)
    # Drafts are written while the call is open, and before PRESENT for the call open on that day.
    span = min(timedelta(days=150), max(PRESENT - schedule.opens, timedelta(days=1)))
    created = schedule.opens + timedelta(minutes=g.rng.randrange(int(span.total_seconds()) // 60))
    submitted = _content(g, plan, number, created)
    dossier = submitted.dossier
    life = Life(dossier, g.batch)
    life.go(created, State.DRAFT, submitted.landlord.staff.pk, "Brouillon créé.", until=created)
    opinion = _live(g, life, submitted, schedule)
    dossier["state"], dossier["updated_at"] = life.state, life.last
    if life.state in (State.DRAFT, State.WITHDRAWN):
        return None
    # As core.services.joint_opinions shows a project (tests/test_synthetic.py checks that both agree).
    return {
        "number": dossier["number"],
        "title": dossier["title"],
        "landlord": submitted.landlord.name,
        "verdict": opinion["verdict"] if opinion else "",
        "questions": opinion["questions"] if opinion else "",
        "remarks": opinion["remarks"] if opinion else "",
        "retained": opinion["retained"] if opinion else False,
        "rank": opinion["rank"] or None if opinion else None,
    }


def _live(g: Generation, life: Life, submitted: Submitted, schedule: Schedule) -> dict | None:
    """The dossier's life after its creation; returns its opinion, if the committee wrote one."""
    rng, batch, committee = g.rng, g.batch, submitted.committee
    call, staff = committee.call, submitted.landlord.staff.pk
    signers = [(user.pk, org) for user, org in co_chair_members(g.cast, submitted.region, committee)]
    member = signers[0][0] if signers else None
    deadline = min(schedule.deadline, PRESENT)
    # Some drafts are never submitted.
    if rng.random() < 0.04:
        return None
    if not life.go(life.last + days(rng, 3, 60), State.SUBMITTED, staff, "Dossier déposé.", until=deadline):
        return None
    if rng.random() < 0.08:
        if not life.go(life.last + days(rng, 5, 20), State.INCOMPLETE, member, rng.choice(texts.RETURNS)):
            return None
        completed = "Dossier complété et déposé à nouveau."
        if not life.go(life.last + days(rng, 2, 14), State.SUBMITTED, staff, completed, until=deadline):
            return None
    if rng.random() < 0.04:
        life.go(life.last + days(rng, 5, 60), State.WITHDRAWN, staff, "Dossier retiré par le porteur.")
        return None
    stage = STAGE[call.status]
    instruction = max(schedule.instruction, life.last) + days(rng, 0, 15)
    if stage < 2 or not life.go(instruction, State.IN_INSTRUCTION, member):
        return None

    programme = BudgetLine.PROGRAMME_FUNDERS
    requested = sum((amount for _, funder, amount in submitted.promised.lines if funder in programme), Decimal(0))
    cap = call.cap_per_project
    over_cap = cap is not None and requested > cap
    opinion = opinion_add(life, rng, submitted.theme, over_cap, life.last + timedelta(hours=2), member)
    # In a closed call, the committee is still at work on some dossiers.
    if len(signers) < 2 or (stage == 2 and rng.random() < 0.4):
        return opinion
    instructed_on = committee.instructed_on or date(call.year, 11, 15)
    signed = max(at(instructed_on, 15), opinion["updated_at"] + timedelta(hours=1))
    if signed > PRESENT:
        return opinion
    for order, (user, org) in enumerate(signers):
        batch.add(
            OpinionSignature,
            opinion_id=opinion["id"],
            institution_id=org,
            signed_by_id=user,
            signed_at=signed + order * timedelta(minutes=10),
        )
    life.go(signed + timedelta(minutes=10), State.OPINION_SIGNED, signers[-1][0])
    if stage < 3 or schedule.decided > PRESENT:
        return opinion

    secretariat = g.cast.secretariat.pk
    decision = decision_add(life, rng, opinion, requested, cap, schedule, secretariat)
    if decision["notified_at"] is None:
        return opinion
    outcome = Decision.Outcome(decision["outcome"])
    message = f"Décision nationale notifiée : {outcome.label.lower()}."
    life.go(decision["notified_at"], OUTCOME_STATES[outcome], secretariat, message)
    if outcome == Decision.Outcome.RETAINED:
        g.retained.append(
            (
                (submitted.region, submitted.landlord.id),
                Renewable(life.dossier["id"], life.dossier["title"], submitted.theme),
            )
        )
        follow_up(rng, life, decision, submitted.promised, staff, secretariat)
    return opinion
