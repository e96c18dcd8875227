import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from operations.backup import BackupError, archive_check, backup_restore, pending_migrations


class Command(BaseCommand):
    help = "Replace the database and the stored files with those of an archive written by the backup command."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive", help="do not ask for confirmation"
        )

    def handle(self, *args, path: Path, interactive: bool, **options):
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as staging:
            try:
                archive = archive_check(path=path, staging=Path(staging))
            except BackupError as error:
                raise CommandError(f"{path} : {error} Rien n'a été modifié.") from error
            created_at = archive.manifest["created_at"]
            if (
                interactive
                and input(
                    f"La base « {connection.settings_dict['NAME']} » et tous les fichiers stockés vont être remplacés "
                    f"par la sauvegarde du {created_at} ; ce qui a été écrit depuis sera perdu.\n"
                    "Tapez « oui » pour continuer : "
                )
                != "oui"
            ):
                raise CommandError("Restauration annulée. Rien n'a été modifié.")
            try:
                backup_restore(archive=archive)
            except BackupError as error:
                raise CommandError(f"{path} : {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restauré : la base et {len(archive.stored_files)} fichiers stockés de la sauvegarde du {created_at}, "
                f"en {time.monotonic() - started:.1f} s."
            )
        )
        pending = len(pending_migrations())
        if pending:
            self.stdout.write(
                self.style.WARNING(
                    f"La sauvegarde précède {pending} migration{'s' if pending > 1 else ''} de cette version : "
                    "lancez « manage.py migrate » avant de servir l'application."
                )
            )
