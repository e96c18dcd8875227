"""An avis conjoint file, text or Word, turned into the text the parser reads.

For a Word document laid out like an avis conjoint, the page-header letterheads come first, one block
each; then the body in order: a paragraph per line, and for a table one line per cell, as HTML when it
holds formatting or several paragraphs, as the avis conjoint documents copied out of Word look.
"""

import html
import io
import zipfile
import zlib

from docx import Document
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from lxml import etree

from documents.joint_opinion_parser import ParseError, decode

TAGS = (("bold", "strong"), ("italic", "em"), ("underline", "u"))


def is_docx(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _runs_html(paragraph: Paragraph) -> str:
    parts = []
    for run in paragraph.runs:
        text = html.escape(run.text).replace("\n", "<br>")
        for attribute, tag in TAGS:
            if text.strip() and getattr(run, attribute):
                text = f"<{tag}>{text}</{tag}>"
        parts.append(text)
    return "".join(parts)


def _list_level(paragraph: Paragraph) -> tuple[str, int] | None:
    """("ul" or "ol", depth) for a list paragraph: Word's list styles, or direct numbering (as bullets)."""
    name, properties = paragraph.style.name, paragraph._p.pPr
    numbering = properties.numPr if properties is not None else None
    if not name.startswith("List") and numbering is None:
        return None
    if name[-1:].isdigit():
        depth = int(name[-1])
    elif numbering is not None and numbering.ilvl is not None:
        depth = numbering.ilvl.val + 1
    else:
        depth = 1
    return ("ol" if "Number" in name else "ul"), depth


def _cell_line(cell: _Cell) -> str:
    paragraphs = [p for p in cell.paragraphs if p.text.strip()]
    if len(paragraphs) == 1 and _list_level(paragraphs[0]) is None:
        return _runs_html(paragraphs[0])
    out, open_lists = [], []  # the lists open, outermost first, each with an item open
    for paragraph in paragraphs:
        tag, depth = _list_level(paragraph) or (None, 0)
        while len(open_lists) > depth or (open_lists and len(open_lists) == depth and open_lists[-1] != tag):
            out.append(f"</li></{open_lists.pop()}>")
        if tag is None:
            out.append(f"<p>{_runs_html(paragraph)}</p>")
            continue
        if len(open_lists) == depth:
            out.append("</li>")
        while len(open_lists) < depth:
            open_lists.append(tag)
            out.append(f"<{tag}>")
        out.append(f"<li>{_runs_html(paragraph)}")
    out += [f"</li></{tag}>" for tag in reversed(open_lists)]
    return "".join(out)


def _table_lines(table: Table) -> list[str]:
    lines = []
    for row in table.rows:
        seen = set()
        for cell in row.cells:
            # A merged cell comes back once per grid column it spans.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            lines.append(_cell_line(cell))
    return lines


def _letterhead_lines(document) -> list[str]:
    header = document.sections[0].header
    lines = []
    for table in header.tables:
        for cell in table.rows[0].cells:
            text = "\n".join(p.text for p in cell.paragraphs).strip()
            if text:
                lines += [*text.split("\n"), ""]
    lines += [p.text for p in header.paragraphs if p.text.strip()]
    return [*lines, ""] if lines else []


def docx_text(data: bytes) -> str:
    try:
        document = Document(io.BytesIO(data))
        lines = _letterhead_lines(document)
        for child in document.element.body.iterchildren():
            if child.tag.endswith("}p"):
                lines.append(_runs_html(Paragraph(child, document)))
            elif child.tag.endswith("}tbl"):
                lines += _table_lines(Table(child, document))
                lines.append("")
    except (
        KeyError, ValueError, AttributeError, EOFError, NotImplementedError, zipfile.BadZipFile, zlib.error,
        etree.XMLSyntaxError,
    ) as error:  # fmt: skip
        # A damaged file fails wherever python-docx first reads the broken part.
        raise ParseError(1, "ce document Word est illisible ou endommagé") from error
    return "\n".join(lines)


def joint_opinion_text(data: bytes) -> str:
    return docx_text(data) if is_docx(data) else decode(data)
