"""What a file is, read from its content, never from its name: how each accepted kind is recognised, and
the extension and type it is stored and served under. A PDF named `poly.html` is a PDF: stored as `.pdf`,
downloaded as `poly.pdf`, served as `application/pdf`.

PDF, PNG and JPEG are told by their first bytes; DOCX, XLSX and ODT by what their package declares
(core/office_packages.py). SVG is accepted nowhere: it is a page that may hold scripts, and a logo or an
attachment has no need of it."""

from dataclasses import dataclass
from pathlib import PurePath

from core.office_packages import PackageRefused, package_kind


@dataclass(frozen=True)
class FileType:
    extension: str
    content_type: str


TYPES = {
    "pdf": FileType("pdf", "application/pdf"),
    "docx": FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "odt": FileType("odt", "application/vnd.oasis.opendocument.text"),
    "png": FileType("png", "image/png"),
    "jpeg": FileType("jpg", "image/jpeg"),
}
SIGNATURES = {b"%PDF-": "pdf", b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg"}
ZIP = b"PK\x03\x04"


class FileRefused(Exception):
    """The message says why, in French, for the person who uploaded the file."""


def file_kind(upload, accepted: set[str], wanted: str) -> str:
    """The kind of `upload` among `accepted`, read from its content; `wanted` names them in the refusal
    ("un document PDF ou Word (DOCX)")."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    kind = next((kind for signature, kind in SIGNATURES.items() if head.startswith(signature)), None)
    if kind is None and head.startswith(ZIP):
        try:
            kind = package_kind(upload)
        except PackageRefused as refusal:
            raise FileRefused(f"« {upload.name} » {refusal}") from refusal
        finally:
            upload.seek(0)
    if kind not in accepted:
        raise FileRefused(
            f"« {upload.name} » n'est pas {wanted} : seuls ces formats sont acceptés, vérifiés d'après leur contenu."
        )
    return kind


def named_as(name: str, kind: str) -> str:
    """`name` with the extension of what the file is: "poly.html" holding a PDF is "poly.pdf"."""
    stem = PurePath(name).stem if PurePath(name).suffix else name
    return f"{stem}.{TYPES[kind].extension}"
