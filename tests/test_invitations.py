"""Invitations and accounts: the secretariat and landlords invite by e-mail, a link serves once for 7 days, the
invitee sets their own password; the secretariat deactivates accounts; each step is in the audit trail."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.tokens import ApiToken, token_create
from core.models import AuditEvent, Invitation, Membership, Organisation
from core.services.accounts import InvitationRefused, invitation_send
from core.workflow import ActionRefused
from tests.access import text
from tests.factories import OrganisationFactory, UserFactory

PASSWORD = "une phrase de passe assez longue"
DOSSIERS = "/api/v1/dossiers"


def invite(client, **values):
    with_defaults = {"email": "Nouvelle.Membre@dreal.gouv.fr", "first_name": "Nadia", "last_name": "Membre", **values}
    return client.post(reverse("invitation_new"), with_defaults)


def link_in_last_mail() -> str:
    (link,) = re.findall(r"http://testserver(/invitation/[^/\s]+/)", mail.outbox[-1].body)
    return link


def accept(client, link: str, password: str = PASSWORD, **values):
    return client.post(link, {"first_name": "Nadia", "last_name": "Membre", "password": password,
                              "password_again": password, **values})  # fmt: skip


@pytest.fixture
def invited_member(cast, login, django_capture_on_commit_callbacks) -> str:
    """The secretariat invites a member of the cast's committee for its State service: the e-mailed link."""
    client = login(cast.users["secretariat"])
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, organisation=cast.committee.institutions[1].pk, role="membre_comite",
                          committee=cast.committee.pk)  # fmt: skip
    assert response.status_code == 302, text(response)
    client.logout()
    return link_in_last_mail()


def test_the_secretariat_invites_a_member_who_sets_their_password(cast, client, invited_member):
    (message,) = mail.outbox
    assert message.to == ["Nouvelle.Membre@dreal.gouv.fr"]
    assert "une fois" in message.body and str(cast.committee.institutions[1]) in message.body
    invitation = Invitation.objects.get()
    # Only the link's digest is kept.
    assert invited_member.split("/")[2] not in str(list(Invitation.objects.values_list()))
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)

    page = client.get(invited_member)
    assert page.status_code == 200 and "nouvelle.membre@dreal.gouv.fr" in text(page)
    response = accept(client, invited_member)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = User.objects.get(username="nouvelle.membre@dreal.gouv.fr")
    assert (user.email, user.get_full_name(), user.check_password(PASSWORD)) == (
        "Nouvelle.Membre@dreal.gouv.fr", "Nadia Membre", True,
    )  # fmt: skip
    (membership,) = user.memberships.all()
    assert (membership.role, membership.organisation, membership.committee) == (
        "membre_comite", cast.committee.institutions[1], cast.committee,
    )  # fmt: skip
    # Logged in, and a member of the committee: its page opens.
    assert client.get(reverse("committee_detail", args=[cast.committee.pk])).status_code == 200
    client.logout()
    assert client.login(username="nouvelle.membre@dreal.gouv.fr", password=PASSWORD)


def test_the_link_serves_once(cast, client, invited_member):
    assert accept(client, invited_member).status_code == 302
    client.logout()
    again = accept(client, invited_member, password="une autre phrase de passe")
    assert again.status_code == 410
    assert "Cette invitation a déjà été acceptée, le " in text(again) and "son lien ne sert qu'une fois" in text(again)
    assert User.objects.get(username="nouvelle.membre@dreal.gouv.fr").check_password(PASSWORD)
    assert Membership.objects.filter(user__username="nouvelle.membre@dreal.gouv.fr").count() == 1


def test_the_link_expires_after_7_days(cast, client, invited_member):
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    for response in (client.get(invited_member), accept(client, invited_member)):
        assert response.status_code == 410
        assert "Cette invitation a expiré le" in text(response)
        assert "demandez à la personne qui vous a invité" in text(response)
    assert not User.objects.filter(username="nouvelle.membre@dreal.gouv.fr").exists()


def test_an_unknown_link_is_not_found(cast, client, invited_member):
    assert client.get(invited_member.replace("/invitation/", "/invitation/x")).status_code == 404


