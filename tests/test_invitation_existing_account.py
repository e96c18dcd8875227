"""An invitation to an address that already has an account adds its role to that account: the invitee accepts it
logged in as themselves, never gets a second account nor a new password, and no one else can accept it."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, Invitation, Membership
from core.services.accounts import InvitationRefused, invitation_accept, invitation_send
from core.workflow import ActionRefused
from tests.access import text
from tests.factories import CommitteeFactory

PASSWORD = "correct horse battery staple"
EMAIL = "Agent.Dreal@developpement-durable.gouv.fr"


@pytest.fixture
def agent(cast) -> User:
    """The cast's member of committee A, for its State service, with an address."""
    agent = cast.users["member"]
    User.objects.filter(pk=agent.pk).update(email=EMAIL, first_name="Alix", last_name="Dreal")
    agent.refresh_from_db()
    return agent


@pytest.fixture
def second_committee(cast):
    """Another committee co-chaired by the same State service."""
    return CommitteeFactory(call=cast.committee.call, state_service=cast.committee.institutions[1])


@pytest.fixture
def link(cast, agent, second_committee, django_capture_on_commit_callbacks) -> str:
    """The secretariat invites the agent, by their address in another case, to sit on the second committee."""
    with django_capture_on_commit_callbacks(execute=True):
        invitation_send(email=EMAIL.upper(), organisation=cast.committee.institutions[1], role="membre_comite",
                        committee=second_committee, site="http://testserver/",
                        by=cast.users["secretariat"])  # fmt: skip
    (path,) = re.findall(r"http://testserver(/invitation/[^/\s]+/)", mail.outbox[-1].body)
    return path


def roles(user: User) -> set:
    return set(user.memberships.values_list("organisation", "role", "committee"))


