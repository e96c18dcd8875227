"""Importing a past avis conjoint from the page: the file uploaded and kept with its SHA-256, read by a task, reviewed
and corrected, then written in one transaction by the same writer as the command's (joint_opinion_import), or
cancelled with nothing written. Each step is in the audit trail."""

from datetime import timedelta
from functools import partial
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from core.audit import audit
from core.filetypes import ZIP, FileRefused, file_kind, named_as
from core.models import ArchiveImport, Organisation
from core.services.attachments import file_digest
from core.services.organisations import organisation_referred
from core.tasks import enqueue_on_commit
from core.workflow import check
from documents.joint_opinion_corrections import (
    CorrectionRefused,
    apply_corrections,
    document_from_json,
    document_json,
)
from documents.joint_opinion_import import ImportRefused, document_region, joint_opinion_import
from documents.joint_opinion_parser import ParsedDocument
from documents.joint_opinion_reading import DocumentRefused, Reading, joint_opinion_read

# A 200-page scan at 300 dpi stays under it; the reader refuses more pages than it reads anyway.
MAX_SIZE = 20 * 1024 * 1024
# An import refused or left unconfirmed keeps its file this long, for its uploader to see what was sent.
KEPT_DAYS = 30
ACCEPTED = {"pdf", "docx", "odt"}
WANTED = "un avis conjoint en texte (TXT), Word (DOCX), OpenDocument (ODT) ou PDF"
State = ArchiveImport.State


class ImportRefusal(Exception):
    """Why the step cannot be taken, in French, for the person importing; nothing has been written."""


def _kind(upload) -> str:
    """A PDF, DOCX or ODT by its content; anything else is taken for text, which the reader refuses if it is not."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith((b"%PDF-", ZIP)):
        try:
            return file_kind(upload, ACCEPTED, WANTED)
        except FileRefused as refusal:
            raise ImportRefusal(str(refusal)) from refusal
    return "txt"


def import_upload(*, upload, by, reading: Reading | None = None) -> ArchiveImport:
    """The file kept, and its reading queued; the import's page follows it. Given the file's reading (the command,
    which reads it before writing anything), the import is ready to confirm at once: nothing is queued."""
    check(by, "import.upload", ArchiveImport())
    if upload.size > MAX_SIZE:
        raise ImportRefusal(f"« {upload.name} » dépasse 20 Mo ({upload.size / 1024 / 1024:.1f} Mo).")
    if upload.size == 0:
        raise ImportRefusal(f"« {upload.name} » est vide.")
    kind = _kind(upload)
    filename = f"{PurePath(upload.name).stem}.txt" if kind == "txt" else named_as(upload.name, kind)
    archive = ArchiveImport(uploaded_by=by, filename=filename[:255], sha256=file_digest(upload))
    if reading is not None:
        _read_into(archive, reading)
    with transaction.atomic():
        # Stored under its uuid: two files of the same name never meet.
        archive.file.save(f"{archive.uuid}{PurePath(filename).suffix}", upload, save=False)
        archive.save()
        audit("import.upload", by=by, subject=archive, after={"filename": archive.filename, "sha256": archive.sha256})
        if reading is None:
            enqueue_on_commit(import_read, archive.pk)
    return archive


def _read_into(archive: ArchiveImport, reading: Reading) -> None:
    archive.state = State.READY
    archive.document = document_json(reading.document)
    archive.text = reading.text
    archive.region = document_region(reading.document)


@task()
def import_read(archive_id: int) -> str:
    """Reads the import's file into its document; returns the state it leads to. An import cancelled meanwhile stays
    cancelled: every update is conditional on the import still being read."""
    archive = ArchiveImport.objects.filter(pk=archive_id, state=State.PARSING).first()
    if archive is None:
        return ""
    reading = ArchiveImport.objects.filter(pk=archive_id, state=State.PARSING)
    try:
        with archive.file.open("rb") as file:
            data = file.read()
        read = joint_opinion_read(data, on_page=lambda done, pages: reading.update(pages_read=done, pages=pages))
    except DocumentRefused as refusal:
        message = str(refusal)
        reading.update(state=State.REFUSED, error=message[:1].upper() + message[1:], finished_at=timezone.now())
        return State.REFUSED
    except Exception:
        reading.update(
            state=State.REFUSED,
            error="Le fichier n'a pas pu être lu. Essayez de l'enregistrer à nouveau, ou envoyez-le au secrétariat.",
            finished_at=timezone.now(),
        )
        raise
    _read_into(archive, read)
    reading.update(state=archive.state, document=archive.document, text=archive.text, region=archive.region)
    return State.READY


def _locked(archive: ArchiveImport) -> ArchiveImport:
    return ArchiveImport.objects.select_for_update().get(pk=archive.pk)


def import_document(archive: ArchiveImport) -> ParsedDocument:
    """The document as the reviewer has it: as read, with their corrections."""
    return apply_corrections(document_from_json(archive.document), archive.corrections)


def landlord_links(archive: ArchiveImport) -> dict[str, Organisation]:
    """The organisations the reviewer linked, by the landlord's name as the document gives it."""
    organisations = Organisation.objects.in_bulk([pk for pk in archive.landlord_links.values() if pk])
    return {name: organisations[pk] for name, pk in archive.landlord_links.items() if pk in organisations}


