import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Write the database and the stored files (attachments, logos) into one archive (.tar.gz)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="archive to write; an existing file is replaced")

    def handle(self, *args, path: Path, **options):
        started = time.monotonic()
        try:
            manifest = backup_create(path=path)
        except BackupError as error:
            raise CommandError(f"{path} : {error}") from error
        files = len(manifest["files"]) - 1
        self.stdout.write(
            self.style.SUCCESS(
                f"{path} : base {manifest['vendor']} et {files} fichiers stockés, "
                f"{path.stat().st_size / 1e6:.1f} Mo, en {time.monotonic() - started:.1f} s."
            )
        )
