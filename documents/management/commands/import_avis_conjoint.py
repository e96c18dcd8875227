import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.models import Organisation
from core.services.imports import ImportRefusal, import_confirm, import_correct, import_upload, resolve_links
from core.workflow import ActionRefused
from documents.joint_opinion_import import ImportResult, landlord_key
from documents.joint_opinion_reading import DocumentRefused, joint_opinion_read


class Command(BaseCommand):
    help = (
        "Import an avis conjoint (joint opinion of a regional committee) from a text, Word (DOCX), OpenDocument (ODT) "
        "or PDF document. Each landlord is matched to the organisation of the same name, compared without case, "
        "accents or punctuation, or created; --link-landlords links a name written otherwise to an existing one. "
        "The import is made as the user --by names, with its rights, and recorded as the import page records it."
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
        parser.add_argument(
            "--by",
            metavar="USERNAME",
            help="the aap user who imports (the secretariat, or a member of a co-chairing institution of the avis's "
            "region); required unless --dry-run",
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

    def handle(self, *args, file: Path, dry_run: bool, as_json: bool, link_landlords: list[str], by, **options):
        importer = None if dry_run else self._importer(by)
        links = self._links(link_landlords)
        try:
            data = file.read_bytes()
            reading = joint_opinion_read(data)
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
        archive = None
        try:
            # The import page's steps at once, as one write: refused, not even the upload is recorded.
            with transaction.atomic():
                upload = SimpleUploadedFile(file.name, data)
                archive = import_upload(upload=upload, by=importer, reading=reading)
                links = {name: organisation.pk for name, organisation in links.items()}
                archive = import_correct(archive=archive, corrections={}, links=links, by=importer)
                archive = import_confirm(archive=archive, by=importer)
        except BaseException as failure:
            # The storage is outside the transaction: the file it kept goes with the rows rolled back.
            if archive is not None:
                archive.file.delete(save=False)
            if isinstance(failure, (ImportRefusal, ActionRefused)):
                raise CommandError(f"{file}: {failure}") from failure
            raise
        if not as_json:
            result = ImportResult(archive.committee, archive.changes["created"], archive.changes["updated"])
            self.stdout.write(self.style.SUCCESS(str(result)))

    def _importer(self, username: str | None):
        if not username:
            raise CommandError("--by : indiquez l'utilisateur qui importe (son identifiant dans aap).")
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"--by : aucun utilisateur actif « {username} ».")
        return user
