"""What creating, changing, submitting, withdrawing and returning a dossier do, for every role.

Who reaches each URL (GET of the forms, 405 on GET of the actions) is in the matrix, test_url_matrix.py; these
tables add what each POST changes, or leaves unchanged.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import OTHER_DOCUMENT, Attachment, Dossier

State = Dossier.State
LOGIN = "login"
ROLES = [
    "anonymous", "landlord", "other_landlord", "member", "member_in_conflict", "other_committee_member",
    "secretariat", "observer", "other_committee_observer",
]  # fmt: skip


def expectations(allowed: dict, **others) -> dict:
    """Refused roles get 404 unless said otherwise: they may not even know the dossier exists."""
    return {role: allowed.get(role, others.get(role, 404)) for role in ROLES} | {"anonymous": LOGIN}


def check(response, expected) -> None:
    if expected == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected
    if expected in (403, 404, LOGIN):
        assert "Projet du bailleur A" not in response.content.decode()


@pytest.fixture
def draft(cast):
    Dossier.objects.filter(pk=cast.dossier.pk).update(state=State.DRAFT)
    return cast.dossier


# Landlord A's staff may act; the secretariat sees drafts but does not carry them.
CARRIERS = {"landlord": 200, "member_in_conflict": 200}
EDIT = expectations(CARRIERS, secretariat=403)


@pytest.mark.parametrize("role", ROLES)
def test_upload_attachment(cast, draft, login, role):
    upload = SimpleUploadedFile("budget.pdf", b"%PDF-1.4 budget")
    response = login(cast.users[role]).post(
        reverse("attachment_upload", args=[draft.pk]), {"file": upload, "document_type": OTHER_DOCUMENT}
    )
    expected = 302 if EDIT[role] == 200 else EDIT[role]
    check(response, expected)
    assert Attachment.objects.filter(dossier=draft).exists() is (expected == 302)


SUBMIT = expectations({"landlord": 400, "member_in_conflict": 400}, secretariat=403)


@pytest.mark.parametrize("role", ROLES)
def test_submit(cast, draft, login, role):
    response = login(cast.users[role]).post(reverse("dossier_submit", args=[draft.pk]))
    check(response, SUBMIT[role])
    if SUBMIT[role] == 400:
        assert "ne peut pas encore être déposé" in response.content.decode()
    assert Dossier.objects.get(pk=draft.pk).state == State.DRAFT


WITHDRAW = expectations({"landlord": 302, "member_in_conflict": 302}, secretariat=403)


@pytest.mark.parametrize("role", ROLES)
def test_withdraw(cast, draft, login, role):
    response = login(cast.users[role]).post(reverse("dossier_withdraw", args=[draft.pk]), {"confirm": "1"})
    check(response, WITHDRAW[role])
    withdrawn = Dossier.objects.get(pk=draft.pk).state == State.WITHDRAWN
    assert withdrawn is (WITHDRAW[role] == 302)


# On a dossier in instruction: the committee's members return it, except one in conflict.
RETURN = expectations({"member": 302}, landlord=403, member_in_conflict=403, secretariat=403, observer=403)


@pytest.mark.parametrize("role", ROLES)
def test_return_as_incomplete(cast, login, role):
    url = reverse("dossier_return", args=[cast.dossier.pk])
    check(login(cast.users[role]).post(url, {"message": "Budget manquant."}), RETURN[role])
    returned = Dossier.objects.get(pk=cast.dossier.pk).state == State.INCOMPLETE
    assert returned is (RETURN[role] == 302)
