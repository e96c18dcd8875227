import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import override_settings

from api.tokens import token_create
from core.models import (
    AdvisoryOpinion,
    Call,
    Committee,
    DepartmentalOpinion,
    Dossier,
    Membership,
    Opinion,
    Organisation,
    Seat,
)
from demo.auth import DEMO_GROUP
from demo.projects import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_refused_outside_demo_mode():
    with override_settings(DEMO=False), pytest.raises(CommandError, match="demo mode"):
        call_command("demo")
    assert not User.objects.exists()


@override_settings(DEMO=True)
def test_sets_up_the_paca_call_and_one_account_per_role(capsys):
    call_command("demo")
    output = capsys.readouterr().out

    committee = Committee.objects.get(call__edition=4)
    assert committee.get_region_display() == "Provence-Alpes-Côte d'Azur"
    assert [str(org) for org in committee.institutions] == ["AR Hlm PACA & Corse", "DREAL PACA"]
    assert committee.call.cap_per_project == 200000
    dossiers = {d.number: d for d in committee.dossiers.all()}
    assert len(dossiers) == 7
    assert dossiers[5].requested == 260000  # over the cap, as the seed's remark says
    assert sum(s.households for s in dossiers[3].strands.all()) == 30
    assert dossiers[3].strands.filter(year=1).count() == 2
    assert {p.name for p in dossiers[3].publics.all()} == {"troubles psychiques", "troubles autistiques"}
    assert dossiers[1].renewal_note

    # A second call is open, so that the demo's landlords can draft and submit.
    open_committee = Committee.objects.get(call__status=Call.Status.OPEN)
    assert open_committee.institutions == committee.institutions
    assert set(open_committee.memberships.values_list("user__username", flat=True)) == {"arhlm.paca", "dreal.paca"}

    roles = dict(Membership.objects.values_list("user__username", "role"))
    assert roles["dreets.paca"] == roles["fondation.logement"] == Membership.Role.COMMITTEE_MEMBER
    assert roles["ddets.13"] == roles["ddets.83"] == Membership.Role.DEPARTMENTAL_INSTRUCTOR
    assert roles["secretariat"] == Membership.Role.SECRETARIAT
    assert roles["arhlm.paca"] == roles["dreal.paca"] == Membership.Role.COMMITTEE_MEMBER
    assert roles["expert.fondation"] == Membership.Role.EXPERT
    landlord_accounts = [name for name, role in roles.items() if role == Membership.Role.LANDLORD_STAFF]
    assert len(landlord_accounts) == 6
    for username in roles:
        assert username in output
    assert PASSWORD in output


