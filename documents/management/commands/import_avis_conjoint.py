import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from documents.joint_opinion_import import ImportRefused, joint_opinion_import
from documents.joint_opinion_reading import DocumentRefused, joint_opinion_read


class Command(BaseCommand):
    help = "Import an avis conjoint (joint opinion of a regional committee) from a text, Word (DOCX) or PDF document."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="parse only, write nothing")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the parsed document as JSON on stdout"
        )

    def handle(self, *args, file: Path, dry_run: bool, as_json: bool, **options):
        try:
            reading = joint_opinion_read(file.read_bytes())
        except OSError as error:
            raise CommandError(f"{file}: fichier illisible ({error.strerror})") from error
        except DocumentRefused as error:
            raise CommandError(f"{file}: {error}") from error
        document = reading.document

        if as_json:
            self.stdout.write(json.dumps(document.as_json(), ensure_ascii=False, indent=2))
        if dry_run:
            if not as_json:
                self.stdout.write(f"{len(document.projects)} projects parsed; nothing written (--dry-run).")
            return
        try:
            result = joint_opinion_import(document=document, source=reading.text)
        except ImportRefused as refusal:
            raise CommandError(f"{file}: {refusal} Nothing was written.") from refusal
        if not as_json:
            self.stdout.write(self.style.SUCCESS(str(result)))
