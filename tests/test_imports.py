"""The import page of past avis conjoints: upload, reading by a task, review, corrections, landlords linked, confirm or
cancel; who may import which region's; bad files refused in French with nothing written. And the command's
--link-landlords, through the same writer."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from core.models import ArchiveImport, AuditEvent, Committee, Dossier, JointOpinion, Membership, Organisation
from core.services.imports import import_read, imports_prune
from documents.joint_opinion_corrections import CorrectionRefused, apply_corrections, document_from_json
from documents.joint_opinion_parser import parse
from documents.joint_opinion_review import joint_opinion_review
from tests.access import text
from tests.factories import IMPORTER, CommitteeFactory, OrganisationFactory, UserFactory, importer, member

pytestmark = pytest.mark.django_db
State = ArchiveImport.State


@pytest.fixture
def secretariat():
    national = OrganisationFactory(name="Secrétariat", kind=Organisation.Kind.NATIONAL)
    return member(UserFactory(username="secretariat"), national, Membership.Role.SECRETARIAT)


def regional_member(region: str, username: str = "membre"):
    """A member for the State's service of a committee of that region."""
    committee = CommitteeFactory(region=region)
    return member(
        UserFactory(username=username), committee.institutions[1], Membership.Role.COMMITTEE_MEMBER, committee
    )


@pytest.fixture
def upload(client, django_capture_on_commit_callbacks):
    """Uploads as the user; the reading task runs once the upload is saved, as the worker would."""

    def upload(user, data: bytes, name: str = "avis.txt") -> ArchiveImport:
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("import_new"), {"file": SimpleUploadedFile(name, data)})
        assert response.status_code == 302, text(response)
        return ArchiveImport.objects.get(uuid=response["Location"].split("/")[-2])

    return upload


def test_upload_review_confirm(client, secretariat, upload, seed_text, django_capture_on_commit_callbacks):
    archive = upload(secretariat, seed_text.encode())
    assert archive.state == State.READY and archive.region == "93"
    assert archive.file.read() == seed_text.encode()
    page = text(client.get(reverse("import_detail", args=[archive.uuid])))
    assert "Projet N°7" in page and "créé" in page and "Confirmer l'import" in page
    assert Dossier.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_review", args=[archive.uuid]), {"confirm": "1"}, follow=True)
    assert "Avis conjoint importé" in text(response)
    archive.refresh_from_db()
    committee = Committee.objects.get()
    assert (archive.state, archive.committee) == (State.CONFIRMED, committee)
    assert committee.dossiers.count() == 7 and committee.joint_opinions.get().version == 1
    assert "dossier 7" in archive.changes["created"]
    event = AuditEvent.objects.get(action="import.confirm")
    assert (event.by, event.committee, event.after["sha256"]) == (secretariat, committee, archive.sha256)


def test_the_same_document_again_changes_nothing(client, secretariat, upload, seed_text):
    first = upload(secretariat, seed_text.encode())
    assert "déjà été importé" not in text(client.get(reverse("import_detail", args=[first.uuid])))
    client.post(reverse("import_review", args=[first.uuid]), {"confirm": "1"})
    second = upload(secretariat, seed_text.encode())
    page = text(client.get(reverse("import_detail", args=[second.uuid])))
    assert "Ce fichier a déjà été importé" in page and reverse("import_detail", args=[first.uuid]) in page
    review = joint_opinion_review(document_from_json(second.document), {})
    assert review.counts["created"] == review.counts["updated"] == 0 and review.new_version is None
    client.post(reverse("import_review", args=[second.uuid]), {"confirm": "1"})
    second.refresh_from_db()
    assert second.changes == {"created": [], "updated": []}
    assert JointOpinion.objects.count() == 1


def test_cancel_writes_nothing_and_forgets_the_file(
    client, secretariat, upload, seed_text, django_capture_on_commit_callbacks
):
    archive = upload(secretariat, seed_text.encode())
    name = archive.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_cancel", args=[archive.uuid]), follow=True)
    assert "rien n'a été écrit" in text(response)
    archive.refresh_from_db()
    assert archive.state == State.CANCELLED and not archive.file
    assert not archive.file.storage.exists(name)
    assert Committee.objects.count() == Dossier.objects.count() == 0