@override_settings(DEMO=True)
def test_sets_up_a_regional_call_with_its_departments_and_advisory_member():
    call_command("demo")

    committee = Committee.objects.get(call__process=Call.Process.REGIONAL)
    call = committee.call
    assert (call.status, call.departmental_preinstruction, call.advisory_opinions_published) == (
        Call.Status.CLOSED,
        True,
        True,
    )
    assert committee.envelope == 400000
    # The 2018 committee's co-chairs sit again, with the DREETS; the foundation has an advisory seat.
    past = Committee.objects.get(call__edition=4)
    assert [str(org) for org in committee.institutions] == [
        "AR Hlm PACA & Corse",
        "DREETS Provence-Alpes-Côte d'Azur",
        "DREAL PACA",
    ]
    assert committee.institutions[::2] == past.institutions
    assert [org.name for org in committee.advisers] == ["Fondation pour le logement des défavorisés (démonstration)"]
    members = committee.memberships.filter(role=Membership.Role.COMMITTEE_MEMBER)
    assert set(members.values_list("user__username", flat=True)) == {
        "arhlm.paca",
        "dreets.paca",
        "dreal.paca",
        "fondation.logement",
    }
    instructors = committee.memberships.filter(role=Membership.Role.DEPARTMENTAL_INSTRUCTOR)
    assert sorted(instructors.values_list("user__username", "department", "organisation__kind")) == [
        ("ddets.13", "13", Organisation.Kind.DEPARTMENTAL_SERVICE),
        ("ddets.83", "83", Organisation.Kind.DEPARTMENTAL_SERVICE),
    ]

    dossiers = {d.number: d for d in committee.dossiers.all()}
    assert all(d.title.endswith("(dossier illustratif)") for d in dossiers.values())
    assert {t.department for d in dossiers.values() for t in d.territories.all()} == {"13", "83"}
    # Awaiting both departments; awaiting the committee and the foundation; signed by the three co-chairs.
    assert (dossiers[1].state, dossiers[1].departmental_opinions.count()) == (Dossier.State.SUBMITTED, 0)
    assert [o.department for o in dossiers[2].departmental_opinions.all()] == ["83"]
    assert not dossiers[2].advisory_opinions.exists() and not hasattr(dossiers[2], "opinion")
    assert dossiers[3].state == Dossier.State.OPINION_SIGNED
    assert dossiers[3].opinion.signatures.count() == 3 and dossiers[3].advisory_opinions.count() == 1
    # An association leads it, with an Hlm landlord as co-carrier.
    assert dossiers[3].lead_landlord.kind == Organisation.Kind.ASSOCIATION
    assert [org.is_hlm for org in dossiers[3].co_landlords.all()] == [True]
    # The fund asks more than half the expenses of project 4 only: its decision will warn.
    over_half = [
        d.number for d in dossiers.values() if d.requested * 2 > sum(line.amount for line in d.budget_lines.all())
    ]
    assert over_half == [4]


@override_settings(DEMO=True)
def test_running_it_again_changes_nothing():
    # What each call writes once: its committees' seats, its dossiers and their opinions, its accounts.
    rows = [model.objects for model in (User, Call, Seat, Dossier, Membership, DepartmentalOpinion, AdvisoryOpinion)]
    rows += [Opinion.objects, Dossier.history]
    call_command("demo")
    counts = [manager.count() for manager in rows]
    call_command("demo")
    assert [manager.count() for manager in rows] == counts


def test_demo_accounts_log_in_only_in_demo_mode(client):
    with override_settings(DEMO=True):
        call_command("demo")
        assert client.login(username="arhlm.paca", password=PASSWORD)
        assert client.get("/").status_code == 200
    # The same session, and a new login, are refused once demo mode is off.
    with override_settings(DEMO=False):
        assert client.get("/").status_code == 302
        assert not client.login(username="arhlm.paca", password=PASSWORD)


def test_one_rule_for_password_token_and_session(client, settings):
    """Outside demo mode a demo account is refused at every door: the login form, an API token it made
    while in demo mode, and the session it opened then. A regular account keeps all three."""
    settings.DEMO = True
    demo_account = UserFactory(username="demo.bailleur")
    demo_account.groups.add(Group.objects.create(name=DEMO_GROUP))
    regular = UserFactory(username="agent")
    tokens = {user: token_create(user=user, name="script")[1] for user in (demo_account, regular)}
    password = "correct horse battery staple"
    assert client.login(username="demo.bailleur", password=password)
    assert client.get("/api/v1/dossiers").status_code == 200

    settings.DEMO = False
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/dossiers").status_code == 401
    assert not client.login(username="demo.bailleur", password=password)
    refused = client.get("/api/v1/dossiers", headers={"Authorization": f"Bearer {tokens[demo_account]}"})
    assert (refused.status_code, refused.json()) == (
        401,
        {"detail": "Jeton d'accès refusé : ce compte ne peut plus se connecter."},
    )

    assert client.get("/api/v1/dossiers", headers={"Authorization": f"Bearer {tokens[regular]}"}).status_code == 200
    assert client.login(username="agent", password=password)
    assert client.get("/").status_code == 200
