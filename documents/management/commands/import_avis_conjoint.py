import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.models import Organisation
from core.services.imports import ImportRefusal, resolve_links
from documents.joint_opinion_import import ImportRefused, joint_opinion_import, landlord_key
from documents.joint_opinion_reading import DocumentRefused, joint_opinion_read


class Command(BaseCommand):
    help = (
        "Import an avis conjoint (joint opinion of a regional committee) from a text, Word (DOCX), OpenDocument (ODT) "
        "or PDF document. Each landlord is matched to the organisation of the same name, compared without case, "
        "accents or punctuation, or created; --link-landlords links a name written otherwise to an existing one."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="parse only, write nothing")
        parser.add_argument(
            "--link-landlords",
            action="append",
            default=[],
            metavar="NAME=ORGANISATION",
            help="link the landlord the document names NAME (as written, compared without case or accents) to an "
            "existing organisation, given by its id in aap (LOGIREM=12) or its SIREN or SIRET "
            '("LOGIREM=782855696"); repeat the option for each landlord. The document must name every NAME.',
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the parsed document as JSON on stdout"
        )

    def _links(self, given: list[str]) -> dict[str, Organisation]:
        references = {}
        for item in given:
            name, equals, reference = item.rpartition("=")
            if not (equals and name.strip() and reference.strip()):
                raise CommandError(f"--link-landlords « {item} » : attendu NOM=ORGANISME (son id ou son SIREN).")
            references[name.strip()] = reference
        try:
            return resolve_links(references)
        except ImportRefusal as refusal:
            raise CommandError(f"--link-landlords : {refusal}") from refusal

    def handle(self, *args, file: Path, dry_run: bool, as_json: bool, link_landlords: list[str], **options):
        links = self._links(link_landlords)
        try:
            reading = joint_opinion_read(file.read_bytes())
        except OSError as error:
            raise CommandError(f"{file}: fichier illisible ({error.strerror})") from error
        except DocumentRefused as error:
            raise CommandError(f"{file}: {error}") from error
        document = reading.document
        named = {landlord_key(project.landlord) for project in document.projects}
        unknown = [name for name in links if landlord_key(name) not in named]
        if unknown:
            raise CommandError(f"--link-landlords : le document ne nomme aucun bailleur « {', '.join(unknown)} ».")

        if as_json:
            self.stdout.write(json.dumps(document.as_json(), ensure_ascii=False, indent=2))
        if dry_run:
            if not as_json:
                self.stdout.write(f"{len(document.projects)} projects parsed; nothing written (--dry-run).")
            return
        try:
            result = joint_opinion_import(document=document, source=reading.text, landlord_links=links)
        except ImportRefused as refusal:
            raise CommandError(f"{file}: {refusal} Nothing was written.") from refusal
        if not as_json:
            self.stdout.write(self.style.SUCCESS(str(result)))