def test_the_source_file_downloads_as_uploaded_until_it_is_deleted(
    client, secretariat, upload, seed_text, django_capture_on_commit_callbacks
):
    archive = upload(secretariat, seed_text.encode(), "avis PACA 2018.txt")
    url = reverse("import_file", args=[archive.uuid])
    assert f'href="{url}"' in text(client.get(reverse("import_detail", args=[archive.uuid])))
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == seed_text.encode()
    assert response["Content-Type"].startswith("text/plain") and "avis PACA 2018.txt" in response["Content-Disposition"]
    # A member of another region does not learn the import exists.
    client.force_login(regional_member("53", "membre_bretagne"))
    assert client.get(url).status_code == 404
    client.force_login(secretariat)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_cancel", args=[archive.uuid]))
    response = client.get(url)
    assert response.status_code == 403 and "Télécharger le fichier déposé" in text(response)
    assert f'href="{url}"' not in text(client.get(reverse("import_detail", args=[archive.uuid])))


def test_a_confirmed_imports_file_is_the_committees_archive(client, secretariat, upload, seed_text):
    """Once confirmed, the file stays with the committee it wrote: its members and observers read it from the
    committee's page; the members of another committee and the landlords of its dossiers do not learn it exists."""
    archive = upload(secretariat, seed_text.encode(), "avis PACA 2018.txt")
    client.post(reverse("import_review", args=[archive.uuid]), {"confirm": "1"})
    committee = Committee.objects.get()
    url = reverse("import_file", args=[archive.uuid])
    colleague = member(UserFactory(username="collegue"), committee.institutions[-1], Membership.Role.COMMITTEE_MEMBER,
                       committee)  # fmt: skip
    observer = member(UserFactory(username="observateur"), OrganisationFactory(), Membership.Role.OBSERVER, committee)
    for reader in (colleague, observer):
        client.force_login(reader)
        page = text(client.get(reverse("committee_detail", args=[committee.pk])))
        assert "Avis conjoints importés" in page and f'href="{url}"' in page
        response = client.get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == seed_text.encode()
        assert "Projet N°" not in text(client.get(reverse("import_detail", args=[archive.uuid])))  # no review
    landlord = member(UserFactory(username="bailleur"), committee.dossiers.first().lead_landlord,
                      Membership.Role.LANDLORD_STAFF)  # fmt: skip
    for outsider in (regional_member("53", "membre_bretagne"), landlord):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.get(reverse("import_detail", args=[archive.uuid])).status_code == 404


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"Bonjour,\nvoici le compte rendu.\n", "note.txt", "ce fichier n'est pas un avis conjoint"),
        (b"%PDF-1.4\n%%EOF\n", "avis.pdf", "PDF"),
        (b"{\\rtf1 avis}", "avis.rtf", "RTF"),
    ],
)
def test_a_bad_file_is_refused_in_french_on_the_page(client, secretariat, upload, data, name, message):
    archive = upload(secretariat, data, name)
    assert archive.state == State.REFUSED and message in archive.error
    response = client.get(reverse("import_detail", args=[archive.uuid]))
    page = text(response)
    assert response.status_code == 200 and "fr-alert--error" in page and "Rien n'a été écrit" in page
    assert Committee.objects.count() == 0


def test_an_empty_or_foreign_file_is_refused_at_upload(client, secretariat):
    client.force_login(secretariat)
    response = client.post(reverse("import_new"), {"file": SimpleUploadedFile("vide.txt", b"")})
    assert response.status_code == 400 and "vide" in text(response)
    zipped = SimpleUploadedFile("avis.docx", b"PK\x03\x04 pas un document Word")
    response = client.post(reverse("import_new"), {"file": zipped})
    assert response.status_code == 400 and "avis.docx" in text(response)
    assert ArchiveImport.objects.count() == 0


