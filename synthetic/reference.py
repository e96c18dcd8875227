"""The cast of a synthetic history: calls, committees, organisations, publics and the users who act.

Everything here is looked up by its natural key first (edition, region, name, username), so that a run
adds to whatever the database holds (the demo, an earlier run) instead of colliding with it.
"""

import math
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from random import Random
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import models
from django.db.models import prefetch_related_objects
from django.utils.text import slugify

from core.models import Call, Committee, Membership, Organisation, Public, Seat, Strand
from core.regions import SHORT_NAMES
from core.text import name_key
from synthetic.batch import Batch, Ids, batch_write
from synthetic.places import PLACES, Institution, Place, ar_hlm, state_service
from synthetic.texts import THEMES

PARIS = ZoneInfo("Europe/Paris")
# The synthetic history stops here: nothing dated later has happened yet. Fixed, so that a seed always
# gives the same rows; the latest call is open on that day.
PRESENT = datetime(2026, 6, 15, 12, 0, tzinfo=PARIS)
# One call per edition; the programme skipped 2017, which makes 2018 the 4th call, as in the demo.
YEARS = (2014, 2015, 2016, *range(2018, PRESENT.year + 1))
# Dossiers per call, relative: the programme grew, and the open call is still filling up.
CALL_WEIGHTS = (3, 4, 5, 6, 7, 8, 8, 9, 9, 10, 10, 7)
LANDLORDS = 400
PREFIX = "synthetique"
USERS_JOINED = datetime(2014, 1, 6, 9, 0, tzinfo=PARIS)
# Above the share of the envelope a dossier usually receives, so that most calls stay within it.
ENVELOPE_PER_DOSSIER = Decimal(45_000)


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


@dataclass(frozen=True)
class Schedule:
    """A call's calendar, derived from its year as in the PACA 2018 call (instruction in November)."""

    opens: datetime
    deadline: datetime
    instruction: datetime
    decided: datetime
    notified: datetime

    @classmethod
    def of(cls, year: int) -> "Schedule":
        return cls(
            opens=at(date(year, 3, 1)),
            deadline=at(date(year, 10, 15), 18),
            instruction=at(date(year, 10, 16)),
            decided=at(date(year, 12, 10), 10),
            notified=at(date(year, 12, 17), 9, 30),
        )


