"""Accounts: login throttling, password reset by e-mail, session lifetime, CSRF on every form."""

import re
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from front.accounts import LOGIN_TIME_KEY, SEEN_TIME_KEY, PasswordResetView
from tests.access import text
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
LOCKED = "Connexion bloquée temporairement"


@pytest.fixture
def axes_on(settings):
    """The test settings turn django-axes off (the client's login() has no request); these tests need it."""
    settings.AXES_ENABLED = True
    return settings


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@bailleur.example.fr")


def log_in(client: Client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client: Client, username: str, times: int, address: str = "127.0.0.1"):
    for _ in range(times):
        response = log_in(client, username, "not the password", address)
    return response


def test_four_failures_only_warn(axes_on, client, alice):
    response = fail(client, "alice", 4)
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in text(response)
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_the_fifth_failure_locks_even_the_right_password_out(axes_on, client, alice):
    response = fail(client, "alice", 5)
    assert response.status_code == 429
    body = text(response)
    assert LOCKED in body and "pendant 15 minutes" in body
    assert 'class="fr-alert fr-alert--error' in body
    assert reverse("password_reset") in body

    response = log_in(client, "alice", PASSWORD)
    assert response.status_code == 429 and LOCKED in text(response)
    assert "_auth_user_id" not in client.session


def test_the_lockout_spares_other_users_and_other_addresses(axes_on, client, alice):
    UserFactory(username="bob")
    fail(client, "alice", 5)
    assert log_in(client, "bob", PASSWORD).status_code == 302
    client.logout()
    # Alice from another address: an attacker elsewhere does not lock her out of her own desk.
    assert log_in(client, "alice", PASSWORD, address="10.1.2.3").status_code == 302