def test_the_password_validators_apply(cast, client, invited_member):
    for weak, reason in (("court", "trop court"), ("123456789012345", "entièrement numérique"),
                         ("nouvelle.membre@dreal.gouv.fr", "trop semblable")):  # fmt: skip
        response = accept(client, invited_member, password=weak)
        assert response.status_code == 200 and reason in text(response), weak
    response = accept(client, invited_member, password_again="pas la même phrase de passe")
    assert "Les deux mots de passe ne sont pas identiques." in text(response)
    assert not User.objects.filter(username="nouvelle.membre@dreal.gouv.fr").exists()
    assert Invitation.objects.get().accepted_at is None


def test_a_landlord_invites_a_colleague_of_its_own_organisation(cast, login, django_capture_on_commit_callbacks):
    client = login(cast.users["landlord"])
    landlord = cast.dossier.lead_landlord
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, email="collegue@bailleur-a.fr", organisation=landlord.pk, role="porteur")
    assert response.status_code == 302
    link = link_in_last_mail()
    client.logout()
    accept(client, link)
    colleague = User.objects.get(username="collegue@bailleur-a.fr")
    assert [(m.role, m.organisation) for m in colleague.memberships.all()] == [("porteur", landlord)]
    # The colleague reads the organisation's dossier.
    assert client.get(reverse("dossier_detail", args=[cast.dossier.pk])).status_code == 200


def test_a_landlord_never_invites_outside_its_organisation_nor_to_another_role(cast, login):
    client = login(cast.users["landlord"])
    other = cast.other_dossier.lead_landlord
    response = invite(client, email="intrus@bailleur-b.fr", organisation=other.pk, role="porteur")
    assert response.status_code == 400 and "L'invitation n'a pas été envoyée" in text(response)
    for role in ("membre_comite", "observateur", "secretariat"):
        response = invite(client, email="intrus@bailleur-a.fr", organisation=cast.dossier.lead_landlord.pk, role=role)
        assert response.status_code == 400, role
    # The service refuses on its own, whatever the form offered.
    with pytest.raises(ActionRefused, match="leurs collègues de leur propre organisme"):
        invitation_send(email="intrus@bailleur-b.fr", organisation=other, role="porteur", site="http://x/",
                        by=cast.users["landlord"])  # fmt: skip
    assert not Invitation.objects.exists() and not mail.outbox


# A committee's members co-chair it, and invite its departmental instructors: tests/test_departmental.py.
@pytest.mark.parametrize("role", ["observer", "expert_free", "anonymous"])
def test_who_is_neither_secretariat_landlord_nor_co_chair_invites_no_one(cast, login, role):
    user = UserFactory() if role == "expert_free" else cast.users[role]
    response = login(user).get(reverse("invitation_new"))
    assert response.status_code == (302 if user is None else 403)


def test_the_invitation_must_hold_together(cast, login):
    secretariat = cast.users["secretariat"]
    other_org = OrganisationFactory(kind=Organisation.Kind.STATE_SERVICE)
    cases = [
        ({"organisation": other_org, "role": "membre_comite", "committee": cast.committee}, "co-présidentes"),
        ({"organisation": cast.committee.institutions[0], "role": "membre_comite"}, "Choisissez le comité"),
        ({"organisation": other_org, "role": "porteur"}, "n'est ni un bailleur social ni une association"),
    ]
    for values, reason in cases:
        values = {"email": "quelqu.un@example.fr", **values}
        with pytest.raises(InvitationRefused, match=reason):
            invitation_send(**values, site="http://x/", by=secretariat)
    assert not Invitation.objects.exists()
    # Through the page: the reason, in French, and no invitation.
    response = invite(login(secretariat), organisation=other_org.pk, role="porteur")
    assert response.status_code == 400 and "n'est ni un bailleur social ni une association" in text(response)


