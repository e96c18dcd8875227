"""Office documents built in the tests, part by part, as Word, Excel and LibreOffice lay them out: the
declarations (content types, relationships, manifest) are what the upload check reads."""

import io
import zipfile

CT = "http://schemas.openxmlformats.org/package/2006/content-types"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MS_REL = "http://schemas.microsoft.com/office/2006/relationships"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
ODT = "application/vnd.oasis.opendocument.text"
COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def zipped(parts: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def relationships(*rels: tuple[str, str] | tuple[str, str, str]) -> str:
    """(type, target) or (type, target, "External")."""
    lines = [
        f'<Relationship Id="rId{i}" Type="{rel[0]}" Target="{rel[1]}"'
        + (f' TargetMode="{rel[2]}"' if len(rel) > 2 else "")
        + "/>"
        for i, rel in enumerate(rels, 1)
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(lines)
        + "</Relationships>"
    )


def content_types(overrides: dict[str, str], defaults: dict[str, str] | None = None) -> str:
    defaults = {"rels": "application/vnd.openxmlformats-package.relationships+xml", "xml": "application/xml"} | (
        defaults or {}
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="{CT}">'
        + "".join(f'<Default Extension="{ext}" ContentType="{ct}"/>' for ext, ct in defaults.items())
        + "".join(f'<Override PartName="{name}" ContentType="{ct}"/>' for name, ct in overrides.items())
        + "</Types>"
    )


def docx(
    *,
    main_type: str = WORD_MAIN,
    overrides: dict[str, str] | None = None,
    defaults: dict[str, str] | None = None,
    document_rels: tuple = (),
    parts: dict[str, bytes | str] | None = None,
) -> bytes:
    document = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Projet</w:t></w:r></w:p></w:body></w:document>"
    )
    return zipped(
        {
            "[Content_Types].xml": content_types({"/word/document.xml": main_type} | (overrides or {}), defaults),
            "_rels/.rels": relationships((f"{REL}/officeDocument", "word/document.xml")),
            "word/document.xml": document,
            "word/_rels/document.xml.rels": relationships(*document_rels),
        }
        | (parts or {})
    )


def xlsx(*, overrides: dict[str, str] | None = None, workbook_rels: tuple = (), parts: dict | None = None) -> bytes:
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    return zipped(
        {
            "[Content_Types].xml": content_types(
                {"/xl/workbook.xml": EXCEL_MAIN, "/xl/worksheets/sheet1.xml": sheet} | (overrides or {})
            ),
            "_rels/.rels": relationships((f"{REL}/officeDocument", "xl/workbook.xml")),
            "xl/workbook.xml": '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
            "xl/_rels/workbook.xml.rels": relationships((f"{REL}/worksheet", "worksheets/sheet1.xml"), *workbook_rels),
            "xl/worksheets/sheet1.xml": '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
        }
        | (parts or {})
    )


def odt(*, entries: dict[str, str] | None = None, parts: dict[str, bytes | str] | None = None) -> bytes:
    """`entries`: the manifest's file entries beyond the document's own, path -> media type."""
    ns = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
    declared = {"/": ODT, "content.xml": "text/xml", "styles.xml": "text/xml"} | (entries or {})
    manifest = (
        f'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="{ns}" manifest:version="1.3">'
        + "".join(
            f'<manifest:file-entry manifest:full-path="{path}" manifest:media-type="{media_type}"/>'
            for path, media_type in declared.items()
        )
        + "</manifest:manifest>"
    )
    return zipped(
        {
            "mimetype": ODT,
            "META-INF/manifest.xml": manifest,
            "content.xml": '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
            "styles.xml": '<office:document-styles xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
        }
        | (parts or {})
    )
