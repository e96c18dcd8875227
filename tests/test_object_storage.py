"""Files in S3-compatible object storage (aap/storage.py, aap/s3.py), against a real S3 server on loopback (moto's,
tests/objectstore.py): what the pages upload, publish and export lands in the bucket, privately, under names never
reused, and comes back byte for byte through the views that check who reads it."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from aap.s3 import ObjectStorage
from aap.storage import file_storage
from core.models import OTHER_DOCUMENT, Attachment, Call, Dossier, Export
from core.services.exports import exports_prune
from core.services.joint_opinions import joint_opinion_publish
from core.services.opinions import opinion_sign
from tests.factories import DossierFactory

# Larger than a block of FileResponse (4 KiB) and of boto3's reads: the download comes in many pieces.
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4000 + b"\n%%EOF\n"


def upload(client, draft):
    """Through the page's form, as a landlord attaches a document to their draft."""
    form = {"file": SimpleUploadedFile("budget.pdf", PDF), "document_type": OTHER_DOCUMENT}
    return client.post(reverse("attachment_upload", args=[draft.pk]), form)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def draft(cast):
    Call.objects.filter(pk=cast.committee.call_id).update(status=Call.Status.OPEN)
    return DossierFactory(committee=cast.committee, lead_landlord=cast.dossier.lead_landlord, state=Dossier.State.DRAFT)