def test_the_agent_accepts_logged_in_and_the_role_is_added_to_their_account(
    cast, agent, second_committee, link, login
):  # fmt: skip
    (message,) = mail.outbox
    assert message.subject == "Un nouveau rôle dans aap"
    assert "Pour l'ajouter à votre compte" in message.body and "mot de passe" not in message.body
    before, accounts = roles(agent), User.objects.count()
    # Invited but not yet accepted: the account has no new role.
    client = login(agent)
    assert roles(agent) == before
    assert client.get(reverse("committee_detail", args=[second_committee.pk])).status_code in (403, 404)

    page = client.get(link)
    assert page.status_code == 200
    assert "Ce rôle s'ajoutera à ceux de votre compte" in text(page) and 'name="password"' not in text(page)
    # A password sent along is not read: the account keeps its own.
    response = client.post(link, {"password": "un autre mot de passe", "password_again": "un autre mot de passe"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "votre compte a maintenant le rôle membre de comité régional" in text(client.get(reverse("home")))

    agent.refresh_from_db()
    assert agent.check_password(PASSWORD) and agent.get_full_name() == "Alix Dreal"
    assert User.objects.count() == accounts
    assert roles(agent) == before | {(cast.committee.institutions[1].pk, "membre_comite", second_committee.pk)}
    assert client.get(reverse("committee_detail", args=[second_committee.pk])).status_code == 200
    invitation = Invitation.objects.get()
    assert invitation.accepted_at is not None and invitation.user == agent

    events = AuditEvent.objects.order_by("at", "id").values_list("action", "by__username", "committee", "after")
    assert list(events) == [
        ("invitation.send", "secretariat", second_committee.pk,
         {"email": EMAIL.upper(), "organisation": str(cast.committee.institutions[1]), "role": "membre_comite",
          "existing_account": True}),
        ("invitation.accept", "member", second_committee.pk,
         {"user": "member", "organisation": str(cast.committee.institutions[1]), "role": "membre_comite",
          "existing_account": True}),
    ]  # fmt: skip

    again = client.post(link)
    assert again.status_code == 410 and "Cette invitation a déjà été acceptée, le " in text(again)


def test_opened_before_logging_in_the_link_leads_to_the_login_and_back(agent, link, client):
    page = client.get(link)
    assert page.status_code == 200
    assert "a déjà un compte aap : connectez-vous avec ce compte pour accepter" in text(page)
    assert 'data-action="invitation.accept"' not in text(page)
    assert f'href="{reverse("login")}?next={link}"' in text(page)
    # Not logged in, a POST gives nothing and creates no account.
    before, accounts = roles(agent), User.objects.count()
    assert client.post(link, {"first_name": "X", "last_name": "Y", "password": "p" * 20,
                              "password_again": "p" * 20}).status_code == 403  # fmt: skip
    assert (roles(agent), User.objects.count()) == (before, accounts)
    # The password login sends back to the link.
    response = client.post(reverse("login"), {"username": "member", "password": PASSWORD, "next": link})
    assert response.status_code == 302 and response["Location"] == link
    assert 'data-action="invitation.accept"' in text(client.get(link))


def test_another_account_cannot_accept_it(cast, agent, link, login):
    landlord = cast.users["landlord"]
    client = login(landlord)
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 403
        assert (
            f"Vous êtes connecté avec le compte landlord, mais cette invitation est adressée à {EMAIL.upper()} : "
            "déconnectez-vous" in text(response)
        )
    assert 'action="/deconnexion/"' in text(client.get(link))
    assert not landlord.memberships.filter(role="membre_comite").exists()
    assert Invitation.objects.get().accepted_at is None
    # The service refuses on its own.
    with pytest.raises(ActionRefused, match="Vous êtes connecté avec le compte landlord"):
        invitation_accept(invitation=Invitation.objects.get(), by=landlord)


def test_an_expired_link_says_so(agent, link, login):
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    client = login(agent)
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 410 and "Cette invitation a expiré le" in text(response)
    assert not agent.memberships.filter(committee__isnull=False).exclude(committee=agent.memberships.first().committee)


def test_a_role_given_meanwhile_is_not_given_twice(cast, agent, second_committee, link, login):
    Membership.objects.create(user=agent, organisation=cast.committee.institutions[1], role="membre_comite",
                              committee=second_committee)  # fmt: skip
    response = login(agent).post(link)
    assert response.status_code == 409 and "Votre compte a déjà ce rôle : membre de comité régional" in text(response)
    assert Invitation.objects.get().accepted_at is None


def test_the_secretariat_is_told_what_cannot_be_added(cast, agent, second_committee):
    secretariat = cast.users["secretariat"]
    invite = {"organisation": cast.committee.institutions[1], "role": "membre_comite", "committee": cast.committee,
              "site": "http://testserver/", "by": secretariat}  # fmt: skip
    with pytest.raises(InvitationRefused, match="a déjà ce rôle : membre de comité régional du comité"):
        invitation_send(email=EMAIL, **invite)
    User.objects.filter(pk=secretariat.pk).update(email="secretariat@example.fr")
    with pytest.raises(InvitationRefused, match="membre du secrétariat national, qui ne siège dans aucun comité"):
        invitation_send(email="secretariat@example.fr", **invite)
    User.objects.filter(pk=agent.pk).update(is_active=False)
    with pytest.raises(InvitationRefused, match="est désactivé : réactivez-le"):
        invitation_send(email=EMAIL, **{**invite, "committee": second_committee})
    assert not Invitation.objects.exists()
    # Through the page: the reason, in French.
    client = Client()
    client.force_login(secretariat)
    response = client.post(reverse("invitation_new"), {
        "email": EMAIL, "organisation": cast.committee.institutions[1].pk, "role": "observateur"
    })  # fmt: skip
    assert response.status_code == 400 and "est désactivé" in text(response)


def test_an_account_deactivated_after_the_invitation_cannot_accept_it(agent, link, client):
    User.objects.filter(pk=agent.pk).update(is_active=False)
    response = client.get(link)
    assert response.status_code == 403 and "est désactivé : demandez au secrétariat national" in text(response)