def seeded_uuid(rng: Random) -> uuid.UUID:
    """Models default their UUID fields to uuid4(); synthetic rows take them from the seed instead."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass
class Landlord:
    id: int
    name: str
    staff: User
    # How many dossiers it carries compared with the others of its region: a few large landlords carry many.
    weight: float


@dataclass
class Cast:
    publics: dict[str, int]
    # The id of every organisation, existing or created, by its name as compared (core.text.name_key).
    organisations: dict[str, int]
    landlords: dict[str, list[Landlord]] = field(default_factory=dict)
    # Per region, the users who act for its AR Hlm and for its State service, by the kind of organisation.
    members: dict[str, dict[str, User]] = field(default_factory=dict)
    secretariat: User | None = None

    def organisation(self, batch: Batch, name: str, kind: str, **values) -> int:
        """The id of the organisation of that name, added to the batch when new (`values` apply only then)."""
        key = name_key(name)
        if key not in self.organisations:
            self.organisations[key] = batch.add(Organisation, name=name, folded_name=key, kind=kind, **values)["id"]
        return self.organisations[key]


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split a total in proportion to the weights, exactly (largest remainders)."""
    shares = [total * weight / sum(weights) for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _users(specs: list[tuple[str, str, str]]) -> dict[str, User]:
    """Users by username, created when missing, with no usable password: they act in the history only."""
    existing = {user.username: user for user in User.objects.filter(username__in=[s[0] for s in specs])}
    missing = [
        User(
            username=username,
            first_name=first_name,
            last_name=last_name[:150],
            password=f"!{PREFIX}",
            date_joined=USERS_JOINED,
        )
        for username, first_name, last_name in specs
        if username not in existing
    ]
    User.objects.bulk_create(missing)
    return existing | {user.username: user for user in missing}


def _memberships_add(rows: list[Membership]) -> None:
    """Add the memberships not already there (a NULL committee escapes the unique constraint)."""
    present = set(
        Membership.objects.filter(user__in={row.user_id for row in rows}).values_list(
            "user_id", "organisation_id", "role", "committee_id"
        )
    )
    Membership.objects.bulk_create(
        row for row in rows if (row.user_id, row.organisation_id, row.role, row.committee_id) not in present
    )


def _institution(cast: Cast, batch: Batch, institution: Institution, kind: str) -> int:
    values = {"short_name": institution.short_name, "letterhead": institution.letterhead}
    return cast.organisation(batch, institution.name, kind, **values)


_FORMS = {
    Organisation.LegalForm.OPH: ("{department} Habitat", "{town} Habitat", "Office public de l'habitat de {town}"),
    Organisation.LegalForm.ESH: (
        "Immobilière {region}",
        "Logis {department}",
        "Le Foyer de {town}",
        "Toit {region}",
        "Résidences {department}",
        "{town} Logement",
        "Maisons {department}",
    ),
    Organisation.LegalForm.SEM: ("SEM {town} Habitat", "Société d'économie mixte immobilière de {town}"),
    Organisation.LegalForm.COOP: ("Coopérative Hlm {department}", "{town} Coop'Habitat", "Habitat coopératif {region}"),
}


def _landlord_name(rng: Random, place: Place, legal_form: str, taken: dict) -> str:
    for _ in range(20):
        department = rng.choice(place.departments)
        name = rng.choice(_FORMS[legal_form]).format(
            department=department.name, town=rng.choice(department.towns), region=place.abbreviation
        )
        if name_key(name) not in taken:
            return name
    # A region whose names are all taken (by an earlier run): number them, as "Logis Ain 2".
    suffix = 2
    while name_key(f"{name} {suffix}") in taken:
        suffix += 1
    return f"{name} {suffix}"


def _landlords(rng: Random, cast: Cast, batch: Batch) -> dict[str, list[tuple[int, str, float]]]:
    forms, form_weights = list(_FORMS), [35, 45, 10, 10]
    by_region = {}
    for place, count in zip(PLACES, apportion(LANDLORDS, [p.weight for p in PLACES]), strict=True):
        landlords = []
        for _ in range(max(count, 3)):
            legal_form = rng.choices(forms, form_weights)[0]
            name = _landlord_name(rng, place, legal_form, cast.organisations)
            org = cast.organisation(batch, name, Organisation.Kind.LANDLORD, legal_form=legal_form)
            landlords.append((org, name, rng.paretovariate(1.5)))
        by_region[place.region] = landlords
    return by_region


def cast_setup(rng: Random, ids: Ids) -> Cast:
    names = [name for theme in THEMES for name in theme.publics]
    existing = dict(Public.objects.filter(name__in=names).values_list("name", "pk"))
    created = Public.objects.bulk_create(Public(name=name) for name in dict.fromkeys(names) if name not in existing)
    cast = Cast(
        publics=existing | {public.name: public.pk for public in created},
        organisations=dict(Organisation.objects.values_list("folded_name", "pk")),
    )
    batch = Batch(ids)
    national = cast.organisation(batch, "Secrétariat national de l'appel à projets", Organisation.Kind.NATIONAL)
    landlords = _landlords(rng, cast, batch)
    batch_write(batch)

    specs = [(f"{PREFIX}.secretariat", "Secrétariat", "national")]
    specs += [(_staff_username(org, name), "Porteur", name) for region in landlords.values() for org, name, _ in region]
    users = _users(specs)
    cast.secretariat = users[specs[0][0]]
    cast.landlords = {
        region: [Landlord(org, name, users[_staff_username(org, name)], weight) for org, name, weight in rows]
        for region, rows in landlords.items()
    }
    role = Membership.Role
    rows = [Membership(user=cast.secretariat, organisation_id=national, role=role.SECRETARIAT)]
    rows += [
        Membership(user=landlord.staff, organisation_id=landlord.id, role=role.LANDLORD_STAFF)
        for region in cast.landlords.values()
        for landlord in region
    ]
    _memberships_add(rows)
    return cast


def _staff_username(org: int, name: str) -> str:
    # The organisation's id keeps apart two names that slugify alike ("Logis Ain", "Logis-Ain").
    return f"{PREFIX}.{slugify(name)[:100]}.{org}"


@dataclass(frozen=True)
class CallShape:
    year: int
    dossiers: int
    # The call's place among those of its year, counted from the year's last (0): what seeds its dossiers'
    # draws, so that the latest calls come out the same whatever the history written before them.
    rank: int


def calls_shape(dossiers: int, call_size: int | None = None, large_call: int = 0) -> list[CallShape]:
    """The calls of the history, oldest first. By default one call a year since 2014, the programme growing
    (CALL_WEIGHTS): a larger history makes larger calls. With `call_size`, calls of that many dossiers (the oldest
    holds what remains), as many as the dossiers make: the open call alone in the latest year, the others as many
    each year from the one before back, several a year when they outnumber the years. The latest calls keep their
    size, and a larger history adds calls before them, not open calls. `large_call`: one more call of that many
    dossiers, the first of PRESENT.year - 2 (decided)."""
    if call_size is None:
        return [
            CallShape(year, count, 0)
            for year, count in zip(YEARS, apportion(dossiers, list(CALL_WEIGHTS)), strict=True)
        ]
    if not 0 <= large_call <= dossiers:
        raise ValueError("The large call cannot hold more dossiers than the history.")
    rest = dossiers - large_call
    sizes = [rest % call_size] * bool(rest % call_size) + [call_size] * (rest // call_size)
    past = len(sizes) - 1
    per_year = max(1, math.ceil(past / (len(YEARS) - 1)))
    years = [YEARS[-2 - (past - 1 - index) // per_year] for index in range(past)] + [YEARS[-1]] * bool(sizes)
    if large_call:
        year = PRESENT.year - 2
        at_index = next((index for index, other in enumerate(years) if other >= year), len(years))
        years.insert(at_index, year)
        sizes.insert(at_index, large_call)
    ranks, later = [], Counter()
    for year in reversed(years):
        ranks.append(later[year])
        later[year] += 1
    return [CallShape(*call) for call in zip(years, sizes, reversed(ranks), strict=True)]


def calls_setup(uuids: Random, cast: Cast, shape: list[CallShape]) -> list[Call]:
    """The calls of the shape; an edition already in the database is taken as it is."""
    existing = {call.edition: call for call in Call.objects.filter(edition__in=range(1, len(shape) + 1))}
    calls, created = [], []
    for edition, shaped in enumerate(shape, 1):
        year, count = shaped.year, shaped.dossiers
        if edition in existing:
            calls.append(existing[edition])
            continue
        if year == YEARS[-1]:
            status = Call.Status.OPEN
        else:
            status = Call.Status.DECIDED if year >= PRESENT.year - 3 else Call.Status.ARCHIVED
        schedule = Schedule.of(year)
        call = Call(
            title=f"{edition}{'er' if edition == 1 else 'e'} appel à projets 10 000 logements HLM accompagnés",
            edition=edition,
            year=year,
            status=status,
            opens_on=schedule.opens.date(),
            submission_deadline=schedule.deadline,
            instruction_deadline=date(year, 11, 30),
            national_envelope=Decimal(max(2, math.ceil(count * ENVELOPE_PER_DOSSIER / 500_000)) * 500_000),
            cap_per_project=Decimal(150_000 if year < 2018 else 200_000),
            max_duration_years=3,
            strands=[strand.value for strand in Strand],
            uuid=seeded_uuid(uuids),
        )
        calls.append(call)
        created.append(call)
    Call.objects.bulk_create(created)
    Call.publics.through.objects.bulk_create(
        Call.publics.through(call_id=call.pk, public_id=public) for call in created for public in cast.publics.values()
    )
    return calls


@dataclass
class CommitteePlan:
    committee: Committee
    place: Place
    created: bool
    # Dossier numbers go on from the committee's last one.
    next_number: int


def committees_setup(rng: Random, uuids: Random, ids: Ids, cast: Cast, calls: list[Call]) -> list[list[CommitteePlan]]:
    """One committee per call and region, co-chaired by the same two institutions year after year."""
    batch = Batch(ids)
    institutions = {}
    for place in PLACES:
        latest = (
            Committee.objects.filter(region=place.region)
            .filter(_co_chaired_by(Organisation.Kind.AR_HLM))
            .filter(_co_chaired_by(Organisation.Kind.STATE_SERVICE))
            .order_by("-call__year", "-pk")
            .first()
        )
        institutions[place.region] = (
            [org.pk for org in latest.institutions]
            if latest
            else [
                _institution(cast, batch, ar_hlm(place), Organisation.Kind.AR_HLM),
                _institution(cast, batch, state_service(place), Organisation.Kind.STATE_SERVICE),
            ]
        )
    batch_write(batch)

    existing = Committee.objects.filter(call__in=calls).prefetch_related("seats")
    by_region = {(c.call_id, c.region): c for c in existing}
    by_name = {(c.call_id, c.name.casefold()): c for c in existing}
    last_numbers = dict(
        existing.values("pk").annotate(last=models.Max("dossiers__number")).values_list("pk", "last").order_by()
    )
    plans, created = [], []
    for call in calls:
        call_plans = []
        for place in PLACES:
            committee = by_region.get((call.pk, place.region)) or by_name.get((call.pk, place.region.label.casefold()))
            if committee is None:
                committee = Committee(
                    call=call,
                    name=place.region.label,
                    region=place.region,
                    instructed_on=date(call.year, 11, rng.randint(3, 28)) if call.status != Call.Status.OPEN else None,
                    uuid=seeded_uuid(uuids),
                )
                created.append(committee)
            number = (last_numbers.get(committee.pk) or 0) + 1
            call_plans.append(CommitteePlan(committee, place, committee.pk is None, number))
        plans.append(call_plans)
    Committee.objects.bulk_create(created)
    Seat.objects.bulk_create(
        Seat(committee=committee, organisation_id=org, kind=Seat.Kind.CO_CHAIR, position=position)
        for committee in created
        for position, org in enumerate(institutions[committee.region], start=1)
    )
    # Every committee's co-chairs, read once: each dossier's signers are theirs.
    prefetch_related_objects([plan.committee for call_plans in plans for plan in call_plans], "seats")

    members = _users(
        [
            (f"{PREFIX}.{kind}.{SHORT_NAMES[place.region]}", kind_label, place.region.label)
            for place in PLACES
            for kind, kind_label in (("arhlm", "Membre AR Hlm"), ("etat", "Membre État"))
        ]
    )
    cast.members = {
        place.region: {
            Organisation.Kind.AR_HLM: members[f"{PREFIX}.arhlm.{SHORT_NAMES[place.region]}"],
            Organisation.Kind.STATE_SERVICE: members[f"{PREFIX}.etat.{SHORT_NAMES[place.region]}"],
        }
        for place in PLACES
    }
    _memberships_add(
        [
            Membership(user=user, organisation_id=org, role=Membership.Role.COMMITTEE_MEMBER, committee=plan.committee)
            for call_plans in plans
            for plan in call_plans
            for user, org in co_chair_members(cast, plan.place.region, plan.committee)
        ]
    )
    return plans


def _co_chaired_by(kind: str) -> models.Q:
    return models.Q(seats__kind=Seat.Kind.CO_CHAIR, seats__organisation__kind=kind)


def co_chair_members(cast: Cast, region: str, committee: Committee) -> list[tuple[User, int]]:
    """The committee's co-chairs (their ids), each with the region's synthetic member who signs for it: one per
    kind."""
    members = dict(cast.members[region])
    return [(members.pop(org.kind), org.pk) for org in committee.institutions if org.kind in members]
