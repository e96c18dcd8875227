"""The demo: the PACA 2018 avis conjoint, the projects' details, and one account per role."""

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils.text import slugify

from core.models import (
    BudgetLine,
    Call,
    Committee,
    Dossier,
    DossierStrand,
    Membership,
    Organisation,
    Public,
    Seat,
    Strand,
    Territory,
)
from core.services.budgets import requested_refresh
from core.services.calls import seat_add
from core.services.organisations import organisation_get_or_create
from demo.auth import DEMO_GROUP
from demo.grants import demo_grants
from documents.joint_opinion_import import joint_opinion_import
from documents.joint_opinion_parser import decode, parse

DATA = Path(__file__).resolve().parent / "data"
SEED = DATA / "avis-conjoint-paca-2018.txt"
DETAILS = DATA / "paca-2018-details.toml"
PASSWORD = "demo-aap-2018"


@dataclass
class DemoLogin:
    username: str
    role: str
    organisation: str


def _spread(total: int, years: int) -> list[int]:
    """Split a total over the years, the remainder going to the first years."""
    base, extra = divmod(total, years)
    return [base + (1 if year < extra else 0) for year in range(years)]


def _organisation(name: str, kind: str) -> Organisation:
    return organisation_get_or_create(name=name, kind=kind)[0]


def _load_project(dossier: Dossier, details: dict) -> None:
    years = details.get("duration_years") or 1
    if (dossier.duration_years, dossier.renewal_note) != (years, details.get("renews", "")):
        dossier.duration_years, dossier.renewal_note = years, details.get("renews", "")
        dossier.save()
    dossier.partners.set([_organisation(name, Organisation.Kind.ASSOCIATION) for name in details.get("partners", [])])
    dossier.publics.set([Public.objects.get_or_create(name=name)[0] for name in details.get("publics", [])])

    dossier.strands.all().delete()
    DossierStrand.objects.bulk_create(
        DossierStrand(dossier=dossier, strand=strand, year=year, households=households)
        for strand, total in details.get("strands", {}).items()
        for year, households in enumerate(_spread(total, years), start=1)
    )
    dossier.territories.all().delete()
    communes = details.get("communes", [])
    Territory.objects.bulk_create(
        Territory(
            dossier=dossier,
            department=department,
            commune=communes[0] if communes and index == 0 else "",
            qpv=details.get("qpv", False),
        )
        for index, department in enumerate(details.get("departments", []))
    )
    dossier.budget_lines.all().delete()
    lines = []
    for funder, key in ((BudgetLine.Funder.FNAVDL, "requested_eur"), (BudgetLine.Funder.OWN_FUNDS, "cofunding_eur")):
        for year, amount in enumerate(_spread(details.get(key, 0), years), start=1):
            lines.append(BudgetLine(dossier=dossier, year=year, funder=funder, amount=Decimal(amount)))
    BudgetLine.objects.bulk_create(lines)
    requested_refresh(Dossier.objects.filter(pk=dossier.pk))


def _load_details(committee: Committee, details: dict) -> None:
    call = committee.call
    call_details = details["call"]
    call.title = call_details["title"]
    call.edition = call_details["edition"]
    call.year = call_details["year"]
    call.cap_per_project = Decimal(call_details["cap_per_project_eur"])
    call.max_duration_years = call_details["max_duration_years"]
    call.national_envelope = Decimal(call_details["national_envelope_eur"])
    call.save()

    # The committee's co-chairs as the import seated them: the AR Hlm, then the State's service.
    for org, short_name in zip(committee.institutions, details["committee"]["institutions"], strict=True):
        org.short_name = short_name
        org.save()

    dossiers = {d.number: d for d in committee.dossiers.all()}
    for project in details["project"]:
        _load_project(dossiers[project["number"]], project)


def _open_call(committee: Committee) -> Committee:
    """A call open to submissions, so that the demo's landlords can draft and submit a dossier."""
    past = committee.call
    call, _ = Call.objects.update_or_create(
        edition=past.edition + 1,
        defaults={
            "title": f"{past.edition + 1}e appel à projets 10 000 logements HLM accompagnés (démonstration)",
            "year": past.year + 1,
            "status": Call.Status.OPEN,
            "cap_per_project": past.cap_per_project,
            "max_duration_years": past.max_duration_years,
            "national_envelope": past.national_envelope,
            "strands": [strand.value for strand in Strand],
        },
    )
    call.publics.set(Public.objects.filter(dossiers__committee=committee).distinct())
    open_committee, _ = Committee.objects.update_or_create(
        call=call,
        region=committee.region,
        defaults={"name": committee.name},
    )
    for org in committee.institutions:
        if open_committee.seat_of(org.pk) is None:
            seat_add(committee=open_committee, organisation=org, kind=Seat.Kind.CO_CHAIR)
    return open_committee


def _account(username: str, first_name: str, last_name: str, group: Group) -> User:
    user, _ = User.objects.get_or_create(username=username)
    user.first_name, user.last_name = first_name, last_name
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(group)
    return user


def _accounts(committee: Committee, open_committee: Committee) -> list[DemoLogin]:
    group, _ = Group.objects.get_or_create(name=DEMO_GROUP)
    national = _organisation("Secrétariat national de l'appel à projets", Organisation.Kind.NATIONAL)
    foundation = _organisation("Fondation partenaire (démonstration)", Organisation.Kind.OTHER)
    people = [
        ("secretariat", "Claire", "Martin", national, Membership.Role.SECRETARIAT, [None]),
        ("expert.fondation", "Hélène", "Roux", foundation, Membership.Role.EXPERT, [None]),
    ]
    people += [
        (username, first, last, org, Membership.Role.COMMITTEE_MEMBER, [committee, open_committee])
        for (username, first, last), org in zip(
            (("arhlm.paca", "Karim", "Benali"), ("dreal.paca", "Sophie", "Durand")), committee.institutions, strict=True
        )
    ]
    landlords = Organisation.objects.filter(led_dossiers__committee=committee).distinct().order_by("name")
    people += [
        (slugify(org.name), "Porteur", org.name.title(), org, Membership.Role.LANDLORD_STAFF, [None])
        for org in landlords
    ]
    logins = []
    for username, first_name, last_name, org, role, committees in people:
        user = _account(username, first_name, last_name, group)
        for member_of in committees:
            Membership.objects.get_or_create(user=user, organisation=org, role=role, committee=member_of)
        logins.append(DemoLogin(username, Membership.Role(role).label, str(org)))
    return logins


@transaction.atomic
def demo_setup() -> list[DemoLogin]:
    text = decode(SEED.read_bytes())
    result = joint_opinion_import(document=parse(text), source=text)
    _load_details(result.committee, tomllib.loads(DETAILS.read_text(encoding="utf-8")))
    logins = _accounts(result.committee, _open_call(result.committee))
    secretariat = User.objects.get(username="secretariat")
    national = Organisation.objects.get(memberships__user=secretariat)
    demo_grants(result.committee.call, national, secretariat)
    return logins