def test_a_landlord_linked_and_a_doubtful_field_corrected(client, secretariat, upload, seed_text):
    logirem = OrganisationFactory(name="Société Logirem Marseille")
    archive = upload(secretariat, seed_text.encode())
    # A scan's doubtful field: project 1's title read with a low confidence.
    document = archive.document
    document["projects"][0]["confidence"]["title"] = 0.42
    ArchiveImport.objects.filter(pk=archive.pk).update(document=document)
    page = text(client.get(reverse("import_detail", args=[archive.uuid])))
    assert 'name="p-1-title"' in page and "À vérifier" in page
    review = joint_opinion_review(document_from_json(document), {})
    index = next(i for i, landlord in enumerate(review.landlords, 1) if landlord.name == "LOGIREM")
    assert review.landlords[index - 1].named is None

    response = client.post(
        reverse("import_review", args=[archive.uuid]),
        {"p-1-title": "Situations extraordinaires", f"bailleur-nom-{index}": "LOGIREM", f"bailleur-{index}": logirem.pk,
         "confirm": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    dossier = Dossier.objects.get(number=1)
    assert (dossier.title, dossier.lead_landlord) == ("Situations extraordinaires", logirem)
    assert not Organisation.objects.filter(name="LOGIREM").exists()
    archive.refresh_from_db()
    assert archive.corrections == {"projects": {"1": {"title": "Situations extraordinaires"}}}
    assert archive.landlord_links == {"LOGIREM": logirem.pk}
    published = JointOpinion.objects.get().content["projects"][0]
    assert published["title"] == "Situations extraordinaires" and published["landlord"] == "LOGIREM"


def test_a_correction_that_cannot_be_read_is_refused_and_nothing_written(client, secretariat, upload, seed_text):
    archive = upload(secretariat, seed_text.encode())
    response = client.post(
        reverse("import_review", args=[archive.uuid]), {"h-instructed_on": "bientôt", "confirm": "1"}, follow=True
    )
    assert "Date de l'instruction : une date" in text(response)
    assert Committee.objects.count() == 0
    archive.refresh_from_db()
    assert archive.state == State.READY and archive.corrections == {}


def test_corrections_read_as_the_parser_reads(seed_text):
    document = parse(seed_text)
    corrected = apply_corrections(
        document,
        {"header": {"instructed_on": "14/11/2018", "dossiers_received": "8"},
         "projects": {"2": {"rank": "Non retenu", "verdict": "☹"}}},
    )  # fmt: skip
    assert (corrected.instructed_on.isoformat(), corrected.dossiers_received) == ("2018-11-14", 8)
    second = corrected.projects[1]
    assert (second.rank, second.retained, second.verdict) == (None, False, "defavorable")
    with pytest.raises(CorrectionRefused, match="Projet N°2, Avis"):
        apply_corrections(document, {"projects": {"2": {"verdict": "bof"}}})
    with pytest.raises(CorrectionRefused, match="Projet inconnu"):
        apply_corrections(document, {"projects": {"99": {"title": "x"}}})


def test_a_member_imports_for_their_own_region_only(client, upload, seed_text):
    paca = regional_member("93", "membre_paca")
    archive = upload(paca, seed_text.encode())
    client.post(reverse("import_review", args=[archive.uuid]), {"confirm": "1"})
    assert ArchiveImport.objects.get(pk=archive.pk).state == State.CONFIRMED

    bretagne = regional_member("53", "membre_bretagne")
    other = upload(bretagne, seed_text.encode())
    page = text(client.get(reverse("import_detail", args=[other.uuid])))
    assert "celui de la région Provence-Alpes-Côte d'Azur" in page and "Confirmer l'import" not in page
    response = client.post(reverse("import_review", args=[other.uuid]), {"confirm": "1"})
    assert response.status_code == 403
    assert ArchiveImport.objects.get(pk=other.pk).state == State.READY
    # Each sees their own imports only.
    assert client.get(reverse("import_detail", args=[archive.uuid])).status_code == 404


def test_who_may_open_the_import_page(client, secretariat):
    client.force_login(secretariat)
    assert client.get(reverse("import_new")).status_code == 200
    assert "Importer un avis conjoint" in text(client.get(reverse("home")))
    without_region = CommitteeFactory()
    client.force_login(
        member(UserFactory(), without_region.institutions[0], Membership.Role.COMMITTEE_MEMBER, without_region)
    )
    assert client.get(reverse("import_new")).status_code == 403
    client.force_login(member(UserFactory(), OrganisationFactory(), Membership.Role.LANDLORD_STAFF))
    assert client.get(reverse("import_new")).status_code == 403


def test_the_reading_task_leaves_a_cancelled_import_alone(secretariat, seed_text):
    archive = ArchiveImport(uploaded_by=secretariat, filename="avis.txt", sha256="0" * 64, state=State.CANCELLED)
    archive.file.save("avis.txt", SimpleUploadedFile("avis.txt", seed_text.encode()))
    assert import_read.call(archive.pk) == ""
    assert ArchiveImport.objects.get(pk=archive.pk).document == {}


def test_the_files_of_imports_never_written_are_pruned(secretariat, django_capture_on_commit_callbacks):
    """Refused or left unconfirmed for more than 30 days: the file goes, the record stays; an import confirmed, or
    recent, keeps its file."""
    archives = {}
    for name, state, age in [("refused", State.REFUSED, 31), ("ready", State.READY, 31), ("reading", State.PARSING, 31),
                             ("recent", State.REFUSED, 29), ("confirmed", State.CONFIRMED, 400)]:  # fmt: skip
        archive = ArchiveImport(uploaded_by=secretariat, filename=f"{name}.txt", sha256="0" * 64, state=state)
        archive.file.save(f"{name}.txt", SimpleUploadedFile(f"{name}.txt", b"avis"))
        ArchiveImport.objects.filter(pk=archive.pk).update(created_at=timezone.now() - timedelta(days=age))
        archives[name] = archive
    with django_capture_on_commit_callbacks(execute=True):
        assert imports_prune() == 3
    after = {archive.filename[:-4]: archive for archive in ArchiveImport.objects.all()}
    assert {name for name, archive in after.items() if archive.file} == {"recent", "confirmed"}
    assert {name: archive.state for name, archive in after.items()} == {
        "refused": State.REFUSED, "ready": State.CANCELLED, "reading": State.CANCELLED, "recent": State.REFUSED,
        "confirmed": State.CONFIRMED,
    }  # fmt: skip
    assert not archives["refused"].file.storage.exists(archives["refused"].file.name)
    assert AuditEvent.objects.filter(action="import.cancel", by=None).count() == 2
    assert imports_prune() == 0


# --- The command's --link-landlords ----------------------------------------------------------------------------


@pytest.fixture
def seed_file(tmp_path, seed_text):
    path = tmp_path / "avis.txt"
    path.write_text(seed_text, encoding="utf-8")
    return path


def test_the_command_links_landlords_by_id_and_by_siren(seed_file):
    logirem = OrganisationFactory(name="Société Logirem")
    OrganisationFactory(name="Erilia SA", siret="34207656900009")
    importer()
    call_command("import_avis_conjoint", str(seed_file), "--by", IMPORTER, "--link-landlords", f"logirem={logirem.pk}",
                 "--link-landlords", "ERILIA=342 076 569", stdout=StringIO())  # fmt: skip
    landlords = set(Dossier.objects.values_list("lead_landlord__name", flat=True))
    assert {"Société Logirem", "Erilia SA"} <= landlords and not {"LOGIREM", "ERILIA"} & landlords


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("LOGIREM", "attendu NOM=ORGANISME"),
        ("LOGIREM=999999", "aucun organisme"),
        ("LOGIREM=123456789", "SIREN"),
        # An organisation that exists: the importer's own.
        ("INCONNU={pk}", "ne nomme aucun bailleur « INCONNU »"),
    ],
)
def test_the_command_refuses_a_bad_link(seed_file, link, message):
    organisation = importer().memberships.get().organisation
    with pytest.raises(CommandError, match=message):
        call_command("import_avis_conjoint", str(seed_file), "--by", IMPORTER, "--link-landlords",
                     link.format(pk=organisation.pk), stdout=StringIO())  # fmt: skip
    assert Committee.objects.count() == 0
