"""A receipt on submission: the dossier as submitted, frozen with its SHA-256 in the submission's transaction, and its
PDF rendered by a task; kept with the dossier, for whoever reads it."""

import hashlib
from io import BytesIO

from django.core.files.base import ContentFile
from django.urls import reverse
from pypdf import PdfReader

from core.models import Attachment, Dossier, Receipt
from core.services.dossiers import dossier_return_incomplete
from core.services.receipts import digest
from tests.access import LOGIN, check_refusal
from tests.test_documents import page_texts
from tests.test_drafts import complete, draft, open_call  # noqa: F401 (fixtures)

PDF = b"%PDF-1.4\n%%EOF\n"


def _submit(cast, dossier, login, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.users["landlord"]).post(reverse("dossier_submit", args=[dossier.pk]))
    assert response.status_code == 302
    return Receipt.objects.filter(dossier=dossier).first()


def test_a_submission_leaves_a_receipt_with_its_content_its_hash_and_its_pdf(
    cast,
    draft,  # noqa: F811
    login,
    django_capture_on_commit_callbacks,
):
    complete(draft)
    piece = Attachment(
        dossier=draft,
        name="délibération.pdf",
        kind=Attachment.Kind.PDF,
        size=len(PDF),
        document_type="Délibération du conseil",
        sha256=hashlib.sha256(PDF).hexdigest(),
    )
    piece.file.save("x.pdf", ContentFile(PDF))
    receipt = _submit(cast, draft, login, django_capture_on_commit_callbacks)
    assert receipt.submitted_by == cast.users["landlord"]
    assert receipt.content["title"] == "Nouveau projet" and receipt.content["attachments"] == [
        {
            "document": "Délibération du conseil",
            "name": "délibération.pdf",
            "size": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
        }
    ]
    assert [line["amount"] for line in receipt.content["budget"]] == ["40000.00", "40000.00"]
    assert receipt.sha256 == digest(receipt.content)
    # Rendered by the task queued at submission, and stored.
    assert receipt.pdf and len(receipt.pdf_sha256) == 64
    text = " ".join(page_texts(PdfReader(BytesIO(receipt.pdf.read()))))
    assert "Récépissé de dépôt" in text and "Nouveau projet" in text and receipt.sha256 in text.replace(" ", "")
    assert "délibération.pdf" in text and "Délibération du conseil" in text
    # The dossier's page links it; the landlord downloads it.
    landlord = login(cast.users["landlord"])
    url = reverse("receipt_download", args=[receipt.uuid])
    assert url in landlord.get(reverse("dossier_detail", args=[draft.pk])).content.decode()
    response = landlord.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_receipt_is_for_the_dossiers_readers_alone(cast, draft, login, django_capture_on_commit_callbacks):  # noqa: F811
    complete(draft)
    url = reverse("receipt_download", args=[_submit(cast, draft, login, django_capture_on_commit_callbacks).uuid])
    check_refusal(login(cast.users["other_landlord"]).get(url), 404, secrets=("Nouveau projet",))
    check_refusal(login(None).get(url), LOGIN, secrets=("Nouveau projet",))
    assert login(cast.users["member"]).get(url).status_code == 200


def test_a_dossier_submitted_again_has_a_second_receipt_the_first_unchanged(
    cast,
    draft,  # noqa: F811
    login,
    django_capture_on_commit_callbacks,
):
    complete(draft)
    first = _submit(cast, draft, login, django_capture_on_commit_callbacks)
    dossier_return_incomplete(dossier=draft, by=cast.users["member"], message="Il manque le budget.")
    Dossier.objects.filter(pk=draft.pk).update(summary="Résumé complété.")
    _submit(cast, draft, login, django_capture_on_commit_callbacks)
    second, again = Receipt.objects.filter(dossier=draft).order_by("pk")
    assert second == first and second.content["summary"] == "Résumé"
    assert again.content["summary"] == "Résumé complété." and again.sha256 != first.sha256


def test_a_receipt_not_yet_rendered_is_rendered_when_asked_for(cast, draft, login):  # noqa: F811
    complete(draft)
    login(cast.users["landlord"]).post(reverse("dossier_submit", args=[draft.pk]))  # the task never runs
    receipt = Receipt.objects.get(dossier=draft)
    assert not receipt.pdf
    response = login(cast.users["landlord"]).get(reverse("receipt_download", args=[receipt.uuid]))
    assert response.status_code == 200
    receipt.refresh_from_db()
    assert receipt.pdf and receipt.pdf_sha256