def test_a_deactivated_account_can_no_longer_log_in_nor_use_its_tokens(cast):
    landlord = cast.users["landlord"]
    _, secret = token_create(user=landlord, name="script")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get(DOSSIERS).status_code == 200
    session, secretariat = Client(), Client()
    session.force_login(landlord)
    secretariat.force_login(cast.users["secretariat"])
    assert session.get(reverse("home")).status_code == 200

    assert secretariat.post(reverse("account_deactivate", args=[landlord.pk])).status_code == 302
    assert "désactivé" in text(secretariat.get(reverse("account_list")))
    landlord.refresh_from_db()
    assert not landlord.is_active
    assert ApiToken.objects.get().revoked_at is not None
    # Its open session ends, its password opens none, its token reads nothing.
    assert session.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert not Client().login(username="landlord", password="correct horse battery staple")
    assert api.get(DOSSIERS).status_code == 401

    secretariat.post(reverse("account_reactivate", args=[landlord.pk]))
    assert Client().login(username="landlord", password="correct horse battery staple")
    # Revoked, not suspended: the old token stays dead.
    assert api.get(DOSSIERS).status_code == 401


def test_only_the_secretariat_deactivates_and_never_itself(cast, login):
    landlord, colleague = cast.users["landlord"], UserFactory(username="colleague")
    Membership.objects.create(user=colleague, organisation=cast.dossier.lead_landlord, role="porteur")
    assert login(landlord).post(reverse("account_deactivate", args=[colleague.pk])).status_code == 403
    # Another organisation's staff are unknown to a landlord.
    other = cast.users["other_landlord"]
    assert login(landlord).post(reverse("account_deactivate", args=[other.pk])).status_code == 404
    secretariat = cast.users["secretariat"]
    response = login(secretariat).post(reverse("account_deactivate", args=[secretariat.pk]))
    assert response.status_code == 403 and "votre propre compte" in text(response)
    assert User.objects.filter(is_active=False).count() == 0


def test_the_accounts_page_lists_each_readers_accounts_and_their_buttons(cast, login):
    """A landlord reads its colleagues and deactivates none; the secretariat every account but deactivates itself
    not (account.deactivate, as available() says)."""
    page = text(login(cast.users["landlord"]).get(reverse("account_list")))
    rows = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]+)</td>", page)
    assert sorted(rows) == ["landlord", "member_conflict"]
    assert 'data-action="account.deactivate"' not in page
    page = text(login(cast.users["secretariat"]).get(reverse("account_list")))
    deactivable = re.findall(r'action="/comptes/(\d+)/desactiver/" data-action="account.deactivate"', page)
    others = User.objects.exclude(username="secretariat").values_list("pk", flat=True)
    assert sorted(map(int, deactivable)) == sorted(others)


def test_invitations_acceptances_and_deactivations_are_in_the_audit_trail(cast, client, login, invited_member):
    accept(client, invited_member)
    user = User.objects.get(username="nouvelle.membre@dreal.gouv.fr")
    login(cast.users["secretariat"]).post(reverse("account_deactivate", args=[user.pk]))
    events = list(AuditEvent.objects.order_by("at", "id").values_list("action", "by__username", "committee", "after"))
    assert events == [
        ("invitation.send", "secretariat", cast.committee.pk,
         {"email": "Nouvelle.Membre@dreal.gouv.fr", "organisation": str(cast.committee.institutions[1]),
          "role": "membre_comite", "existing_account": False}),
        ("invitation.accept", user.username, cast.committee.pk,
         {"user": user.username, "organisation": str(cast.committee.institutions[1]), "role": "membre_comite",
          "existing_account": False}),
        ("account.deactivate", "secretariat", None, {"is_active": False}),
    ]  # fmt: skip


def test_the_profile_shows_name_email_and_roles_and_keeps_the_email(cast, login):
    landlord = cast.users["landlord"]
    User.objects.filter(pk=landlord.pk).update(email="porteur@bailleur-a.fr")
    client = login(landlord)
    page = text(client.get(reverse("profile")))
    assert "porteur@bailleur-a.fr" in page and "Porteur de projet (bailleur) — Bailleur A" in page
    response = client.post(reverse("profile"), {"first_name": "Paule", "last_name": "Porteur", "email": "x@y.fr"})
    assert response.status_code == 302
    landlord.refresh_from_db()
    assert (landlord.get_full_name(), landlord.email) == ("Paule Porteur", "porteur@bailleur-a.fr")
    assert 'href="/compte/"' in text(client.get(reverse("home")))
