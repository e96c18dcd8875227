"""GET /sante/ (aap/health.py): 200 while the database, the storage and the task queue answer, 503 when one does not;
which one, only to the secretariat, the support's superusers and the holder of AAP_HEALTH_TOKEN."""

import time

import pytest
from django.core.files.storage import storages
from django.db import OperationalError, connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from aap import health
from tests.factories import UserFactory
from tests.test_settings import PRODUCTION, manage

TOKEN = "jeton-de-la-supervision-0123456789"
ALL_OK = {"base_de_donnees": "ok", "stockage": "ok", "file_de_taches": "ok"}


@pytest.fixture(autouse=True)
def token(settings):
    settings.AAP_HEALTH_TOKEN = TOKEN


def check(client, **headers):
    response = client.get(reverse("health"), headers=headers)
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    return response.status_code, response.json()


def bearer(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
def broken_storage(settings, tmp_path):
    """A disk storage whose folder is a file: nothing can be written in it."""
    blocked = tmp_path / "media"
    blocked.write_bytes(b"")
    default = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(blocked)}}
    settings.STORAGES = {**settings.STORAGES, "default": default}


def test_anyone_learns_that_the_server_serves_and_no_more(cast, client):
    assert check(client) == (200, {"status": "ok"})
    for role in ("landlord", "member", "observer"):
        client.force_login(cast.users[role])
        assert check(client) == (200, {"status": "ok"})
    client.force_login(UserFactory(username="support", is_staff=True))
    assert check(client) == (200, {"status": "ok"})


def test_the_secretariat_a_superuser_and_the_token_read_each_check(cast, client):
    client.force_login(cast.users["secretariat"])
    assert check(client) == (200, {"status": "ok", "checks": ALL_OK})
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    assert check(client) == (200, {"status": "ok", "checks": ALL_OK})
    client.logout()
    assert check(client, **bearer(TOKEN)) == (200, {"status": "ok", "checks": ALL_OK})
    assert check(client, authorization=f"bearer {TOKEN}") == (200, {"status": "ok", "checks": ALL_OK})


@pytest.mark.parametrize("given", ["mauvais-jeton", TOKEN[:-1], f"{TOKEN}x", TOKEN.upper(), "", "é"])
def test_a_wrong_token_reads_nothing_more(db, client, given):
    assert check(client, **bearer(given)) == (200, {"status": "ok"})
    assert check(client, authorization=f"Basic {TOKEN}") == (200, {"status": "ok"})


def test_without_a_token_configured_none_is_taken(db, client, settings):
    settings.AAP_HEALTH_TOKEN = ""
    assert check(client, **bearer("")) == (200, {"status": "ok"})


def test_a_storage_that_cannot_write_takes_the_server_out(cast, client, broken_storage):
    assert check(client) == (503, {"status": "erreur"})
    client.force_login(cast.users["landlord"])
    assert check(client) == (503, {"status": "erreur"})
    client.force_login(cast.users["secretariat"])
    status, answer = check(client)
    assert status == 503 and answer["checks"]["stockage"].startswith("erreur (")
    assert {name: result for name, result in answer["checks"].items() if name != "stockage"} == {
        "base_de_donnees": "ok", "file_de_taches": "ok",
    }  # fmt: skip


def test_a_database_that_does_not_answer_takes_the_server_out(db, client, monkeypatch):
    def refused(*args, **kwargs):
        raise OperationalError("connection refused")

    # Undone before the test's transaction is rolled back, which needs the database.
    with monkeypatch.context() as patched:
        patched.setattr(type(connection._connections[connection._alias]), "cursor", refused)
        anonymous, detailed = check(client), check(client, **bearer(TOKEN))
    assert anonymous == (503, {"status": "erreur"})
    assert detailed == (503, {"status": "erreur", "checks": {
        "base_de_donnees": "erreur (OperationalError)", "stockage": "ok", "file_de_taches": "erreur (OperationalError)",
    }})  # fmt: skip


# One request a test: on PostgreSQL the failed query ends the test's transaction (in production, each query is its own).
@pytest.mark.parametrize("headers", [{}, bearer(TOKEN)], ids=["anonyme", "jeton"])
def test_a_queue_without_its_table_takes_the_server_out(db, client, monkeypatch, headers):
    # As before the migrations of django_tasks_db ran: its table is not there.
    monkeypatch.setattr(DBTaskResult._meta, "db_table", "table_absente")
    status, answer = check(client, **headers)
    assert status == 503 and answer["status"] == "erreur"
    if not headers:
        assert "checks" not in answer
    else:
        assert answer["checks"]["file_de_taches"].startswith("erreur (")
        assert (answer["checks"]["base_de_donnees"], answer["checks"]["stockage"]) == ("ok", "ok")


def test_only_reads(db, client):
    assert client.post(reverse("health")).status_code == 405
    assert client.head(reverse("health")).status_code == 200


def test_answered_over_plain_http_in_production(tmp_path):
    """Production settings redirect every other page to HTTPS. The database here is not migrated: the queue's table is
    missing, which the token holder is told."""
    script = (
        "from django.test import Client; c = Client(headers={'host': 'aap.example.gouv.fr'}); "
        "print(c.get('/connexion/').status_code); r = c.get('/sante/'); print(r.status_code, r.content.decode()); "
        f"r = c.get('/sante/', headers={{'authorization': 'Bearer {TOKEN}'}}); print(r.content.decode())"
    )
    result = manage("shell", "--no-imports", "-c", script, AAP_VAR_DIR=str(tmp_path), AAP_HEALTH_TOKEN=TOKEN,
                    **PRODUCTION)  # fmt: skip
    login, anonymous, detailed = result.stdout.splitlines()[-3:]
    assert login == "301", result.stderr
    assert anonymous == '503 {"status": "erreur"}'
    assert '"base_de_donnees": "ok", "stockage": "ok", "file_de_taches": "erreur (OperationalError)"' in detailed


def test_a_storage_that_answered_is_believed_for_a_while_and_a_failing_one_never(db, client, monkeypatch):
    monkeypatch.setattr(health, "_storage_answered", (None, 0.0))
    writes = []
    store = storages["default"]
    monkeypatch.setattr(store, "save", lambda *args, **kwargs: writes.append(1) or type(store).save(store, *args))
    check(client)
    check(client)
    assert len(writes) == 1, "one write for two probes within STORAGE_TRUSTED_FOR"
    monkeypatch.setattr(health, "_storage_answered", (store, time.monotonic() - 1))
    check(client)
    assert len(writes) == 2, "probed again once the answer is stale"

    def fail(*args, **kwargs):
        writes.append(1)
        raise OSError("disque plein")

    monkeypatch.setattr(health, "_storage_answered", (None, 0.0))
    monkeypatch.setattr(store, "save", fail)
    assert check(client, **bearer(TOKEN))[0] == 503
    assert check(client, **bearer(TOKEN))[0] == 503
    assert len(writes) == 4, "a failure is not believed: each probe writes again"
