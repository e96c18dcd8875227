"""One archive holding the database and the stored files (attachments, logos), and its restoration.

The archive is a gzipped tar: `manifest.json` first, then the database (a SQLite file or a pg_dump
in custom format) and the stored files under `media/`. The manifest names the format, the database
vendor and the SHA-256 of every other member, so that a restore refuses an archive it cannot apply
before it touches anything: every member's name, type and checksum, and the database dump itself, are
checked first. The restore then replaces the stored files and the database, all or nothing.
"""

import hashlib
import json
import os
import posixpath
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
VENDORS = ("sqlite", "postgresql")
MANIFEST = "manifest.json"
DATABASE = "database"
MEDIA = "media/"


class BackupError(Exception):
    """Why a backup or a restore was not done, in French, for the operator."""


@dataclass
class CheckedArchive:
    """An archive whose manifest and checksums were verified, extracted into a staging directory."""

    manifest: dict
    # Archive member name → its extracted copy.
    members: dict[str, Path]
    # Where the members were extracted; the restore keeps its copy of the current files there.
    staging: Path

    @property
    def stored_files(self) -> dict[str, Path]:
        return {name.removeprefix(MEDIA): path for name, path in self.members.items() if name.startswith(MEDIA)}


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _postgresql(program: str, *arguments: str) -> None:
    settings_dict = connection.settings_dict
    # Django's own psql client knows which settings become libpq variables (password, SSL, service).
    _, env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    options = {
        "--host": settings_dict["HOST"],
        "--port": settings_dict["PORT"],
        "--username": settings_dict["USER"],
        "--dbname": settings_dict["NAME"],
    }
    command = [program, "--no-password", *(f"{flag}={value}" for flag, value in options.items() if value)]
    try:
        done = subprocess.run(
            [*command, *arguments], env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as error:
        raise BackupError(f"{program} est introuvable : installez le paquet postgresql-client.") from error
    if done.returncode:
        raise BackupError(f"{program} a échoué : {done.stderr.strip()}")


def _database_dump(target: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with closing(sqlite3.connect(target)) as copy:
            # The online backup API copies every page in one step under a read lock: a consistent
            # copy even while the application writes.
            connection.connection.backup(copy)
    else:
        # pg_dump reads the whole database in one snapshot.
        _postgresql("pg_dump", "--format=custom", f"--file={target}")


def _database_restore(dump: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with closing(sqlite3.connect(f"{dump.as_uri()}?mode=ro", uri=True)) as source:
            source.backup(connection.connection)
    else:
        # One transaction: if anything fails, the database stays as it was. --no-owner lets another
        # role (a new server's) own what it restores.
        _postgresql("pg_restore", "--clean", "--if-exists", "--single-transaction", "--no-owner", str(dump))
    # Content types are cached by id; the restored ids may not be the cached ones.
    ContentType.objects.clear_cache()


def stored_names(directory: str = "") -> Iterator[str]:
    """Every file of the default storage, through its API so that any storage (disk, S3) is walked."""
    try:
        directories, files = default_storage.listdir(directory)
    except FileNotFoundError:
        # A file system storage's root is only created by the first upload.
        return
    prefix = f"{directory}/" if directory else ""
    for name in files:
        yield prefix + name
    for subdirectory in directories:
        yield from stored_names(prefix + subdirectory)


def _files_copy(directory: Path) -> dict[str, Path]:
    """Copy every stored file into `directory`; return each stored name with its copy."""
    directory.mkdir()
    copies = {}
    for index, name in enumerate(stored_names()):
        # Copied under an index: the stored name may hold directories.
        copy = copies[name] = directory / f"file-{index}"
        with default_storage.open(name, "rb") as source, copy.open("wb") as target:
            shutil.copyfileobj(source, target)
    return copies


def _check_vendor() -> None:
    if connection.vendor not in VENDORS:
        raise BackupError(f"base de données « {connection.vendor} » non prise en charge (SQLite ou PostgreSQL).")


def _archive_write(path: Path, manifest: dict, members: dict[str, Path]) -> None:
    partial = path.with_name(f"{path.name}.partial")
    try:
        with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(time.time())
            archive.addfile(info, BytesIO(data))
            for name, staged in members.items():
                archive.add(staged, arcname=name, recursive=False)
        # Written aside, then renamed: an interrupted backup never replaces a good archive.
        partial.replace(path)
    except OSError as error:
        raise BackupError(f"archive impossible à écrire ({error}).") from error
    finally:
        partial.unlink(missing_ok=True)


def backup_create(*, path: Path) -> dict:
    """Write the database and every stored file into the archive at `path`; return its manifest."""
    _check_vendor()
    with tempfile.TemporaryDirectory() as staging_name:
        staging = Path(staging_name)
        members = {DATABASE: staging / DATABASE}
        _database_dump(members[DATABASE])
        # Stored files are only ever added, never rewritten or deleted by the application: copied
        # after the database, every file that a row names is in the archive.
        members |= {MEDIA + name: copy for name, copy in _files_copy(staging / "media").items()}
        manifest = {
            "format": FORMAT,
            "vendor": connection.vendor,
            "created_at": timezone.now().isoformat(),
            "migrations": sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()),
            "files": [
                {"name": name, "size": staged.stat().st_size, "sha256": _sha256(staged)}
                for name, staged in members.items()
            ],
        }
        _archive_write(path, manifest, members)
    return manifest


def _name_check(name: str) -> None:
    """Refuse a member that is not the database or a stored file under a plain relative name.

    The name is the one the file is saved under: a `..`, an absolute path or a name the storage would
    change must be refused before anything is touched, not met halfway through the restore.
    """
    if name == DATABASE:
        return
    if name.startswith("/"):
        raise BackupError(f"archive refusée : « {name} » est un chemin absolu.")
    if not name.startswith(MEDIA):
        raise BackupError(f"archive refusée : « {name} » n'est ni la base de données ni un fichier stocké (media/…).")
    relative = name.removeprefix(MEDIA)
    if ".." in relative.split("/"):
        raise BackupError(f"archive refusée : « {name} » sort du dossier des fichiers stockés (..).")
    if (
        posixpath.normpath(relative) != relative
        or relative.startswith("/")
        or any(character in relative for character in "\\\0")
        or default_storage.generate_filename(relative) != relative
    ):
        raise BackupError(f"archive refusée : « {name} » n'est pas un nom de fichier stocké valide.")


def _manifest(archive: tarfile.TarFile) -> dict:
    first = archive.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise BackupError("ce n'est pas une sauvegarde d'aap (pas de manifeste en tête d'archive).")
    try:
        manifest = json.load(archive.extractfile(first))
    except ValueError as error:
        raise BackupError("manifeste illisible : format d'archive inconnu.") from error
    version = manifest.get("format") if isinstance(manifest, dict) else None
    if version != FORMAT:
        raise BackupError(f"format d'archive inconnu ({version!r}) : cette version d'aap lit le format {FORMAT}.")
    if manifest.get("vendor") != connection.vendor:
        raise BackupError(
            f"cette sauvegarde est celle d'une base « {manifest.get('vendor')} », "
            f"la base configurée est « {connection.vendor} »."
        )
    unknown = sorted(set(manifest.get("migrations", [])) - _known_migrations())
    if unknown:
        raise BackupError(
            f"cette sauvegarde vient d'une version plus récente d'aap (migrations inconnues : {', '.join(unknown[:3])}"
            f"{'…' if len(unknown) > 3 else ''}) : installez cette version avant de la restaurer."
        )
    files = manifest.get("files")
    if not isinstance(files, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(entry.get("sha256"), str)
        for entry in files
    ):
        raise BackupError("archive endommagée : la liste des fichiers du manifeste est illisible.")
    for entry in files:
        _name_check(entry["name"])
    return manifest


def _known_migrations() -> set[str]:
    return {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}


def pending_migrations() -> list[str]:
    """Migrations of this version of aap that the database lacks: after restoring an older backup."""
    applied = {f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()}
    return sorted(_known_migrations() - applied)


def archive_check(*, path: Path, staging: Path) -> CheckedArchive:
    """Verify the archive at `path` and extract it into `staging`, touching nothing else.

    Refused: an archive of another format or of another database vendor, one written by a newer version of
    aap (migrations this one does not know), a member that is not the database or a stored file under a
    plain relative name (`..`, absolute path, unexpected name), a link or special file, and a damaged
    archive (a member missing, unlisted or whose SHA-256 differs from the manifest's, a database dump
    that cannot be read).
    """
    _check_vendor()
    members = {}
    try:
        with tarfile.open(path, "r:gz") as archive:
            manifest = _manifest(archive)
            expected = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
            while (member := archive.next()) is not None:
                _name_check(member.name)
                if not member.isfile():
                    raise BackupError(f"archive refusée : « {member.name} » est un lien ou un fichier spécial.")
                if member.name not in expected or member.name in members:
                    raise BackupError(f"archive endommagée : « {member.name} » n'est pas dans son manifeste.")
                # Extracted under an index, never under the member's name, which could point anywhere.
                staged = members[member.name] = staging / f"member-{len(members)}"
                with archive.extractfile(member) as source, staged.open("wb") as target:
                    shutil.copyfileobj(source, target)
                if _sha256(staged) != expected[member.name]:
                    raise BackupError(f"archive endommagée : l'empreinte de « {member.name} » ne correspond pas.")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(f"archive illisible ou endommagée ({error}).") from error
    missing = sorted(expected.keys() - members.keys())
    if missing or DATABASE not in expected:
        raise BackupError(f"archive endommagée : il manque {', '.join(missing) or 'la base de données'}.")
    _dump_check(members[DATABASE], manifest)
    return CheckedArchive(manifest=manifest, members=members, staging=staging)


def _dump_check(dump: Path, manifest: dict) -> None:
    """Refuse a database dump that cannot be restored, whatever its checksum says."""
    if connection.vendor == "sqlite":
        try:
            with closing(sqlite3.connect(f"{dump.as_uri()}?mode=ro", uri=True)) as copy:
                (integrity,) = copy.execute("PRAGMA integrity_check(1)").fetchone()
                applied = {f"{app}.{name}" for app, name in copy.execute("SELECT app, name FROM django_migrations")}
        except sqlite3.DatabaseError as error:
            raise BackupError(f"archive endommagée : la base de données est illisible ({error}).") from error
        if integrity != "ok" or applied != set(manifest.get("migrations", [])):
            raise BackupError("archive endommagée : la base de données n'est pas celle que décrit le manifeste.")
    else:
        # Reads the dump's table of contents; the data itself is checked by the restore's one transaction.
        try:
            _postgresql("pg_restore", "--list", str(dump))
        except BackupError as error:
            raise BackupError(f"archive endommagée : la base de données est illisible ({error}).") from error


def _files_replace(files: dict[str, Path]) -> None:
    """Make the stored files exactly `files` (stored name → local copy)."""
    # Files stored since the backup are deleted, as the restored rows no longer name them.
    for name in list(stored_names()):
        default_storage.delete(name)
    for name, staged in files.items():
        with staged.open("rb") as content:
            saved = default_storage.save(name, File(content, name=name))
        if saved != name:
            raise BackupError(f"le stockage a enregistré « {name} » sous le nom « {saved} ».")


def backup_restore(*, archive: CheckedArchive) -> None:
    """Replace the stored files and the database with the archive's, all or nothing.

    The storage may be any (disk, S3): it cannot swap directories, so the current files are copied
    aside first and put back if anything fails. The database goes last, in one transaction (pg_restore
    --single-transaction; SQLite's backup API writes the destination in one transaction, rolled back if
    it does not finish): if it fails, it is as it was, and so are the files once put back.
    """
    previous = _files_copy(archive.staging / "previous")
    try:
        _files_replace(archive.stored_files)
        _database_restore(archive.members[DATABASE])
    except BaseException as error:
        # Interrupted (Ctrl-C included) after the files were replaced: they are put back.
        try:
            _files_replace(previous)
        except Exception as undo_error:
            raise BackupError(
                f"restauration interrompue ({error}), et les fichiers stockés n'ont pu être remis ({undo_error}) : "
                "la base est restée telle qu'elle était, restaurez les fichiers depuis une autre sauvegarde."
            ) from undo_error
        raise BackupError(
            f"restauration interrompue ({error}) : la base et les fichiers stockés sont tels qu'ils étaient. "
            "Rien n'a été modifié."
        ) from error
