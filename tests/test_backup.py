"""backup and restore: one archive gives back every row of every model and every stored file.

The tests are transactional: on PostgreSQL, pg_dump and pg_restore work through connections of their
own, which only see committed rows. On SQLite the test database stays in memory: the commands copy
it with the connection's own online backup API, the very path they take on a file database, so the
suite exercises the production code rather than a test-only one.
"""

import hashlib
import io
import json
import sqlite3
import tarfile
from contextlib import closing
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from core.models import (
    Agreement,
    BudgetLine,
    Decision,
    Dossier,
    DossierStrand,
    Opinion,
    PaymentTranche,
    Public,
    Territory,
)
from core.services.attachments import attachment_add
from core.services.exchanges import message_post, note_add
from core.services.opinions import opinion_save, opinion_sign
from operations import backup as backup_module
from operations.backup import stored_names
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(255, -1, -1)) * 8


def database_rows() -> dict[str, list[tuple]]:
    """Every row of every installed model: auth, sessions, historical records, many-to-many tables."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models(include_auto_created=True)
    }


def stored_files() -> dict[str, bytes]:
    contents = {}
    for name in stored_names():
        with default_storage.open(name, "rb") as file:
            contents[name] = file.read()
    return contents


def backup(path: Path) -> Path:
    call_command("backup", path, stdout=io.StringIO())
    return path


def restore(path: Path, *options: str) -> str:
    out = io.StringIO()
    call_command("restore", path, *options, stdout=out)
    return out.getvalue()


def opinion_edit(dossier: Dossier, by, **changes) -> None:
    opinion = dossier.opinion
    values = {name: getattr(opinion, name) for name in ("verdict", "questions", "remarks", "retained", "rank")}
    opinion_save(dossier=dossier, by=by, expected_revision=opinion.revision, **{**values, **changes})


@pytest.fixture
def varied(published, client):
    """The cast and its published avis conjoint, with a bit of everything: history, files, follow-up."""
    cast = published
    member, landlord = cast.users["member"], cast.users["landlord"]
    dossier, other = cast.dossier, cast.other_dossier
    opinion_edit(dossier, member, remarks="Deuxième rédaction.")
    opinion_sign(dossier=dossier, by=member)
    dossier.partners.add(OrganisationFactory(name="SOLiHA Provence", kind="association"))
    dossier.publics.add(Public.objects.create(name="Femmes victimes de violences"))
    DossierStrand.objects.create(dossier=dossier, strand="acces", year=1, households=12)
    Territory.objects.create(dossier=dossier, department="13", commune="Marseille", qpv=True, qpv_name="Frais Vallon")
    BudgetLine.objects.create(dossier=dossier, year=1, funder="fnavdl", amount=Decimal("45000.50"))
    attachment_add(dossier=dossier, upload=SimpleUploadedFile("projet.pdf", PDF), by=landlord)
    question = SimpleUploadedFile("questions.pdf", b"%PDF-1.4 questions du comite")
    message_post(dossier=dossier, by=member, body="Pouvez-vous préciser ?", upload=question)
    note_add(dossier=dossier, by=member, body="À revoir en séance.")
    cast.committee.institutions[0].logo.save("ar-hlm.png", ContentFile(PNG))
    decision = Decision.objects.create(
        dossier=other, outcome="retenu", amount_granted=Decimal("90000"), notified_at=timezone.now()
    )
    agreement = Agreement.objects.create(
        dossier=other, amount=decision.amount_granted, starts_on=date(2019, 1, 1), ends_on=date(2021, 12, 31)
    )
    PaymentTranche.objects.create(agreement=agreement, order=1, amount=agreement.amount, paid_on=date(2019, 3, 1))
    client.force_login(member)
    return cast


@pytest.fixture
def archive(varied, tmp_path) -> Path:
    return backup(tmp_path / "aap.tar.gz")


def change_everything(cast) -> None:
    """What happens after a backup: a rewritten opinion, a deleted dossier, a lost file, new ones."""
    # Decided on, its opinion is closed to the committee: rewritten as a restore must undo any change.
    Opinion.objects.filter(dossier=cast.other_dossier).update(remarks="Réécrit après la sauvegarde.")
    lost = cast.dossier.attachments.first().file.name
    cast.dossier.delete()
    default_storage.delete(lost)
    default_storage.save("logos/nouveau.png", ContentFile(PNG[:100]))
    User.objects.create_user("arrive-apres", password="mot de passe assez long")


def test_restore_gives_back_every_row_and_every_file(varied, tmp_path):
    rows, files = database_rows(), stored_files()
    filled = {label for label, values in rows.items() if values}
    assert {
        "auth.User",
        "sessions.Session",
        "core.Attachment",
        "core.HistoricalOpinion",
        "core.HistoricalDossier_partners",
        "core.JointOpinion",
        "core.PaymentTranche",
    } <= filled
    assert {attachment.file.name for attachment in varied.dossier.attachments.all()} | {
        varied.committee.institutions[0].logo.name
    } <= files.keys()
    archive = backup(tmp_path / "aap.tar.gz")

    change_everything(varied)
    assert (database_rows(), stored_files()) != (rows, files)
    output = restore(archive, "--no-input")

    assert database_rows() == rows
    assert stored_files() == files
    print(f"\n{len(rows)} models, {sum(map(len, rows.values()))} rows and {len(files)} files compared: identical")
    assert f"la base et {len(files)} fichiers stockés" in output


def test_the_manifest_names_the_vendor_and_every_member_with_its_checksum(archive):
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert names[0] == "manifest.json"
    assert (manifest["format"], manifest["vendor"]) == (1, connection.vendor)
    assert [entry["name"] for entry in manifest["files"]] == names[1:]
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"])
    applied = MigrationRecorder(connection).applied_migrations()
    assert manifest["migrations"] == sorted(f"{app}.{name}" for app, name in applied)


def test_an_older_backup_is_restored_with_a_reminder_to_migrate(varied, tmp_path):
    recorder = MigrationRecorder(connection)
    latest = recorder.migration_qs.filter(app="core").latest("id")
    latest.delete()
    try:
        # The archive of a database one migration behind this version of aap.
        archive = backup(tmp_path / "older.tar.gz")
        recorder.record_applied(latest.app, latest.name)
        output = restore(archive, "--no-input")
        assert "La sauvegarde précède 1 migration de cette version" in output
        assert "lancez « manage.py migrate »" in output
    finally:
        if (latest.app, latest.name) not in recorder.applied_migrations():
            recorder.record_applied(latest.app, latest.name)


def test_restore_asks_first_and_a_refusal_changes_nothing(varied, archive, monkeypatch):
    change_everything(varied)
    rows, files = database_rows(), stored_files()
    monkeypatch.setattr("builtins.input", lambda prompt: "non")
    with pytest.raises(CommandError, match=r"Restauration annulée\. Rien n'a été modifié\."):
        restore(archive)
    assert (database_rows(), stored_files()) == (rows, files)

    monkeypatch.setattr("builtins.input", lambda prompt: "oui")
    restore(archive)
    assert not User.objects.filter(username="arrive-apres").exists()


def rewritten(archive: Path, change) -> Path:
    """A copy of the archive where `change(name, data)` gives each member's new content."""
    copy = archive.with_name("rewritten.tar.gz")
    with tarfile.open(archive) as source, tarfile.open(copy, "w:gz") as target:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return copy


