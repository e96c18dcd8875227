"""An avis conjoint file, text or Word, turned into the text the parser reads.

For a Word document laid out like an avis conjoint, the page-header letterheads come first, one block
each; then the body in order: a paragraph per line, and for a table one line per cell, as HTML when it
holds formatting or several paragraphs, as the avis conjoint documents copied out of Word look.
"""

import html
import io
import zipfile

from docx import Document
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from documents.avis_parser import ParseError, decode

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


def _is_list_item(paragraph: Paragraph) -> bool:
    properties = paragraph._p.pPr
    return paragraph.style.name.startswith("List") or (properties is not None and properties.numPr is not None)


def _cell_line(cell: _Cell) -> str:
    paragraphs = [p for p in cell.paragraphs if p.text.strip()]
    if len(paragraphs) == 1 and not _is_list_item(paragraphs[0]):
        return _runs_html(paragraphs[0])
    out, items = [], []
    for paragraph in [*paragraphs, None]:
        if paragraph is not None and _is_list_item(paragraph):
            items.append(f"<li>{_runs_html(paragraph)}</li>")
            continue
        if items:
            out.append(f"<ul>{''.join(items)}</ul>")
            items = []
        if paragraph is not None:
            out.append(f"<p>{_runs_html(paragraph)}</p>")
    return " ".join(out)


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
    except (KeyError, ValueError, zipfile.BadZipFile) as error:
        raise ParseError(1, "ce document Word est illisible ou endommagé") from error
    lines = _letterhead_lines(document)
    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            lines.append(_runs_html(Paragraph(child, document)))
        elif child.tag.endswith("}tbl"):
            lines += _table_lines(Table(child, document))
            lines.append("")
    return "\n".join(lines)


def avis_text(data: bytes) -> str:
    return docx_text(data) if is_docx(data) else decode(data)
