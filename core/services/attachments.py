"""Attachments are recognised by their content, never by their name (core/filetypes.py), and known by their SHA-256:
a file is joined to its dossier once. Files are read and written through the storage alone (a disk or S3)."""

import hashlib
from dataclasses import dataclass
from functools import partial

from django.db import transaction

from core.filetypes import FileRefused, file_kind, named_as
from core.models import OTHER_DOCUMENT, Attachment, Call, Dossier, Message
from core.services.conflicts import refused_on_conflict
from core.services.dossiers import locked
from core.workflow import check

MAX_SIZE = 20 * 1024 * 1024
ACCEPTED = set(Attachment.Kind.values)
WANTED = "un document PDF, Word (DOCX), Excel (XLSX) ou OpenDocument (ODT)"


class AttachmentRefused(Exception):
    """The message says why, in French, for the person who uploaded the file."""


@dataclass
class Checked:
    kind: str
    size: int
    sha256: str


def file_digest(upload) -> str:
    """The SHA-256 of an uploaded file, read in chunks, whatever its size."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def attachment_check(upload) -> Checked:
    size = upload.size
    if size > MAX_SIZE:
        raise AttachmentRefused(f"« {upload.name} » dépasse 20 Mo ({size / 1024 / 1024:.1f} Mo).")
    if size == 0:
        raise AttachmentRefused(f"« {upload.name} » est vide.")
    try:
        kind = file_kind(upload, ACCEPTED, WANTED)
    except FileRefused as refusal:
        raise AttachmentRefused(str(refusal)) from refusal
    return Checked(kind, size, file_digest(upload))


def joined(dossier: Dossier, sha256: str) -> Attachment | None:
    """The dossier's own attachment that holds this file, if any."""
    return dossier.attachments.filter(message=None, sha256=sha256).first()


def document_types(call: Call) -> list[str]:
    """What a dossier's attachment may be: one of the documents its call asks, or another."""
    return [*call.documents(), OTHER_DOCUMENT]


@transaction.atomic
def attachment_join(*, dossier: Dossier, upload, document_type: str, by) -> Attachment:
    """One of the documents the dossier's call asks (document_types), or another, joined by its landlord while it
    may change the dossier."""
    dossier = locked(dossier)
    check(by, "dossier.attach", dossier)
    if document_type not in document_types(dossier.call):
        raise AttachmentRefused(
            f"« {document_type} » n'est pas une pièce que l'appel demande : choisissez-la dans la liste, ou "
            f"« {OTHER_DOCUMENT} »."
        )
    return attachment_add(dossier=dossier, upload=upload, by=by, document_type=document_type)


@transaction.atomic
def attachment_add(
    *, dossier: Dossier, upload, by, message: Message | None = None, document_type: str = ""
) -> Attachment:
    """The file stored and joined to the dossier, or to a message of its thread: the callers check who may. Refused
    when the dossier holds it already (a message may send again what the dossier holds)."""
    checked = attachment_check(upload)
    if message is None and (same := joined(dossier, checked.sha256)) is not None:
        raise AttachmentRefused(
            f"« {upload.name} » est déjà joint à ce dossier, sous le nom « {same.name} » : un même fichier n'est "
            "joint qu'une fois."
        )
    # Named after what it is, so that the page lists the name it downloads under.
    name = named_as(upload.name, checked.kind)[-255:]
    attachment = Attachment(
        dossier=dossier, message=message, document_type=document_type, name=name, kind=checked.kind,
        size=checked.size, sha256=checked.sha256, uploaded_by=by,
    )  # fmt: skip
    attachment.file.save(name, upload, save=False)
    # The same file sent twice at once (a double click): both pass the check above, the database refuses the second.
    twice = AttachmentRefused(
        f"« {upload.name} » vient d'être joint à ce dossier (la page a sans doute été envoyée deux fois) : un même "
        "fichier n'est joint qu'une fois."
    )
    try:
        with refused_on_conflict(twice):
            attachment.save()
    except AttachmentRefused:
        attachment.file.delete(save=False)
        raise
    return attachment


def _own(dossier: Dossier, attachment: Attachment) -> Attachment:
    """The dossier's own attachment, locked: refused when another request deleted or replaced it meanwhile."""
    own = dossier.attachments.select_for_update().filter(pk=attachment.pk, message=None).first()
    if own is None:
        raise AttachmentRefused(
            f"« {attachment.name} » n'est plus joint au dossier : il a été supprimé ou remplacé entre-temps. "
            "Rechargez la page."
        )
    return own


def _forget(attachment: Attachment) -> None:
    """The attachment deleted now, its file from the storage once the change is saved: a change rolled back keeps
    both. A file the storage fails to delete is logged, never turned into an error of what was saved."""
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    transaction.on_commit(partial(storage.delete, name), robust=True)


@transaction.atomic
def attachment_replace(*, attachment: Attachment, upload, by) -> Attachment:
    """Another file in the attachment's place, of its type, until the dossier is submitted."""
    dossier = locked(attachment.dossier)
    check(by, "dossier.replace_attachment", dossier)
    old = _own(dossier, attachment)
    new = attachment_add(dossier=dossier, upload=upload, by=by, document_type=old.document_type)
    _forget(old)
    return new


@transaction.atomic
def attachment_delete(*, attachment: Attachment, by) -> None:
    dossier = locked(attachment.dossier)
    check(by, "dossier.delete_attachment", dossier)
    _forget(_own(dossier, attachment))
