"""A dossier's attachments: typed as the documents its call asks, or others; each file joined once, known by its
SHA-256."""

import hashlib
import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import OTHER_DOCUMENT, Attachment, Call, Dossier
from core.services import attachments
from core.services.attachments import AttachmentRefused, attachment_add, attachment_delete, attachment_join
from core.services.dossiers import dossier_problems
from core.services.exchanges import message_post
from tests.access import text
from tests.factories import DossierFactory
from tests.test_drafts import complete

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
OTHER_PDF = b"%PDF-1.7\n1 0 obj << /Type /Pages >> endobj\n%%EOF\n"


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def pdf(name: str = "budget.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def draft(cast):
    Call.objects.filter(pk=cast.committee.call_id).update(status=Call.Status.OPEN)
    return DossierFactory(committee=cast.committee, lead_landlord=cast.dossier.lead_landlord, state=Dossier.State.DRAFT)


def test_a_second_copy_of_a_file_is_refused_whatever_its_name(cast, draft, login):
    client = login(cast.users["landlord"])
    url = reverse("attachment_upload", args=[draft.pk])
    client.post(url, {"file": pdf(), "document_type": OTHER_DOCUMENT})
    response = client.post(url, {"file": pdf("copie.pdf"), "document_type": OTHER_DOCUMENT}, follow=True)
    assert "« copie.pdf » est déjà joint à ce dossier, sous le nom « budget.pdf »" in text(response)
    assert draft.attachments.count() == 1
    client.post(url, {"file": pdf("autre.pdf", OTHER_PDF), "document_type": OTHER_DOCUMENT})
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
    migration = importlib.import_module("core.migrations.0024_attachment_sha256")
    files = (("a.pdf", PDF), ("b.pdf", OTHER_PDF), ("c.pdf", b"%PDF-1.4 perdu"))
    kept, copy, lost = (attachment_add(dossier=draft, upload=pdf(name, content), by=None) for name, content in files)
    Attachment.objects.filter(pk=copy.pk).update(file=kept.file.name)
    default_storage.delete(lost.file.name)
    Attachment.objects.update(sha256="")
    migration.digest_stored_files(django_apps, None)
    digests = dict(Attachment.objects.values_list("name", "sha256"))
    assert digests == {"a.pdf": hashlib.sha256(PDF).hexdigest(), "b.pdf": "", "c.pdf": ""}


@pytest.fixture
def asking(draft):
    """The draft's call asks two documents."""
    Call.objects.filter(pk=draft.call_id).update(required_documents="Budget prévisionnel détaillé\nPlan de financement")
    return Dossier.objects.get(pk=draft.pk)


def upload(client, dossier, document_type: str, name: str = "budget.pdf", content: bytes = PDF, **headers):
    url = reverse("attachment_upload", args=[dossier.pk])
    return client.post(url, {"document_type": document_type, "file": pdf(name, content)}, **headers)


def selected_type(page: str) -> str:
    (chosen,) = re.findall(r'<option value="([^"]*)" selected>', page[page.index('name="document_type"') :])
    return chosen


def test_the_form_page_lists_the_documents_the_call_asks_and_offers_the_first_missing(cast, asking, login):
    client = login(cast.users["landlord"])
    url = reverse("dossier_edit", args=[asking.pk])
    page = text(client.get(url))
    assert "Pièces demandées par l'appel encore manquantes : 2." in page
    assert page.count("Manquante") == 2
    assert selected_type(page) == "Budget prévisionnel détaillé"
    assert upload(client, asking, "Budget prévisionnel détaillé").status_code == 302
    page = text(client.get(url))
    assert "budget.pdf" in page and page.count("Manquante") == 1
    assert selected_type(page) == "Plan de financement"
    upload(client, asking, "Plan de financement", "plan.pdf", OTHER_PDF)
    upload(client, asking, OTHER_DOCUMENT, "annexe.pdf", b"%PDF-1.4 annexe")
    page = text(client.get(url))
    assert "Toutes les pièces demandées par l'appel sont jointes." in page and "Manquante" not in page
    types = dict(asking.attachments.values_list("name", "document_type"))
    assert types == {"budget.pdf": "Budget prévisionnel détaillé", "plan.pdf": "Plan de financement",
                     "annexe.pdf": OTHER_DOCUMENT}  # fmt: skip
    detail = text(client.get(reverse("dossier_detail", args=[asking.pk])))
    assert "Plan de financement : " in detail and "Joindre, remplacer ou supprimer des pièces" in detail


def test_a_type_the_call_does_not_ask_is_refused(cast, asking, login):
    client = login(cast.users["landlord"])
    response = upload(client, asking, "Délibération du conseil d'administration")
    assert response.status_code == 302
    assert "Choisissez le type de la pièce dans la liste." in text(client.get(response.url))
    with pytest.raises(AttachmentRefused, match="n'est pas une pièce que l'appel demande"):
        attachment_join(dossier=asking, upload=pdf(), document_type="Délibération", by=cast.users["landlord"])
    assert not asking.attachments.exists()


def test_with_htmx_the_section_alone_answers_and_says_what_was_done(cast, asking, login):
    client = login(cast.users["landlord"])
    response = upload(client, asking, "Plan de financement", HTTP_HX_REQUEST="true")
    page = text(response)
    assert response.status_code == 200 and "<html" not in page
    assert 'id="pieces"' in page
    assert re.search(r'role="status" tabindex="-1" autofocus><p>Pièce jointe « budget.pdf » ajoutée', page)
    refused = text(upload(client, asking, OTHER_DOCUMENT, "copie.pdf", HTTP_HX_REQUEST="true"))
    assert re.search(r'role="alert" tabindex="-1" autofocus><p>« copie.pdf » est déjà joint à ce dossier', refused)


def test_a_document_is_replaced_by_another_file_of_its_type_until_submission(cast, asking, login):
    client = login(cast.users["landlord"])
    upload(client, asking, "Plan de financement", "plan.pdf")
    old = asking.attachments.get()
    url = reverse("attachment_replace", args=[asking.pk, old.uuid])
    response = client.post(url, {"file": pdf("plan-v2.pdf", OTHER_PDF)}, HTTP_HX_REQUEST="true")
    assert "« plan.pdf » remplacé par « plan-v2.pdf » : Plan de financement." in text(response)
    new = asking.attachments.get()
    assert (new.name, new.document_type, new.sha256) == ("plan-v2.pdf", "Plan de financement", sha(OTHER_PDF))
    # The same file again: nothing to replace.
    response = client.post(reverse("attachment_replace", args=[asking.pk, new.uuid]), {"file": pdf("x.pdf", OTHER_PDF)})
    assert asking.attachments.get().pk == new.pk
    assert client.get(reverse("attachment_download", args=[old.uuid])).status_code == 404

    Dossier.objects.filter(pk=asking.pk).update(state=Dossier.State.SUBMITTED)
    response = client.post(reverse("attachment_replace", args=[asking.pk, new.uuid]), {"file": pdf()})
    assert response.status_code == 403 and "« Remplacer la pièce » n'est pas possible" in text(response)
    assert asking.attachments.get().pk == new.pk


def test_a_document_is_deleted_and_its_file_leaves_the_storage_once_saved(
    cast, asking, login, django_capture_on_commit_callbacks
):
    client = login(cast.users["landlord"])
    upload(client, asking, "Plan de financement", "plan.pdf")
    attachment = asking.attachments.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("attachment_delete", args=[asking.pk, attachment.uuid]), follow=True)
    assert "« plan.pdf » supprimé : Plan de financement." in text(response)
    assert not asking.attachments.exists()
    assert not default_storage.exists(attachment.file.name)
    # Gone meanwhile (another tab): said, not a server error.
    with pytest.raises(AttachmentRefused, match="n'est plus joint au dossier"):
        attachment_delete(attachment=attachment, by=cast.users["landlord"])


