"""The demo: the PACA 2018 avis conjoint, the projects' details, a regional FNAVDL call (demo/regional.py), and one
account per role."""

import tomllib
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.text import slugify

from core.models import Call, Committee, Membership, Organisation, Public, Seat, Strand
from core.services.calls import seat_add
from demo.grants import demo_grants
from demo.projects import DemoLogin, account, load_project, organisation
from demo.regional import demo_regional, regional_committee
from documents.joint_opinion_import import joint_opinion_import
from documents.joint_opinion_parser import decode, parse

DATA = Path(__file__).resolve().parent / "data"
SEED = DATA / "avis-conjoint-paca-2018.txt"
DETAILS = DATA / "paca-2018-details.toml"


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
        load_project(dossiers[project["number"]], project)


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


def _accounts(committee: Committee, others: list[Committee]) -> list[DemoLogin]:
    """One account per role; the PACA co-chairs' members sit on each of the demo's PACA committees."""
    national = organisation("Secrétariat national de l'appel à projets", Organisation.Kind.NATIONAL)
    foundation = organisation("Fondation partenaire (démonstration)", Organisation.Kind.OTHER)
    people = [
        ("secretariat", "Claire", "Martin", national, Membership.Role.SECRETARIAT, [None]),
        ("expert.fondation", "Hélène", "Roux", foundation, Membership.Role.EXPERT, [None]),
    ]
    people += [
        (username, first, last, org, Membership.Role.COMMITTEE_MEMBER, [committee, *others])
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
        user = account(username, first_name, last_name)
        for member_of in committees:
            Membership.objects.get_or_create(user=user, organisation=org, role=role, committee=member_of)
        logins.append(DemoLogin(username, Membership.Role(role).label, str(org)))
    return logins


@transaction.atomic
def demo_setup() -> list[DemoLogin]:
    text = decode(SEED.read_bytes())
    result = joint_opinion_import(document=parse(text), source=text)
    _load_details(result.committee, tomllib.loads(DETAILS.read_text(encoding="utf-8")))
    regional = regional_committee(result.committee)
    logins = _accounts(result.committee, [_open_call(result.committee), regional])
    secretariat = User.objects.get(username="secretariat")
    national = Organisation.objects.get(memberships__user=secretariat)
    demo_grants(result.committee.call, national, secretariat)
    return logins + demo_regional(regional)
