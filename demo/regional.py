"""The demo's regional call: a FNAVDL call for PACA decided by its regional committee, co-chaired by the DREETS, the
DREAL and the AR Hlm, with a foundation as advisory member and the pre-instruction of two departments (Bouches-du-Rhône,
Var). Its dossiers stand at the steps a visitor comes to see: awaiting the departments' opinions, awaiting the
committee's and the advisory opinion, signed and ready to decide.

ILLUSTRATIVE: the call, its committee's people and dossiers, their figures and the SIRET numbers are made up, and each
dossier says so in its title. Project 1 is left awaiting the departments: the browser's regional path walks it from
there to its open data (tests/test_browser_regional.py)."""

from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from core.models import Call, Committee, Dossier, Membership, Organisation, Seat, StateTransition, Strand
from core.services.advisory import advisory_opinion_give
from core.services.calls import seat_add
from core.services.departmental import departmental_opinion_give
from core.services.opinions import opinion_save, opinion_sign
from demo.grants import identify
from demo.projects import DemoLogin, account, load_project, organisation

TITLE = "Appel à projets FNAVDL 2025 — Provence-Alpes-Côte d'Azur (démonstration)"
DREETS = "DREETS Provence-Alpes-Côte d'Azur"
FOUNDATION = "Fondation pour le logement des défavorisés (démonstration)"
ASSOCIATION = "Association Habitat et Accompagnement Provence (démonstration)"
# Each department's State service, by its INSEE code, and the name of its instructor.
DEPARTMENTAL_SERVICES = {
    "13": ("DDETS des Bouches-du-Rhône", "Julien", "Moreau"),
    "83": ("DDETS du Var", "Camille", "Bertrand"),
}
ILLUSTRATIVE = "(dossier illustratif)"

# Each project: its lead carrier and co-carriers, its details as demo.projects.load_project reads them, and the step it
# stands at (STEPS). The fund asks at most half the expenses, but for project 4, whose decision the call's rule warns.
PROJECTS = [
    {
        "number": 1, "title": "Accompagner vers et dans le logement entre Marseille et Toulon", "step": "submitted",
        "lead": ("LOGIREM", Organisation.Kind.LANDLORD), "co_carriers": [],
        "departments": ["13", "83"], "communes": ["Marseille", "Toulon"], "duration_years": 3,
        "strands": {Strand.ACCESS: 18, Strand.KEEPING: 12}, "publics": ["sortants d'hébergement"],
        "requested_eur": 90000, "cofunding_eur": 110000,
    },
    {
        "number": 2, "title": "Prévenir les expulsions dans le parc varois", "step": "departments_given",
        "lead": ("VAR HABITAT", Organisation.Kind.LANDLORD), "co_carriers": [],
        "departments": ["83"], "communes": ["La Seyne-sur-Mer"], "qpv": True, "duration_years": 2,
        "strands": {Strand.KEEPING: 24}, "publics": ["locataires en impayés"],
        "requested_eur": 60000, "cofunding_eur": 70000,
    },
    {
        "number": 3, "title": "Bail glissant pour des jeunes sortant de l'aide sociale à l'enfance", "step": "signed",
        "lead": (ASSOCIATION, Organisation.Kind.ASSOCIATION), "co_carriers": ["ERILIA"],
        "departments": ["13"], "communes": ["Aix-en-Provence"], "duration_years": 3,
        "strands": {Strand.ACCESS: 15}, "publics": ["jeunes de moins de 25 ans"],
        "requested_eur": 75000, "cofunding_eur": 80000,
    },
    {
        "number": 4, "title": "Logement d'abord pour des personnes à la rue à Toulon", "step": "submitted",
        "lead": ("LOGEO MEDITERRANEE", Organisation.Kind.LANDLORD), "co_carriers": [],
        "departments": ["83"], "communes": ["Toulon"], "duration_years": 2,
        "strands": {Strand.ACCESS: 10}, "publics": ["personnes sans domicile"],
        "requested_eur": 120000, "cofunding_eur": 40000,
    },
]  # fmt: skip


def regional_committee(past: Committee) -> Committee:
    """The call and its committee, seated: the AR Hlm and the DREAL that co-chaired PACA's 2018 committee, with the
    DREETS since 2020, and the foundation's advisory seat."""
    ar_hlm, dreal = past.institutions
    dreets = organisation(DREETS, Organisation.Kind.STATE_SERVICE)
    # The DREETS signs the regional agreements: the open data name it, with its SIRET.
    identify(dreets, 2)
    call, _ = Call.objects.update_or_create(
        title=TITLE,
        defaults={
            "year": 2025,
            "status": Call.Status.CLOSED,
            "process": Call.Process.REGIONAL,
            "departmental_preinstruction": True,
            "advisory_opinions_published": True,
            "cap_per_project": Decimal(150000),
            "max_duration_years": 3,
            "strands": [strand.value for strand in Strand],
            "grantor": dreets,
        },
    )
    committee, _ = Committee.objects.update_or_create(
        call=call, region=past.region, defaults={"name": past.get_region_display(), "envelope": Decimal(400000)}
    )
    foundation = organisation(FOUNDATION, Organisation.Kind.OTHER, legal_form=Organisation.LegalForm.FOUNDATION)
    seats = [(ar_hlm, Seat.Kind.CO_CHAIR), (dreets, Seat.Kind.CO_CHAIR), (dreal, Seat.Kind.CO_CHAIR)]
    for org, kind in [*seats, (foundation, Seat.Kind.ADVISORY)]:
        if committee.seat_of(org.pk) is None:
            seat_add(committee=committee, organisation=org, kind=kind)
    return committee


