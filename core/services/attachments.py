"""Attachments are recognised by their content, never by their name."""

import zipfile
from dataclasses import dataclass

from django.db import transaction

from core.models import Attachment, Dossier

MAX_SIZE = 20 * 1024 * 1024
# An office document inflating beyond this is refused as a likely zip bomb.
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100

# What each zipped format must contain.
ZIP_FORMATS = {
    Attachment.Kind.DOCX: lambda names, mimetype: "word/document.xml" in names,
    Attachment.Kind.XLSX: lambda names, mimetype: "xl/workbook.xml" in names,
    Attachment.Kind.ODT: lambda names, mimetype: mimetype == b"application/vnd.oasis.opendocument.text",
}


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
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return Checked(Attachment.Kind.PDF, size)
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(upload)
        upload.seek(0)
        if kind:
            return Checked(kind, size)
    raise AttachmentRefused(
        f"« {upload.name} » n'est pas un document PDF, Word (DOCX), Excel (XLSX) ou OpenDocument (ODT) : "
        "seuls ces formats sont acceptés, vérifiés d'après leur contenu."
    )


def _zip_kind(upload) -> str | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            infos = archive.infolist()
            uncompressed = sum(info.file_size for info in infos)
            compressed = sum(info.compress_size for info in infos) or 1
            if uncompressed > MAX_UNCOMPRESSED or uncompressed / compressed > MAX_RATIO:
                raise AttachmentRefused(f"« {upload.name} » se décompresse en un volume anormal : fichier refusé.")
            names = {info.filename for info in infos}
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise AttachmentRefused(
                    f"« {upload.name} » contient des macros : enregistrez-le sans macros (DOCX, XLSX) puis déposez-le."
                )
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError):
        return None
    return next((kind for kind, matches in ZIP_FORMATS.items() if matches(names, mimetype)), None)


@transaction.atomic
def attachment_add(*, dossier: Dossier, upload, by) -> Attachment:
    checked = attachment_check(upload)
    attachment = Attachment(
        dossier=dossier, name=upload.name[:255], kind=checked.kind, size=checked.size, uploaded_by=by
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    return attachment