def with_manifest(**changes):
    def change(name: str, data: bytes) -> bytes:
        return json.dumps({**json.loads(data), **changes}).encode() if name == "manifest.json" else data

    return change


def listing(change):
    """Change the manifest's list of files."""

    def rewrite(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        return json.dumps({**manifest, "files": change(manifest["files"])}).encode()

    return rewrite


def other_vendor() -> str:
    return "postgresql" if connection.vendor == "sqlite" else "sqlite"


def truncated(archive: Path) -> Path:
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    return archive


def not_an_archive(archive: Path) -> Path:
    archive.write_bytes("PROJET N°1".encode())
    return archive


REFUSED = {
    "another vendor": (
        lambda archive: rewritten(archive, with_manifest(vendor=other_vendor())),
        "cette sauvegarde est celle d'une base « (sqlite|postgresql) », la base configurée est",
    ),
    "an unknown format": (
        lambda archive: rewritten(archive, with_manifest(format=2)),
        r"format d'archive inconnu \(2\)",
    ),
    "a damaged file": (
        lambda archive: rewritten(archive, lambda name, data: data[:-1] + b"!" if name.startswith("media/") else data),
        "archive endommagée : l'empreinte de « media/.* » ne correspond pas",
    ),
    "a damaged database": (
        lambda archive: rewritten(archive, lambda name, data: data[:-1] if name == "database" else data),
        "archive endommagée : l'empreinte de « database » ne correspond pas",
    ),
    "a missing member": (
        lambda archive: rewritten(archive, listing(lambda files: [*files, {"name": "media/x", "sha256": "0" * 64}])),
        "archive endommagée : il manque media/x",
    ),
    "an unlisted member": (
        lambda archive: rewritten(archive, listing(lambda files: files[1:])),
        "archive endommagée : « database » n'est pas dans son manifeste",
    ),
    "a newer version of aap": (
        lambda archive: rewritten(archive, with_manifest(migrations=["core.0001_initial", "core.9999_future"])),
        r"cette sauvegarde vient d'une version plus récente d'aap \(migrations inconnues : core.9999_future\)",
    ),
    "a truncated archive": (truncated, "archive illisible ou endommagée"),
    "not an archive": (not_an_archive, "archive illisible ou endommagée"),
}


def refused_changing_nothing(archive: Path, message: str) -> None:
    """Restoring `archive` is refused with `message`, and every row and every stored file stay as they are."""
    rows, files = database_rows(), stored_files()
    with pytest.raises(CommandError, match=message) as refused:
        restore(archive, "--no-input")
    assert str(refused.value).endswith("Rien n'a été modifié.")
    assert (database_rows(), stored_files()) == (rows, files)


@pytest.mark.parametrize("case", REFUSED)
def test_restore_refuses_before_touching_anything(case, varied, archive):
    damage, message = REFUSED[case]
    broken = damage(archive)
    change_everything(varied)
    refused_changing_nothing(broken, message)


def rebuilt(archive: Path, change) -> Path:
    """A copy of the archive whose members are `change(members)`, with a manifest that lists them.

    Checksums that match are what a careless or hostile backup tool would write: the restore must
    refuse such an archive for what it holds, not for a checksum.
    """
    copy = archive.with_name("rebuilt.tar.gz")
    with tarfile.open(archive) as source:
        manifest = json.load(source.extractfile("manifest.json"))
        members = [(info, source.extractfile(info).read()) for info in source.getmembers()[1:]]
    members = change(members)
    manifest["files"] = [
        {"name": info.name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for info, data in members
    ]
    with tarfile.open(copy, "w:gz") as target:
        listing_data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(listing_data)
        target.addfile(info, io.BytesIO(listing_data))
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            target.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return copy


def member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tuple:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info, data


def plus(*extra):
    return lambda members: [*members, *extra]


def database_changed(change):
    return lambda members: [(info, change(data) if info.name == "database" else data) for info, data in members]


def damaged_past_the_header(data: bytes) -> bytes:
    """A dump whose beginning reads: for pg_dump, its data past the table of contents that --list reads; for SQLite,
    the header of its second page, the first table's (the last bytes may be free space, which nothing reads)."""
    if connection.vendor == "sqlite":
        size = int.from_bytes(data[16:18], "big")
        return data[:size] + b"\xff" * 8 + data[size + 8 :]
    return data[:-200] + bytes(200)


# Each archive is consistent (every member listed, every checksum right): refused for what it holds.
UNSAFE = {
    "a member outside the stored files": (plus(member("media/../x", b"x")), "« media/../x » sort du dossier"),
    "a member far outside": (plus(member("media/logos/../../../etc/x", b"x")), "sort du dossier des fichiers"),
    "an absolute path": (plus(member("/tmp/aap-restore", b"x")), "« /tmp/aap-restore » est un chemin absolu"),
    "an unexpected name": (plus(member("notes.txt", b"x")), "« notes.txt » n'est ni la base de données ni un fichier"),
    "a name not normalised": (plus(member("media/logos//x.png", b"x")), "n'est pas un nom de fichier stocké valide"),
    "a name the storage would change": (plus(member("media/logos/a b.png", b"x")), "n'est pas un nom de fichier"),
    "a symbolic link": (
        plus(member("media/logos/lien.png", kind=tarfile.SYMTYPE, linkname="/etc/passwd")),
        "« media/logos/lien.png » est un lien ou un fichier spécial",
    ),
    "a hard link": (
        plus(member("media/logos/lien.png", kind=tarfile.LNKTYPE, linkname="database")),
        "est un lien ou un fichier spécial",
    ),
    "a device": (plus(member("media/logos/zero", kind=tarfile.CHRTYPE)), "est un lien ou un fichier spécial"),
    "a directory": (plus(member("media/logos", kind=tarfile.DIRTYPE)), "est un lien ou un fichier spécial"),
    "half a database dump": (
        database_changed(lambda data: data[: len(data) // 2]),
        "archive endommagée : la base de données est illisible",
    ),
    "a dump damaged after its table of contents": (
        database_changed(damaged_past_the_header),
        # SQLite finds the page malformed before anything is touched; pg_dump's table of contents is
        # intact, so pg_restore fails halfway, inside its one transaction.
        "archive endommagée : la base de données est illisible|restauration interrompue \\(pg_restore a échoué",
    ),
}


@pytest.mark.parametrize("case", UNSAFE)
def test_an_unsafe_archive_changes_no_row_and_no_file(case, varied, archive):
    change, message = UNSAFE[case]
    unsafe = rebuilt(archive, change)
    change_everything(varied)
    refused_changing_nothing(unsafe, message)


def test_the_rebuilt_archive_itself_is_restored(varied, archive):
    """The refusals above come from what was added, not from the way the archives are rebuilt."""
    rows, files = database_rows(), stored_files()
    change_everything(varied)
    restore(rebuilt(archive, lambda members: members), "--no-input")
    assert (database_rows(), stored_files()) == (rows, files)


def failing_on_call(number: int, function):
    calls = []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == number:
            raise OSError(28, "No space left on device")
        return function(*args, **kwargs)

    return failing


def test_a_failure_while_writing_the_files_puts_everything_back(varied, archive, monkeypatch):
    change_everything(varied)
    assert len(stored_files()) >= 2
    # The second file of the archive fails to be written: the first is, and the current ones are deleted.
    monkeypatch.setattr(default_storage, "save", failing_on_call(2, default_storage.save))
    refused_changing_nothing(archive, r"restauration interrompue \(\[Errno 28\] No space left")


def halfway_database_copy(dump: Path) -> None:
    """The database copy, stopped after a few pages (SQLite) or before pg_restore commits (PostgreSQL)."""
    if connection.vendor == "sqlite":
        with closing(sqlite3.connect(dump)) as source:
            source.backup(connection.connection, pages=2, progress=failing_on_call(3, lambda *progress: None))
    raise OSError(5, "Input/output error")


def test_a_failure_while_copying_the_database_puts_everything_back(varied, archive, monkeypatch):
    change_everything(varied)
    monkeypatch.setattr(backup_module, "_database_restore", halfway_database_copy)
    refused_changing_nothing(archive, r"restauration interrompue \(")


def test_a_failure_that_cannot_be_undone_says_so(varied, archive, monkeypatch):
    change_everything(varied)
    monkeypatch.setattr(backup_module, "_database_restore", halfway_database_copy)
    # The files are written, the database fails, and putting the files back fails too.
    monkeypatch.setattr(backup_module, "_files_replace", failing_on_call(2, backup_module._files_replace))
    with pytest.raises(CommandError, match="les fichiers stockés n'ont pu être remis") as refused:
        restore(archive, "--no-input")
    assert "Rien n'a été modifié" not in str(refused.value)
