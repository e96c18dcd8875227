"""ProConnect end to end: a real OpenID Connect provider (the npm package oidc-provider, tests/oidc/provider.mjs)
started on loopback, the browser sent to it and back through the real redirects, mozilla-django-oidc exchanging the
code, checking the signed ID token against the provider's keys and reading its userinfo."""

import json
import socket
import subprocess
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from core.models import Invitation, Membership, Organisation
from core.services.accounts import invitation_digest
from tests.access import text
from tests.factories import CommitteeFactory, OrganisationFactory, UserFactory, member
from tests.test_accessibility import assert_no_blocking, axe_violations

PROVIDER = Path(__file__).resolve().parent / "oidc" / "provider.mjs"
ROOT = PROVIDER.parent.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def configure(settings, discovery: dict) -> None:
    """aap's settings for a provider, as its environment variables would set them (aap/settings.py)."""
    settings.PROCONNECT_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "front.proconnect.ProConnectBackend"]
    settings.OIDC_RP_CLIENT_ID = "aap"
    settings.OIDC_RP_CLIENT_SECRET = "aap-test-secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = discovery["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = discovery["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = discovery["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = discovery["jwks_uri"]
    settings.OIDC_OP_LOGOUT_ENDPOINT = logout = discovery.get("end_session_endpoint", "")
    # As aap/settings.py allows the end-session endpoint's origin to the logout form's redirect.
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    provider = "{0.scheme}://{0.netloc}".format(urlsplit(logout))
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**directives, "form-action": [*directives["form-action"],
                                                                                    provider]}}  # fmt: skip


@pytest.fixture
def proconnect(server, settings):
    """The provider, listening on loopback, and aap configured for it as it would be for ProConnect."""
    port = free_port()
    redirect_uri, after_logout = server.url + reverse("proconnect_callback"), server.url + reverse("login")
    process = subprocess.Popen(
        ["node", str(PROVIDER), str(port), redirect_uri, after_logout], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert process.stdout.readline().strip() == "ready"
        issuer = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=10) as response:
            discovery = json.load(response)
        configure(settings, discovery)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


def log_in_with_proconnect(browser: Browser, base: str, email: str) -> Page:
    """A fresh browser (no session at the provider) goes through the whole flow; the page it ends on."""
    page = browser.new_context().new_page()
    page.goto(base + reverse("login"))
    return through_proconnect(page, base, email)


