"""Stored files served as downloads, from whichever storage holds them (aap/storage.py: the disk, or S3)."""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse


def download(file: FieldFile, *, filename: str, content_type: str) -> FileResponse:
    """The file as an attachment, sent a block at a time as the storage reads it, never whole in memory."""
    response = FileResponse(file.open("rb"), as_attachment=True, filename=filename, content_type=content_type)
    # FileResponse measures a file on disk; an object read as it arrives knows its length from the store's answer.
    if "Content-Length" not in response and getattr(file.file, "size", None) is not None:
        response["Content-Length"] = file.file.size
    return response