def test_the_lockout_ends_after_the_cool_off(axes_on, client, alice):
    fail(client, "alice", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert log_in(client, "alice", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_support_can_lift_a_lockout(axes_on, client, alice):
    fail(client, "alice", 5)
    call_command("axes_reset_username", "alice")
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too(axes_on, client, alice):
    for _ in range(5):
        response = client.post(reverse("admin:login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 429
    assert log_in(client, "alice", PASSWORD).status_code == 429


def reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/compte/mot-de-passe/nouveau/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_password_reset_round_trip(client, alice):
    response = client.get(reverse("login"))
    assert "Mot de passe oublié ?" in text(response)
    # The service is named for both programmes it serves, the national one and the regional FNAVDL calls.
    assert "Appels à projets du logement accompagné" in text(response) and "FNAVDL" in text(response)

    response = client.post(reverse("password_reset"), {"email": "Alice@Bailleur.example.fr"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert "E-mail envoyé" in text(client.get(response["Location"]))

    [message] = mail.outbox
    assert message.to == ["alice@bailleur.example.fr"]
    assert message.subject == "aap — choisir un nouveau mot de passe"
    assert "Bonjour" in message.body and "identifiant : alice" in message.body
    assert "aap · Appels à projets du logement accompagné" in message.body

    # Django swaps the token for a session key at once, so that it never sits in the address bar.
    response = client.get(reset_link(message), follow=True)
    assert response.status_code == 200 and "Nouveau mot de passe" in text(response)
    form_url = response.redirect_chain[-1][0]

    response = client.post(form_url, {"new_password1": "motdepasse", "new_password2": "motdepasse"})
    assert response.status_code == 200
    assert "Ce mot de passe est trop court" in text(response)

    new = "une-phrase-de-passe-assez-longue"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_complete")
    assert "Mot de passe modifié" in text(client.get(response["Location"]))

    assert log_in(client, "alice", PASSWORD).status_code == 200
    assert log_in(client, "alice", new).status_code == 302

    # The link served once.
    client.logout()
    assert "plus valable" in text(client.get(reset_link(message), follow=True))


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, alice):
    known = client.post(reverse("password_reset"), {"email": "alice@bailleur.example.fr"})
    unknown = client.post(reverse("password_reset"), {"email": "personne@example.fr"})
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert len(mail.outbox) == 1


def test_the_login_page_and_the_admins_share_one_lockout(axes_on, client, alice):
    fail(client, "alice", 5)
    response = client.post(reverse("admin:login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429 and LOCKED in text(response)


def ask_reset(email: str, address: str):
    request = RequestFactory().post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)
    request._dont_enforce_csrf_checks = True
    with CaptureQueriesContext(connection) as queries:
        response = PasswordResetView.as_view()(request)
    return response, [shape(query["sql"]) for query in queries]


def shape(sql: str) -> str:
    """A query without its values (the address, the time, savepoint names), which differ from call to call."""
    return re.sub(r"'[^']*'|%s|\b\d+\b|\bs\d+_x\d+\b", "?", sql)


def test_the_reset_email_is_a_task_whether_the_address_exists_or_not(axes_on, alice, task_queue):
    """The view does the same work for a known and an unknown address: it queues the task that looks the accounts
    up and sends the e-mail, so that neither its answer nor its timing tells them apart."""
    known, known_queries = ask_reset("alice@bailleur.example.fr", "10.0.0.1")
    unknown, unknown_queries = ask_reset("personne@example.fr", "10.0.0.2")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known_queries == unknown_queries
    assert not any('"auth_user"' in sql for sql in known_queries)
    assert mail.outbox == [] and len(task_queue.queued()) == 2

    assert [row.status for row in task_queue.run()] == ["SUCCESSFUL", "SUCCESSFUL"]
    [message] = mail.outbox
    assert message.to == ["alice@bailleur.example.fr"] and "identifiant : alice" in message.body
    assert reset_link(message).startswith("/compte/mot-de-passe/nouveau/")


SUSPENDED = "Demandes suspendues temporairement"


def ask(client: Client, email: str, address: str = "127.0.0.1"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_reset_requests_are_limited_per_address(axes_on, client, alice):
    for i in range(4):
        assert ask(client, "Alice@bailleur.example.fr", address=f"10.0.0.{i}").status_code == 302
    response = ask(client, "alice@bailleur.example.fr", address="10.0.0.9")
    assert response.status_code == 429
    assert SUSPENDED in text(response) and "pendant 15 minutes" in text(response)
    assert len(mail.outbox) == 4
    # Another address is not held back, and the requests locked no one out of logging in.
    assert ask(client, "bob@bailleur.example.fr", address="10.0.0.9").status_code == 302
    assert log_in(client, "alice", PASSWORD, address="10.0.0.1").status_code == 302

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert ask(client, "alice@bailleur.example.fr").status_code == 302


def test_reset_requests_are_limited_per_client(axes_on, client, alice):
    # Failed logins do not count: whoever forgot a password tries it before asking for a new one.
    fail(client, "alice", 4)
    for i in range(4):
        assert ask(client, f"inconnu{i}@example.fr").status_code == 302
    response = ask(client, "alice@bailleur.example.fr")
    assert response.status_code == 429 and SUSPENDED in text(response)
    assert mail.outbox == []
    assert ask(client, "alice@bailleur.example.fr", address="10.1.2.3").status_code == 302
    assert len(mail.outbox) == 1


def test_a_new_password_lifts_the_lockout(axes_on, client, alice):
    fail(client, "alice", 5)
    client.post(reverse("password_reset"), {"email": "alice@bailleur.example.fr"})
    form_url = client.get(reset_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    new = "une-phrase-de-passe-assez-longue"
    client.post(form_url, {"new_password1": new, "new_password2": new})
    assert log_in(client, "alice", new).status_code == 302


def test_sessions_time_out_when_idle(settings, client, alice):
    assert settings.SESSION_COOKIE_AGE == 2 * 3600
    client.force_login(alice)
    assert client.get(reverse("home")).status_code == 200
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=5))
    # Within the minute, a request does not write the session again.
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get().expire_date < timezone.now() + timedelta(minutes=6)
    # A minute later, a request pushes the end back by the full idle timeout.
    session = client.session
    session[SEEN_TIME_KEY] -= 60
    session.save()
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=5))
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get().expire_date > timezone.now() + timedelta(minutes=119)

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_sessions_end_after_ten_hours_however_active(settings, client, alice):
    assert settings.SESSION_MAX_AGE == 10 * 3600
    client.force_login(alice)
    assert client.get(reverse("home")).status_code == 200

    session = client.session
    session[LOGIN_TIME_KEY] = int(time.time()) - 10 * 3600 - 1
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next=/"
    assert "_auth_user_id" not in client.session
    assert "Votre session a expiré après 10 heures" in text(client.get(response["Location"]))


def test_session_and_csrf_cookies_are_http_only_and_same_site(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert client.get(reverse("login")).cookies["csrftoken"]["samesite"] == "Lax"


def test_account_forms_refuse_a_post_without_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    for url, data in [
        (reverse("login"), {"username": "alice", "password": PASSWORD}),
        (reverse("password_reset"), {"email": "alice@bailleur.example.fr"}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 403 and "Formulaire expiré" in text(response)
    assert mail.outbox == []


def views(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from views(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_no_view_skips_the_csrf_check_but_the_api():
    """The API reads only (GET), and checks CSRF itself on a session for any other method (ninja)."""
    exempt = {route for route, view in views(get_resolver()) if getattr(view, "csrf_exempt", False)}
    assert exempt and all(route.startswith("api/v1/") for route in exempt), exempt