def through_proconnect(page: Page, base: str, email: str) -> Page:
    """From aap's login page, through the provider, back to aap."""
    page.get_by_role("link", name="Se connecter avec ProConnect").click()
    # The provider's own pages: its development login form, then its consent.
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/**")
    return page


@pytest.fixture
def agent(transactional_db) -> User:
    """A State agent, invited as a member for the DREAL: a password account that ProConnect will match."""
    dreal = OrganisationFactory(name="DREAL PACA", kind=Organisation.Kind.STATE_SERVICE)
    agent = UserFactory(username="agent", email="Agent.Public@developpement-durable.gouv.fr", first_name="Alix")
    return member(agent, dreal, Membership.Role.OBSERVER)


def test_an_agent_logs_in_through_the_provider(proconnect, agent, browser: Browser):
    memberships = list(agent.memberships.values_list("pk", "role", "organisation"))
    # The address typed at the provider differs in case from the account's: matched all the same.
    page = log_in_with_proconnect(browser, proconnect.url, "agent.public@DEVELOPPEMENT-durable.gouv.fr")
    expect(page.get_by_role("heading", name="Mon espace")).to_be_visible()
    expect(page.get_by_role("link", name="Alix")).to_be_visible()
    # Matching gave no role, created no account, and took nothing away.
    assert list(agent.memberships.values_list("pk", "role", "organisation")) == memberships
    assert User.objects.count() == 1
    page.get_by_role("link", name="Alix").click()
    expect(page.get_by_text("Agent.Public@developpement-durable.gouv.fr")).to_be_visible()


def test_no_account_is_created_for_an_unknown_agent(proconnect, agent, browser: Browser):
    page = log_in_with_proconnect(browser, proconnect.url, "inconnu@interieur.gouv.fr")
    expect(page.get_by_role("alert")).to_contain_text(
        "Aucun compte aap n'est ouvert pour l'adresse inconnu@interieur.gouv.fr. Demandez une invitation"
    )
    assert page.url.startswith(proconnect.url + reverse("login"))
    assert list(User.objects.values_list("username", flat=True)) == ["agent"]


def test_a_deactivated_account_is_refused(proconnect, agent, browser: Browser):
    User.objects.filter(pk=agent.pk).update(is_active=False)
    page = log_in_with_proconnect(browser, proconnect.url, agent.email)
    expect(page.get_by_role("alert")).to_contain_text("Compte « Désactivé »")
    # Not logged in: the home page sends back to the login page.
    page.goto(proconnect.url + reverse("home"))
    expect(page.get_by_role("heading", name="Connexion à aap")).to_be_visible()


def test_landlords_staff_keep_their_password(proconnect, agent, browser: Browser):
    landlord = OrganisationFactory(name="Logirem", kind=Organisation.Kind.LANDLORD)
    member(UserFactory(username="porteur", email="porteur@logirem.fr"), landlord, Membership.Role.LANDLORD_STAFF)
    page = log_in_with_proconnect(browser, proconnect.url, "porteur@logirem.fr")
    expect(page.get_by_role("alert")).to_contain_text("réservé aux agents publics")
    expect(page.get_by_role("heading", name="Connexion à aap")).to_be_visible()


def test_a_forged_answer_or_a_silent_provider_is_a_refusal_in_french(db, client, settings):
    """Never an error page: an answer whose state this browser never asked for, or a provider that does not answer
    the code's exchange, end on the login page with the reason."""
    closed = f"http://127.0.0.1:{free_port()}"
    configure(settings, {name: f"{closed}/{name}" for name in
                         ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")})  # fmt: skip
    callback = reverse("proconnect_callback")
    start = client.get(reverse("proconnect_login"))
    assert start["Location"].startswith(f"{closed}/authorization_endpoint?")
    # A state never asked for, then the one asked for: its code's exchange meets a closed port.
    for state in ("forged-state", next(iter(client.session["oidc_states"]))):
        response = client.get(callback, {"code": "a-code", "state": state}, follow=True)
        assert response.redirect_chain[-1][0] == reverse("login")
        assert "La connexion avec ProConnect n'a pas abouti" in text(response)


def test_the_login_page_offering_proconnect_is_accessible(server, settings, page: Page):
    settings.PROCONNECT_ENABLED = True
    page.goto(server.url + reverse("login"))
    expect(page.get_by_role("link", name="Se connecter avec ProConnect")).to_be_visible()
    assert_no_blocking(axe_violations(page))


def test_an_agent_with_a_pending_invitation_is_told_to_open_its_link(proconnect, agent, browser: Browser):
    """Matching never gives a role: the invitation's link does, accepted."""
    Invitation.objects.create(
        email="nouvel.agent@developpement-durable.gouv.fr", organisation=agent.memberships.get().organisation,
        role=Membership.Role.OBSERVER, invited_by=agent, expires_at=timezone.now() + timedelta(days=7),
        key_hash="0" * 64,
    )  # fmt: skip
    page = log_in_with_proconnect(browser, proconnect.url, "Nouvel.Agent@developpement-durable.gouv.fr")
    expect(page.get_by_role("alert")).to_contain_text(
        "Une invitation vous a été envoyée à cette adresse : ouvrez le lien de son courriel pour créer votre compte."
    )
    assert list(User.objects.values_list("username", flat=True)) == ["agent"]


def test_an_agent_accepts_a_new_role_logged_in_through_proconnect(proconnect, agent, browser: Browser):
    """The invitation to a second role, opened before logging in: the login page, ProConnect, back to the
    invitation, accepted; the agent's account gets the role, and nothing else changes."""
    dreal = agent.memberships.get().organisation
    committee = CommitteeFactory(state_service=dreal, name="Comité Provence")
    secret = "lien-d-invitation-proconnect"
    Invitation.objects.create(
        email=agent.email.upper(), organisation=dreal, role=Membership.Role.COMMITTEE_MEMBER, committee=committee,
        invited_by=UserFactory(), expires_at=timezone.now() + timedelta(days=7), key_hash=invitation_digest(secret),
    )  # fmt: skip
    link = proconnect.url + reverse("invitation_accept", args=[secret])
    page = browser.new_context().new_page()
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("a déjà un compte aap : connectez-vous avec ce compte")
    page.locator("#content").get_by_role("link", name="Se connecter").click()
    through_proconnect(page, proconnect.url, agent.email)
    assert page.url == link
    expect(page.get_by_text("Ce rôle s'ajoutera à ceux de votre compte agent")).to_be_visible()
    page.get_by_role("button", name="Accepter l'invitation").click()
    expect(page.get_by_text("votre compte a maintenant le rôle membre de comité régional du comité Comité Provence"))
    assert set(agent.memberships.values_list("role", "committee")) == {
        (Membership.Role.OBSERVER, None), (Membership.Role.COMMITTEE_MEMBER, committee.pk)
    }  # fmt: skip
    assert User.objects.filter(is_active=True).count() == 2 and agent.has_usable_password()


def test_logging_out_ends_the_provider_session_too(proconnect, agent, browser: Browser, settings):
    # Without the end-session endpoint, ProConnect's session outlives aap's: logging in again asks nothing.
    endpoint, settings.OIDC_OP_LOGOUT_ENDPOINT = settings.OIDC_OP_LOGOUT_ENDPOINT, ""
    page = log_in_with_proconnect(browser, proconnect.url, agent.email)
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Connexion à aap")).to_be_visible()
    page.get_by_role("link", name="Se connecter avec ProConnect").click()
    expect(page.get_by_role("heading", name="Mon espace")).to_be_visible()

    settings.OIDC_OP_LOGOUT_ENDPOINT = endpoint
    page.get_by_role("button", name="Se déconnecter").click()
    # The provider's end-session page, reached with the ID token: it asks to confirm, then sends back to aap.
    page.wait_for_url(settings.OIDC_OP_LOGOUT_ENDPOINT + "**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(proconnect.url + reverse("login") + "**")
    expect(page.get_by_role("heading", name="Connexion à aap")).to_be_visible()
    page.goto(proconnect.url + reverse("home"))
    expect(page.get_by_role("heading", name="Connexion à aap")).to_be_visible()
    # Out of ProConnect too: logging in again asks for the credentials.
    page.get_by_role("link", name="Se connecter avec ProConnect").click()
    expect(page.locator("input[name=login]")).to_be_visible()


def test_the_logout_sends_to_the_provider_only_after_a_proconnect_login(db, client, settings):
    """The ID token the login kept names the session to end; a password login's logout is Django's."""
    configure(settings, {name: f"https://proconnect.example/{name}" for name in
                         ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                          "end_session_endpoint")})  # fmt: skip
    user = UserFactory(username="agent")
    client.force_login(user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")

    client.force_login(user)
    session = client.session
    session["oidc_id_token"] = "the.id.token"
    session.save()
    response = client.post(reverse("logout"))
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://proconnect.example/end_session_endpoint"
    query = parse_qs(url.query)
    assert query["id_token_hint"] == ["the.id.token"] and len(query["state"][0]) > 16
    assert query["post_logout_redirect_uri"] == ["http://testserver" + reverse("login")]
    # aap's session ended all the same.
    assert "_auth_user_id" not in client.session and "oidc_id_token" not in client.session

    # Without the endpoint (PROCONNECT_LOGOUT_ENDPOINT unset), aap's session alone ends.
    settings.OIDC_OP_LOGOUT_ENDPOINT = ""
    client.force_login(user)
    session = client.session
    session["oidc_id_token"] = "the.id.token"
    session.save()
    assert client.post(reverse("logout"))["Location"] == reverse("login")
