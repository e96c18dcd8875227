"""Personal API tokens: shown once, hashed at rest, refused once expired or revoked, each user's own."""

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from api.tokens import MAX_DAYS, ApiToken, TokenRefused, token_create
from tests.access import text

DOSSIERS = "/api/v1/dossiers"


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def created_secret(response) -> str:
    (secret,) = re.findall(r'<code id="token-secret">([^<]+)</code>', text(response))
    return secret


def test_a_token_is_shown_once_and_only_its_hash_is_stored(cast, login):
    client = login(cast.users["landlord"])
    response = client.post(reverse("api_tokens"), {"name": "Export mensuel", "days": "30"})
    assert response.status_code == 200
    secret = created_secret(response)
    assert secret.startswith("aap_")
    assert secret not in text(client.get(reverse("api_tokens")))
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.read_only) == (cast.users["landlord"], "Export mensuel", True)
    assert secret.startswith(token.prefix)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    # Nowhere in the database: every row of every model, every field.
    for model in apps.get_models():
        for row in model.objects.values_list():
            assert not any(secret in str(value) for value in row), model
    assert client.get(DOSSIERS, headers=bearer(secret)).status_code == 200


def test_a_token_reads_with_its_users_rights_and_records_its_use(cast, client):
    token, secret = token_create(user=cast.users["landlord"], name="script")
    response = client.get(DOSSIERS, headers=bearer(secret))
    assert [d["title"] for d in response.json()["items"]] == ["Projet du bailleur A"]
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    # Recorded once a minute, not on every request.
    client.get(DOSSIERS, headers=bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == first_use
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(minutes=1))
    client.get(DOSSIERS, headers=bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at > first_use


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "Jeton d'accès expiré."),
        ({"revoked_at": timezone.now()}, "Jeton d'accès révoqué."),
    ],
)
def test_an_expired_or_revoked_token_is_refused(cast, client, change, message):
    token, secret = token_create(user=cast.users["secretariat"], name="script")
    ApiToken.objects.filter(pk=token.pk).update(**change)
    response = client.get(DOSSIERS, headers=bearer(secret))
    assert (response.status_code, response.json()) == (401, {"detail": message})


@pytest.mark.parametrize("header", ["Bearer aap_inconnu", "Bearer ", "bearer aap_" + "x" * 43])
def test_an_unknown_token_is_refused(cast, client, header):
    response = client.get(DOSSIERS, headers={"Authorization": header})
    assert (response.status_code, response.json()) == (401, {"detail": "Jeton d'accès inconnu."})


def test_an_inactive_users_token_is_refused(cast, client):
    _, secret = token_create(user=cast.users["secretariat"], name="script")
    cast.users["secretariat"].is_active = False
    cast.users["secretariat"].save()
    assert client.get(DOSSIERS, headers=bearer(secret)).status_code == 401


def test_without_token_nor_session_the_api_answers_401_in_french(db, client):
    response = client.get(DOSSIERS)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentification requise")


def test_the_session_opens_the_api(cast, login):
    response = login(cast.users["other_landlord"]).get(DOSSIERS)
    assert [d["title"] for d in response.json()["items"]] == ["Projet du bailleur B"]


def test_a_token_lasts_a_year_at_most(cast):
    with pytest.raises(TokenRefused):
        token_create(user=cast.users["member"], name="trop long", days=MAX_DAYS + 1)
    assert not ApiToken.objects.exists()


def test_revocation_is_for_the_tokens_owner_only(cast, login, client):
    own, own_secret = token_create(user=cast.users["landlord"], name="le mien")
    other, other_secret = token_create(user=cast.users["other_landlord"], name="pas le mien")
    session = login(cast.users["landlord"])
    page = text(session.get(reverse("api_tokens")))
    assert "le mien" in page and "pas le mien" not in page and own.prefix in page
    assert session.post(reverse("api_token_revoke", args=[other.pk])).status_code == 404
    assert session.get(reverse("api_token_revoke", args=[own.pk])).status_code == 405
    response = session.post(reverse("api_token_revoke", args=[own.pk]))
    assert (response.status_code, response["Location"]) == (302, reverse("api_tokens"))
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.revoked_at is not None and other.revoked_at is None
    client.logout()
    assert client.get(DOSSIERS, headers=bearer(own_secret)).status_code == 401
    assert client.get(DOSSIERS, headers=bearer(other_secret)).status_code == 200


def test_the_tokens_page_asks_for_a_login_and_a_name(cast, login):
    response = login(None).get(reverse("api_tokens"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    response = login(cast.users["member"]).post(reverse("api_tokens"), {"name": "", "days": "90"})
    assert "Donnez un nom au jeton." in text(response)
    response = login(cast.users["member"]).post(reverse("api_tokens"), {"name": "x", "days": "400"})
    assert response.status_code == 200 and not ApiToken.objects.exists()


def test_the_header_links_to_the_tokens_page(cast, login):
    assert reverse("api_tokens") in text(login(cast.users["observer"]).get(reverse("home")))


def test_the_docs_page_uses_the_bundled_swagger_ui(db, client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    body = text(response)
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "cdn" not in body.lower() and "https://" not in body
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/dossiers" in schema["paths"]
