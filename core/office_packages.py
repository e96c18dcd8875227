"""What an office document says it holds. Word and Excel (OOXML) and OpenDocument files are zip packages
that declare their parts: content types and relationships (OOXML), a manifest (ODF). Office programs load
a part by what is declared, whatever its name, so the declarations are what is read here: a macro project
renamed `word/image9.png` is still declared a VBA project, and refused as one."""

import posixpath
import zipfile
import zlib

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

# An office document inflating beyond this, or at a higher ratio, is refused as a likely zip bomb.
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100
# Real documents hold tens to a few hundred parts; every part's first bytes are read.
MAX_PARTS = 5000
# Declarations (content types, relationships, manifest) weigh kilobytes; each is parsed whole, in memory.
MAX_DECLARATION = 10 * 1024 * 1024

CONTENT_TYPES_PART = "[Content_Types].xml"
CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
RELATIONSHIPS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MANIFEST_PART = "META-INF/manifest.xml"
MANIFEST_NS = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"

# The content type of the package's main part (its officeDocument relationship's target), per kind.
OOXML_KINDS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
ODF_KINDS = {"application/vnd.oasis.opendocument.text": "odt"}

# Found (lower case) in the content type or the relationship type of a part that runs code: VBA projects
# and their data, macro-enabled main parts (.docm, .xlsm...), Excel 4.0 macro sheets, ActiveX controls.
MACRO_MARKS = ("macroenabled", "vbaproject", "vbadata", "macrosheet", "activex")
# An embedded OLE object runs whatever program it names when opened.
OLE_MARKS = ("oleobject",)
# Where LibreOffice keeps a document's Basic and script macros and their dialogs.
ODF_MACRO_FOLDERS = ("Basic/", "Scripts/", "Dialogs/")
# A compound file (OLE2): the format of VBA projects and OLE objects, never needed in a DOCX, XLSX or ODT.
COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The one external relationship fetched only when the reader clicks it.
HYPERLINK = "/hyperlink"

MACROS = "contient des macros : enregistrez-le sans macros (DOCX, XLSX ou ODT) puis déposez-le."
OLE = "contient un objet incorporé (OLE) : enregistrez-le sans objet incorporé puis déposez-le."
BOMB = "se décompresse en un volume anormal : fichier refusé."


class PackageRefused(Exception):
    """Why, in French, to follow the file's name."""


def package_kind(upload) -> str | None:
    """The kind of the zip `upload`, "docx", "xlsx" or "odt", when it is such a document without macros,
    embedded objects or external references; None when it is not a document of these kinds. Raises
    PackageRefused."""
    try:
        with zipfile.ZipFile(upload) as archive:
            _check_size(archive)
            _check_no_compound_file(archive)
            if CONTENT_TYPES_PART in archive.namelist():
                return _ooxml_kind(archive)
            if MANIFEST_PART in archive.namelist():
                return _odf_kind(archive)
    except (
        zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError, NotImplementedError, ValueError, KeyError,
        ParseError, DefusedXmlException,
    ):  # fmt: skip
        # Damaged, truncated, encrypted, compressed in a way zipfile does not read, or with XML that is
        # malformed or declares entities.
        return None
    return None


def _check_size(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    uncompressed = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos) or 1
    if len(infos) > MAX_PARTS or uncompressed > MAX_UNCOMPRESSED or uncompressed / compressed > MAX_RATIO:
        raise PackageRefused(BOMB)


def _check_no_compound_file(archive: zipfile.ZipFile) -> None:
    for info in archive.infolist():
        with archive.open(info) as part:
            if part.read(len(COMPOUND_FILE)) == COMPOUND_FILE:
                raise PackageRefused(OLE)


def _declaration(archive: zipfile.ZipFile, name: str):
    if archive.getinfo(name).file_size > MAX_DECLARATION:
        raise PackageRefused(BOMB)
    return fromstring(archive.read(name))


def _refuse_marked(declared: str) -> None:
    lowered = declared.lower()
    if any(mark in lowered for mark in MACRO_MARKS):
        raise PackageRefused(MACROS)
    if any(mark in lowered for mark in OLE_MARKS):
        raise PackageRefused(OLE)


def _ooxml_kind(archive: zipfile.ZipFile) -> str | None:
    types = _declaration(archive, CONTENT_TYPES_PART)
    defaults = {
        d.get("Extension", "").lower(): d.get("ContentType", "") for d in types.iter(f"{CONTENT_TYPES_NS}Default")
    }
    overrides = {
        o.get("PartName", "").lower(): o.get("ContentType", "") for o in types.iter(f"{CONTENT_TYPES_NS}Override")
    }
    for content_type in [*defaults.values(), *overrides.values()]:
        _refuse_marked(content_type)

    main = None
    for name in archive.namelist():
        if not name.endswith(".rels"):
            continue
        for relationship in _declaration(archive, name).iter(f"{RELATIONSHIPS_NS}Relationship"):
            kind, target = relationship.get("Type", ""), relationship.get("Target", "")
            _refuse_marked(kind)
            if relationship.get("TargetMode") == "External" and not kind.endswith(HYPERLINK):
                raise PackageRefused(
                    f"fait référence à une adresse ou un fichier extérieurs ({target[:80]}), qu'il irait chercher "
                    "à son ouverture (modèle, liaison ou image externes) : enregistrez-le sans ces liaisons."
                )
            if name == "_rels/.rels" and kind.endswith("/officeDocument"):
                main = "/" + posixpath.normpath(target.lstrip("/")).lower()
    if main is None:
        return None
    content_type = overrides.get(main) or defaults.get(posixpath.splitext(main)[1].lstrip("."), "")
    return OOXML_KINDS.get(content_type)


def _odf_kind(archive: zipfile.ZipFile) -> str | None:
    if any(name.startswith(ODF_MACRO_FOLDERS) for name in archive.namelist()):
        raise PackageRefused(MACROS)
    kind = None
    for entry in _declaration(archive, MANIFEST_PART).iter(f"{MANIFEST_NS}file-entry"):
        path, media_type = entry.get(f"{MANIFEST_NS}full-path", ""), entry.get(f"{MANIFEST_NS}media-type", "")
        if path.startswith(ODF_MACRO_FOLDERS) or "script" in media_type.lower():
            raise PackageRefused(MACROS)
        _refuse_marked(media_type)
        if path == "/":
            kind = ODF_KINDS.get(media_type)
    return kind
