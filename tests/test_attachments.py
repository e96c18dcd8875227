"""A dossier's attachments: each file joined once, known by its SHA-256."""

import hashlib
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import Attachment, Call, Dossier
from core.services import attachments
from core.services.attachments import AttachmentRefused, attachment_add
from core.services.exchanges import message_post
from tests.access import text
from tests.factories import DossierFactory

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
OTHER_PDF = b"%PDF-1.7\n1 0 obj << /Type /Pages >> endobj\n%%EOF\n"


def pdf(name: str = "budget.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def draft(cast):
    Call.objects.filter(pk=cast.committee.call_id).update(status=Call.Status.OPEN)
    return DossierFactory(committee=cast.committee, lead_landlord=cast.dossier.lead_landlord, state=Dossier.State.DRAFT)


def test_a_second_copy_of_a_file_is_refused_whatever_its_name(cast, draft, login):
    client = login(cast.users["landlord"])
    url = reverse("attachment_upload", args=[draft.pk])
    client.post(url, {"file": pdf()})
    response = client.post(url, {"file": pdf("copie.pdf")}, follow=True)
    assert "« copie.pdf » est déjà joint à ce dossier, sous le nom « budget.pdf »" in text(response)
    assert draft.attachments.count() == 1
    client.post(url, {"file": pdf("autre.pdf", OTHER_PDF)})
    assert draft.attachments.count() == 2


def test_a_message_may_send_again_a_file_the_dossier_holds(cast, login):
    dossier = cast.dossier
    attachment_add(dossier=dossier, upload=pdf(), by=cast.users["landlord"])
    message_post(dossier=dossier, by=cast.users["landlord"], body="Le budget, à nouveau.", upload=pdf())
    assert dossier.attachments.filter(message__isnull=False).get().sha256 == dossier.attachments.first().sha256
    # The copy a message holds is the thread's: the dossier still takes the file once.
    with pytest.raises(AttachmentRefused, match="est déjà joint à ce dossier"):
        attachment_add(dossier=dossier, upload=pdf("encore.pdf"), by=cast.users["landlord"])


def test_the_same_file_sent_twice_at_once_is_refused_by_the_database(cast, draft, monkeypatch):
    """Both requests check before either saves; the database's constraint refuses the second, whose stored file is
    deleted."""
    attachment_add(dossier=draft, upload=pdf(), by=cast.users["landlord"])
    monkeypatch.setattr(attachments, "joined", lambda dossier, sha256: None)
    stored = set(default_storage.listdir(f"dossiers/{draft.pk}")[1])
    with pytest.raises(AttachmentRefused, match="vient d'être joint à ce dossier"):
        attachment_add(dossier=draft, upload=pdf("copie.pdf"), by=cast.users["landlord"])
    assert draft.attachments.count() == 1
    assert set(default_storage.listdir(f"dossiers/{draft.pk}")[1]) == stored


def test_the_files_stored_before_are_digested_through_the_storage(cast, draft):
    """Migration 0021: each stored file's digest; none for a file lost, nor for a second copy on its dossier."""
    migration = importlib.import_module("core.migrations.0021_attachment_sha256")
    files = (("a.pdf", PDF), ("b.pdf", OTHER_PDF), ("c.pdf", b"%PDF-1.4 perdu"))
    kept, copy, lost = (attachment_add(dossier=draft, upload=pdf(name, content), by=None) for name, content in files)
    Attachment.objects.filter(pk=copy.pk).update(file=kept.file.name)
    default_storage.delete(lost.file.name)
    Attachment.objects.update(sha256="")
    migration.digest_stored_files(django_apps, None)
    digests = dict(Attachment.objects.values_list("name", "sha256"))
    assert digests == {"a.pdf": hashlib.sha256(PDF).hexdigest(), "b.pdf": "", "c.pdf": ""}