def _people(committee: Committee) -> tuple[list[DemoLogin], dict[str, User]]:
    """The committee's new roles, one account each; the AR Hlm's and the DREAL's members are the 2018 ones."""
    dreets, foundation = committee.institutions[1], committee.advisers[0]
    people = [
        ("dreets.paca", "Nadia", "Ferrand", dreets, Membership.Role.COMMITTEE_MEMBER, ""),
        ("fondation.logement", "Paul", "Garnier", foundation, Membership.Role.COMMITTEE_MEMBER, ""),
    ]
    people += [
        (f"ddets.{code}", first_name, last_name,
         organisation(name, Organisation.Kind.DEPARTMENTAL_SERVICE), Membership.Role.DEPARTMENTAL_INSTRUCTOR, code)
        for code, (name, first_name, last_name) in DEPARTMENTAL_SERVICES.items()
    ]  # fmt: skip
    logins, users = [], {}
    for username, first_name, last_name, org, role, department in people:
        user = users[username] = account(username, first_name, last_name)
        Membership.objects.get_or_create(
            user=user, organisation=org, role=role, committee=committee, department=department
        )
        logins.append(DemoLogin(username, Membership.Role(role).label, str(org)))
    return logins, users


def _carrier(name: str, kind: str, seed: int) -> Organisation:
    association = kind == Organisation.Kind.ASSOCIATION
    carrier = organisation(name, kind, **({"legal_form": Organisation.LegalForm.ASSOCIATION} if association else {}))
    # Its grant published, a carrier's number is in the open data.
    identify(carrier, seed)
    return carrier


def _dossier(committee: Committee, project: dict) -> tuple[Dossier, bool]:
    """The project submitted to the committee, and whether it is new."""
    title = f"{project['title']} {ILLUSTRATIVE}"
    dossier = committee.dossiers.filter(number=project["number"]).first()
    if dossier is None:
        lead = _carrier(*project["lead"], seed=200 + project["number"])
        dossier = Dossier.objects.create(
            call=committee.call, committee=committee, number=project["number"], title=title, lead_landlord=lead,
            state=Dossier.State.SUBMITTED, submitted_at=timezone.now(),
        )  # fmt: skip
        dossier.co_landlords.set([organisation(name, Organisation.Kind.LANDLORD) for name in project["co_carriers"]])
        StateTransition.objects.create(dossier=dossier, to_state=dossier.state, message="Dossier de démonstration.")
        load_project(dossier, project)
        return dossier, True
    load_project(dossier, project)
    return dossier, False


def _departments_given(dossier: Dossier, users: dict[str, User]) -> None:
    for territory in dossier.territories.all():
        reserved = territory.department == "13"
        departmental_opinion_give(
            dossier=dossier, department=territory.department,
            verdict="reserve" if reserved else "favorable",
            reasons="Le bail glissant doit prévoir la sortie vers un bail direct dans les 18 mois." if reserved else "",
            by=users[f"ddets.{territory.department}"],
        )  # fmt: skip


def _signed(dossier: Dossier, users: dict[str, User]) -> None:
    """The departments', the foundation's and the committee's opinions, signed by the three co-chairs."""
    _departments_given(dossier, users)
    advisory_opinion_give(
        dossier=dossier,
        text="Un besoin réel pour les jeunes sortant de l'ASE ; la fondation soutient le projet.",
        by=users["fondation.logement"],
    )
    chairs = [User.objects.get(username=name) for name in ("arhlm.paca", "dreets.paca", "dreal.paca")]
    opinion_save(dossier=dossier, by=chairs[0], expected_revision=0, verdict="favorable",
                 questions="La sortie vers un bail direct est-elle garantie ?",
                 remarks="Projet partenarial solide entre une association et un bailleur Hlm.",
                 retained=True, rank="P1")  # fmt: skip
    for chair in chairs:
        opinion_sign(dossier=dossier, by=chair)


STEPS = {"submitted": lambda dossier, users: None, "departments_given": _departments_given, "signed": _signed}


def demo_regional(committee: Committee) -> list[DemoLogin]:
    """The committee's accounts, and its dossiers brought to their steps once, when first created."""
    logins, users = _people(committee)
    for project in PROJECTS:
        dossier, created = _dossier(committee, project)
        if created:
            STEPS[project["step"]](dossier, users)
    return logins