def test_a_message_attachment_is_not_the_dossiers_to_replace_or_delete(cast, login):
    Dossier.objects.filter(pk=cast.dossier.pk).update(state=Dossier.State.INCOMPLETE)
    message_post(dossier=cast.dossier, by=cast.users["landlord"], body="Le budget.", upload=pdf())
    attachment = cast.dossier.attachments.get()
    client = login(cast.users["landlord"])
    assert client.post(reverse("attachment_delete", args=[cast.dossier.pk, attachment.uuid])).status_code == 404
    assert cast.dossier.attachments.exists()


def test_the_form_page_offers_each_document_its_buttons(cast, asking, login):
    client = login(cast.users["landlord"])
    upload(client, asking, "Plan de financement", "plan.pdf")
    upload(client, asking, OTHER_DOCUMENT, "annexe.pdf", OTHER_PDF)
    page = text(client.get(reverse("dossier_edit", args=[asking.pk])))
    for attachment in asking.attachments.all():
        for name in ("attachment_replace", "attachment_delete"):
            assert f'action="{reverse(name, args=[asking.pk, attachment.uuid])}"' in page
        assert f'for="remplacer-{attachment.uuid}-file"' in page


def test_a_dossier_missing_a_document_the_call_asks_is_not_submitted_and_says_which(cast, asking, login):
    complete(asking)
    client = login(cast.users["landlord"])
    upload(client, asking, "Plan de financement", "plan.pdf")
    response = client.post(reverse("dossier_submit", args=[asking.pk]))
    assert response.status_code == 400
    assert "Pièce manquante : « Budget prévisionnel détaillé »." in text(response)
    assert "Plan de financement" not in " ".join(dossier_problems(Dossier.objects.get(pk=asking.pk)))
    # The workspace lists it with the rest, as the submission does.
    assert "Pièce manquante : « Budget prévisionnel détaillé »." in text(client.get(reverse("home")))
    upload(client, asking, "Budget prévisionnel détaillé", "budget.pdf", OTHER_PDF)
    assert client.post(reverse("dossier_submit", args=[asking.pk])).status_code == 302
    assert Dossier.objects.get(pk=asking.pk).state == Dossier.State.SUBMITTED