def test_the_settings_choose_the_disk_unless_a_bucket_is_named():
    assert file_storage({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    s3 = file_storage({"AWS_STORAGE_BUCKET_NAME": "aap-fichiers", "AWS_S3_ENDPOINT_URL": "https://s3.example.fr"})
    assert s3["BACKEND"] == "aap.s3.ObjectStorage"
    options = s3["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"]) == ("aap-fichiers", "https://s3.example.fr")
    assert (options["file_overwrite"], options["default_acl"], options["querystring_auth"]) == (False, None, False)


def test_an_attachment_uploaded_lands_in_the_bucket_and_comes_back_whole(object_storage, cast, draft, login):
    landlord = login(cast.users["landlord"])
    assert upload(landlord, draft).status_code == 302
    attachment = Attachment.objects.get()
    assert isinstance(default_storage._wrapped, ObjectStorage)
    assert object_storage.names() == [attachment.file.name] == [f"dossiers/{draft.pk}/{attachment.uuid}.pdf"]
    assert object_storage.read(attachment.file.name) == PDF

    download = landlord.get(reverse("attachment_download", args=[attachment.uuid]))
    assert download.status_code == 200 and download.streaming
    assert int(download["Content-Length"]) == len(PDF) and download["Content-Type"] == "application/pdf"
    assert body(download) == PDF


@pytest.mark.parametrize("role", ["other_landlord", "member", "other_committee_member", "observer"])
def test_a_reader_without_the_right_gets_nothing_of_the_bucket(object_storage, cast, draft, login, role):
    upload(login(cast.users["landlord"]), draft)
    attachment = Attachment.objects.get()
    # A draft is its landlord's alone: whoever else asks does not learn it exists.
    response = login(cast.users[role]).get(reverse("attachment_download", args=[attachment.uuid]))
    assert response.status_code == 404 and not response.streaming


def test_the_published_avis_conjoint_is_stored_in_the_bucket(
    object_storage, cast, signatories, task_queue, django_capture_on_commit_callbacks, login
):
    for dossier in (cast.dossier, cast.other_dossier):
        for signer in signatories.values():
            opinion_sign(dossier=dossier, by=signer)
    with django_capture_on_commit_callbacks(execute=True):
        joint_opinion = joint_opinion_publish(committee=cast.committee, by=cast.users["member"])
    assert {row.status for row in task_queue.run()} == {"SUCCESSFUL"}
    joint_opinion.refresh_from_db()
    assert sorted(object_storage.names()) == sorted([joint_opinion.docx.name, joint_opinion.pdf.name])
    member = login(cast.users["member"])
    for extension in ("pdf", "docx"):
        stored = object_storage.read(getattr(joint_opinion, extension).name)
        assert hashlib.sha256(stored).hexdigest() == getattr(joint_opinion, f"{extension}_sha256")
        download = member.get(reverse("joint_opinion_download", args=[joint_opinion.uuid, extension]))
        assert download.streaming and body(download) == stored


def test_an_export_is_written_to_the_bucket_and_pruned_from_it(
    object_storage, cast, login, django_capture_on_commit_callbacks
):
    member = login(cast.users["member"])
    with django_capture_on_commit_callbacks(execute=True):
        member.post(reverse("committee_export", args=[cast.committee.uuid]), {"format": "csv"})
    export = Export.objects.get(state=Export.State.READY)
    assert object_storage.names() == [export.file.name]
    data = body(member.get(reverse("export_download", args=[export.uuid])))
    assert data == object_storage.read(export.file.name) and "Projet du bailleur A" in data.decode("utf-8-sig")
    assert login(cast.users["secretariat"]).get(reverse("export_download", args=[export.uuid])).status_code == 404

    Export.objects.update(requested_at=timezone.now() - timedelta(days=7, minutes=1))
    assert exports_prune() == 1
    assert object_storage.names() == []


def test_a_name_taken_is_never_overwritten(object_storage):
    first = default_storage.save("essais/meme-nom.txt", ContentFile(b"premier"))
    second = default_storage.save("essais/meme-nom.txt", ContentFile(b"second"))
    assert first == "essais/meme-nom.txt" and second != first
    assert sorted(object_storage.names()) == sorted([first, second])
    assert (object_storage.read(first), object_storage.read(second)) == (b"premier", b"second")


def test_objects_are_private_and_read_as_they_arrive(object_storage):
    name = default_storage.save("essais/prive.pdf", ContentFile(PDF))
    grants = object_storage.client.get_object_acl(Bucket=object_storage.name, Key=name)["Grants"]
    assert [grant["Grantee"]["Type"] for grant in grants] == ["CanonicalUser"]
    # No address that would let anyone read it without the views: not signed.
    assert "Signature" not in default_storage.url(name)
    with default_storage.open(name, "rb") as file:
        assert (file.size, file.read(9)) == (len(PDF), PDF[:9])
        # Opened again, read again from its start.
        file.open()
        assert file.read() == PDF
    with pytest.raises(FileNotFoundError):
        default_storage.open("essais/absent.pdf", "rb")


def test_the_health_check_writes_in_the_bucket_and_leaves_nothing(db, object_storage, client, settings):
    settings.AAP_HEALTH_TOKEN = "jeton"
    response = client.get(reverse("health"), headers={"authorization": "Bearer jeton"})
    assert (response.status_code, response.json()["checks"]["stockage"]) == (200, "ok")
    assert object_storage.names() == []
    # A bucket that does not exist answers a HEAD with 404, as a missing object does: the write fails.
    default = settings.STORAGES["default"]
    missing = {**default, "OPTIONS": {**default["OPTIONS"], "bucket_name": f"{object_storage.name}-absent"}}
    settings.STORAGES = {**settings.STORAGES, "default": missing}
    response = client.get(reverse("health"), headers={"authorization": "Bearer jeton"})
    assert (response.status_code, response.json()["checks"]["stockage"]) == (503, "erreur (NoSuchBucket)")


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_walk_the_bucket(object_storage, tmp_path):
    """As on disk (tests/test_backup.py): every object in the archive, and the bucket made again exactly as it was."""
    kept = {"dossiers/1/projet.pdf": PDF, "avis-conjoints/avis-v1.docx": b"PK docx", "logos/ar-hlm.png": b"png"}
    for name, content in kept.items():
        assert default_storage.save(name, ContentFile(content)) == name
    archive = tmp_path / "aap.tar.gz"
    call_command("backup", archive, stdout=io.StringIO())
    default_storage.delete("dossiers/1/projet.pdf")
    default_storage.save("exports/2026/12/nouveau.csv", ContentFile(b"N;Projet"))

    call_command("restore", archive, "--no-input", stdout=io.StringIO())
    assert sorted(object_storage.names()) == sorted(kept)
    assert {name: object_storage.read(name) for name in kept} == kept
