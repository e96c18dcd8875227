"""What the access tests share: the cast's dossiers, how a refusal looks, and that it leaks nothing."""

import html

from django.urls import reverse

DONE, LOGIN = "done", "login"
A_TITLE, B_TITLE = "Projet du bailleur A", "Projet du bailleur B"
A_DRAFT, B_DRAFT = "Brouillon de l'avis sur A", "Brouillon de l'avis sur B"


def text(response) -> str:
    return html.unescape(response.content.decode())


def check_redirect(response, to: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == to


def check_refusal(response, expected, secrets, body: str | None = None) -> None:
    """The refusal expected (LOGIN or a status), and none of the secrets in its body."""
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected
    body = text(response) if body is None else body
    for secret in secrets:
        assert secret not in body