def resolve_links(references: dict[str, str]) -> dict[str, Organisation]:
    """{landlord's name: an organisation's number in aap or its SIREN or SIRET} as {name: organisation}; an empty
    reference keeps the organisation found by name, or created. The page and the command read them alike."""
    links = {}
    for name, reference in references.items():
        if not reference.strip():
            continue
        try:
            organisation = organisation_referred(reference)
        except ValidationError as error:
            raise ImportRefusal(f"{name} : {' '.join(error.messages)}") from error
        if organisation is None:
            raise ImportRefusal(f"{name} : aucun organisme n'a le numéro « {reference.strip()} ».")
        links[name] = organisation
    return links


def import_correct(*, archive: ArchiveImport, corrections: dict, links: dict[str, int], by) -> ArchiveImport:
    """The reviewer's corrections and links, checked and kept; nothing else is written."""
    with transaction.atomic():
        archive = _locked(archive)
        check(by, "import.correct", archive)
        try:
            document = apply_corrections(document_from_json(archive.document), corrections)
        except CorrectionRefused as refusal:
            raise ImportRefusal(str(refusal)) from refusal
        before = {"corrections": archive.corrections, "landlord_links": archive.landlord_links}
        archive.corrections, archive.landlord_links = corrections, links
        # The region may be what was corrected: the committee member's right to write it follows.
        archive.region = document_region(document)
        archive.save(update_fields=["corrections", "landlord_links", "region"])
        after = {"corrections": corrections, "landlord_links": links}
        if after != before:
            audit("import.correct", by=by, subject=archive, before=before, after=after)
    return archive


def import_confirm(*, archive: ArchiveImport, by) -> ArchiveImport:
    """Writes the document, corrected and linked, in one transaction; refused, nothing is written."""
    try:
        with transaction.atomic():
            archive = _locked(archive)
            check(by, "import.confirm", archive)
            result = joint_opinion_import(
                document=document_from_json(archive.document),
                source=archive.text,
                corrections=archive.corrections,
                landlord_links=landlord_links(archive),
            )
            archive.committee = result.committee
            archive.state = State.CONFIRMED
            archive.changes = {"created": result.created, "updated": result.updated}
            archive.finished_at = timezone.now()
            archive.save()
            audit(
                "import.confirm",
                by=by,
                subject=archive,
                committee=result.committee,
                after={"filename": archive.filename, "sha256": archive.sha256, **archive.changes},
                message=f"{len(result.created)} créé(s), {len(result.updated)} modifié(s).",
            )
    except (ImportRefused, CorrectionRefused) as refusal:
        raise ImportRefusal(f"{refusal} Rien n'a été écrit.") from refusal
    return archive


def import_cancel(*, archive: ArchiveImport, by) -> ArchiveImport:
    """Nothing written; the file leaves the storage once the cancellation is saved."""
    with transaction.atomic():
        archive = _locked(archive)
        check(by, "import.cancel", archive)
        archive.state = State.CANCELLED
        archive.finished_at = timezone.now()
        archive.save(update_fields=["state", "finished_at"])
        audit("import.cancel", by=by, subject=archive, after={"filename": archive.filename, "sha256": archive.sha256})
        transaction.on_commit(lambda: _forget_file(archive), robust=True)
    return archive


def imports_prune(now=None) -> int:
    """The files of the imports that will never be written: refused, or left unconfirmed, more than KEPT_DAYS ago. The
    record stays (who, when, the file's SHA-256, why it was refused); one left unconfirmed is cancelled. Returns how
    many files were deleted."""
    before = (now or timezone.now()) - timedelta(days=KEPT_DAYS)
    stale = ArchiveImport.objects.filter(created_at__lt=before).exclude(file="")
    pruned = 0
    for archive in stale.filter(state=State.REFUSED).iterator():
        _forget_file(archive)
        pruned += 1
    for archive in stale.filter(state__in=[State.PARSING, State.READY]).iterator():
        with transaction.atomic():
            # Conditional: one confirmed or cancelled meanwhile stays as its reviewer left it.
            if ArchiveImport.objects.filter(pk=archive.pk, state=archive.state).update(
                state=State.CANCELLED, finished_at=timezone.now()
            ):
                audit("import.cancel", by=None, subject=archive, message=f"Abandonné depuis plus de {KEPT_DAYS} jours.")
                transaction.on_commit(partial(_forget_file, archive), robust=True)
                pruned += 1
    return pruned


def _forget_file(archive: ArchiveImport) -> None:
    archive.file.delete(save=False)
    ArchiveImport.objects.filter(pk=archive.pk).update(file="")
