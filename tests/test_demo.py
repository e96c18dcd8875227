import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import override_settings

from api.tokens import token_create
from core.models import Call, Committee, Dossier, Membership
from demo.auth import DEMO_GROUP
from demo.setup import PASSWORD
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
    dossiers = {d.number: d for d in Dossier.objects.all()}
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
    assert roles["secretariat"] == Membership.Role.SECRETARIAT
    assert roles["arhlm.paca"] == roles["dreal.paca"] == Membership.Role.COMMITTEE_MEMBER
    assert roles["expert.fondation"] == Membership.Role.EXPERT
    landlord_accounts = [name for name, role in roles.items() if role == Membership.Role.LANDLORD_STAFF]
    assert len(landlord_accounts) == 6
    for username in roles:
        assert username in output
    assert PASSWORD in output


@override_settings(DEMO=True)
def test_running_it_again_changes_nothing():
    call_command("demo")
    counts = (User.objects.count(), Dossier.objects.count(), Dossier.history.count(), Membership.objects.count())
    call_command("demo")
    assert (
        User.objects.count(),
        Dossier.objects.count(),
        Dossier.history.count(),
        Membership.objects.count(),
    ) == counts


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
