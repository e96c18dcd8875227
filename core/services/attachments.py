"""Attachments are recognised by their content, never by their name (core/filetypes.py)."""

from dataclasses import dataclass

from django.db import transaction

from core.filetypes import FileRefused, file_kind, named_as
from core.models import Attachment, Dossier

MAX_SIZE = 20 * 1024 * 1024
ACCEPTED = set(Attachment.Kind.values)
WANTED = "un document PDF, Word (DOCX), Excel (XLSX) ou OpenDocument (ODT)"


class AttachmentRefused(Exception):
    """The message says why, in French, for the person who uploaded the file."""


@dataclass
class Checked:
    kind: str
    size: int


def attachment_check(upload) -> Checked:
    size = upload.size
    if size > MAX_SIZE:
        raise AttachmentRefused(f"« {upload.name} » dépasse 20 Mo ({size / 1024 / 1024:.1f} Mo).")
    if size == 0:
        raise AttachmentRefused(f"« {upload.name} » est vide.")
    try:
        return Checked(file_kind(upload, ACCEPTED, WANTED), size)
    except FileRefused as refusal:
        raise AttachmentRefused(str(refusal)) from refusal


@transaction.atomic
def attachment_add(*, dossier: Dossier, upload, by) -> Attachment:
    checked = attachment_check(upload)
    # Named after what it is, so that the page lists the name it downloads under.
    name = named_as(upload.name, checked.kind)[-255:]
    attachment = Attachment(dossier=dossier, name=name, kind=checked.kind, size=checked.size, uploaded_by=by)
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment
