from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.models import Committee
from core.services.joint_opinions import committee_snapshot
from documents.joint_opinion_content import joint_opinion_context, joint_opinion_filename
from documents.joint_opinion_docx import joint_opinion_docx
from documents.joint_opinion_pdf import joint_opinion_pdf

WRITERS = {"docx": joint_opinion_docx, "pdf": joint_opinion_pdf}


class Command(BaseCommand):
    help = "Write a committee's avis conjoint as DOCX or PDF: its latest published version, or a PROJET draft."

    def add_arguments(self, parser):
        parser.add_argument("--committee", type=int, required=True, help="committee id")
        parser.add_argument("--format", choices=sorted(WRITERS), required=True)
        parser.add_argument("--output", type=Path, help="file or folder (default: current folder)")
        parser.add_argument(
            "--published-version", type=int, dest="version", help="published version (default: the latest)"
        )
        parser.add_argument("--draft", action="store_true", help="the current opinions, marked PROJET")

    def handle(
        self, *args, committee: int, format: str, output: Path | None, version: int | None, draft: bool, **options
    ):
        found = Committee.objects.select_related("call").prefetch_related("seats").filter(pk=committee).first()
        if found is None:
            raise CommandError(f"No committee with id {committee}.")
        if draft:
            context, version = joint_opinion_context(committee_snapshot(found), committee=found, draft=True), None
        else:
            versions = found.joint_opinions.order_by("-version")
            joint_opinion = (versions.filter(version=version) if version else versions).first()
            if joint_opinion is None:
                raise CommandError(
                    f"{found} has no published avis conjoint{f' version {version}' if version else ''}; "
                    "use --draft for the current opinions."
                )
            context, version = (
                {**joint_opinion_context(joint_opinion.content, committee=found), "joint_opinion": joint_opinion},
                joint_opinion.version,
            )
        path = output or Path.cwd()
        if path.is_dir():
            path = path / joint_opinion_filename(found, version, format)
        path.write_bytes(WRITERS[format](context))
        self.stdout.write(str(path))
