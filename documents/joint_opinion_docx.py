"""The avis conjoint as a Word document: real styles, headings and tables, editable by the committees.

Each project is a table on its own page, as in the documents the committees already sign; the two
institutions' letterheads sit in the page header, so Word repeats them on every page.
"""

import io
import re

from bs4 import BeautifulSoup, NavigableString
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.shared import Mm, Pt, RGBColor

from core.formats import french_date
from core.reading import ShownOpinion

FONT = "Arial"
LISTS = ["ul", "ol"]
INLINE = {"em": "italic", "i": "italic", "strong": "bold", "b": "bold", "ins": "underline", "u": "underline"}

# Word's own watermark: a text shape in the header, behind the page's text.
WATERMARK = """
<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
     xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">
  <w:pict>
    <v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" path="m@7,l@8,m@5,21600l@6,21600e">
      <v:path textpathok="t" o:connecttype="custom"/><v:textpath on="t" fitshape="t"/>
    </v:shapetype>
    <v:shape id="aap-watermark" type="#_x0000_t136" fillcolor="#e0a0a0" stroked="f"
      style="position:absolute;margin-left:0;margin-top:0;width:470pt;height:120pt;rotation:315;z-index:-251654144;
             mso-position-horizontal:center;mso-position-horizontal-relative:margin;
             mso-position-vertical:center;mso-position-vertical-relative:margin">
      <v:fill opacity=".35"/><v:textpath style="font-family:&quot;Arial&quot;;font-size:1pt" string="PROJET"/>
    </v:shape>
  </w:pict>
</w:r>
"""


def _styles(document) -> None:
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(10)
    normal.paragraph_format.space_after = Pt(3)
    for name, size in (("Title", 14), ("Heading 1", 11)):
        style = document.styles[name]
        style.font.name, style.font.size, style.font.bold = FONT, Pt(size), True
        style.font.color.rgb = RGBColor(0x16, 0x16, 0x16)
        style.paragraph_format.space_before = Pt(3)
    document.styles["Title"].font.all_caps = True


def _letterheads(section, letterheads, draft: bool) -> None:
    header = section.header
    table = header.add_table(rows=1, cols=len(letterheads) or 1, width=section.page_width - Mm(32))
    for cell, letterhead in zip(table.rows[0].cells, letterheads, strict=False):
        paragraph = cell.paragraphs[0]
        if letterhead.logo:
            paragraph.add_run().add_picture(io.BytesIO(letterhead.logo), height=Mm(15))
            paragraph = cell.add_paragraph()
        for number, line in enumerate(letterhead.text.split("\n")):
            if number:
                paragraph.add_run().add_break()
            run = paragraph.add_run(line.upper())
            run.bold, run.font.size = True, Pt(8)
    for paragraph in table.rows[0].cells[-1].paragraphs:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT  # as the second letterhead of the seed
    header.paragraphs[0].text = ""
    if draft:
        header.paragraphs[0]._p.append(parse_xml(WATERMARK))


def _pieces(node, formats: frozenset = frozenset()):
    """(text, formats) for each string of a block, (None, …) for a <br>; a nested list is a block of its own."""
    for child in node.children:
        if isinstance(child, NavigableString):
            yield str(child), formats
        elif child.name == "br":
            yield None, formats
        elif child.name not in LISTS:
            yield from _pieces(child, formats | {INLINE[child.name]} if child.name in INLINE else formats)


def _inline(paragraph, node) -> None:
    """A block's text as runs, whitespace counted as HTML counts it: newlines are spaces, runs of spaces one,
    none at the start or end of a line."""
    runs, line_start = [], True
    for text, formats in _pieces(node):
        if text is None:
            if runs and runs[-1][0]:
                runs[-1] = (runs[-1][0].rstrip(), runs[-1][1])
            runs.append((None, formats))
            line_start = True
            continue
        text = re.sub(r"[ \t\r\n]+", " ", text)  # not the no-break spaces of « » and 10 000
        text = text.lstrip() if line_start else text
        if text:
            runs.append((text, formats))
            line_start = text.endswith(" ")
    if runs and runs[-1][0]:
        runs[-1] = (runs[-1][0].rstrip(), runs[-1][1])
    for text, formats in runs:
        run = paragraph.add_run(text) if text is not None else paragraph.add_run()
        if text is None:
            run.add_break()
        for attribute in formats:
            setattr(run, attribute, True)


def _list_style(item) -> str:
    """ "List Bullet", "List Number 2"…: Word's list styles by kind and depth (three levels)."""
    depth = min(len(item.find_parents(LISTS)), 3)
    kind = "Number" if item.parent.name == "ol" else "Bullet"
    return f"List {kind}" + (f" {depth}" if depth > 1 else "")


def add_rich_text(cell, html: str) -> None:
    """The Markdown subset, rendered to sanitised HTML, as Word paragraphs and lists."""
    for block in BeautifulSoup(html, "html.parser").find_all(["p", "li"]):
        if block.name == "p" and block.find_parent("li"):
            continue
        _inline(cell.add_paragraph(style=_list_style(block) if block.name == "li" else None), block)


def _project_table(document, project: dict) -> None:
    opinion = ShownOpinion.from_project(project)
    table = document.add_table(rows=7, cols=2, style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    rows = table.rows
    for index in (0, 1, 2, 4, 5, 6):
        rows[index].cells[0].merge(rows[index].cells[1])
    heading = rows[0].cells[0].paragraphs[0]
    heading.style = document.styles["Heading 1"]
    heading.text = f"PROJET N°{project['number']}"
    rows[1].cells[0].paragraphs[0].text = f"Nom du projet : « {project['title']} »"
    rows[2].cells[0].paragraphs[0].text = f"Bailleur social : {project['landlord']}"
    rows[3].cells[0].paragraphs[0].add_run("AVIS DU CPR").bold = True
    smiley = rows[3].cells[1].paragraphs[0].add_run(opinion.smiley)
    smiley.font.size = Pt(20)
    for row, label, html in (
        (rows[4], "Questions soulevées :", opinion.questions_html),
        (rows[5], "Remarques / avis global :", opinion.remarks_html),
    ):
        cell = row.cells[0]
        cell.paragraphs[0].add_run(label).underline = True
        add_rich_text(cell, html)
    rank = rows[6].cells[0].paragraphs[0]
    rank.add_run("Rang de classement parmi les dossiers retenus : ")
    rank.add_run(project["opinion"].rank_label).bold = True
    for advisory in project.get("advisory", []):
        cell = table.add_row().cells[0].merge(table.rows[-1].cells[1])
        cell.paragraphs[0].add_run(f"Avis consultatif de {advisory['organisation']} :").underline = True
        cell.add_paragraph(advisory["text"])


def joint_opinion_docx(context: dict) -> bytes:
    content, projects, draft = context["content"], context["projects"], context["draft"]
    document = Document()
    _styles(document)
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin = section.bottom_margin = Mm(18)
    section.left_margin = section.right_margin = Mm(16)
    _letterheads(section, context["letterheads"], draft)

    properties = document.core_properties
    properties.title = f"Avis conjoint — {content['region']}"
    properties.subject, properties.language = content["call"], "fr-FR"

    document.add_paragraph(f"{content['call']} — Avis conjoint", style="Title")
    for label, value in (
        ("Nom de la Région : ", content["region"]),
        ("Nombre total de dossiers reçus : ", str(content["dossiers_received"])),
        ("Date de l'instruction : ", french_date(context["instructed_on"])),
    ):
        paragraph = document.add_paragraph(label)
        paragraph.add_run(value).bold = True
    if draft:
        document.add_paragraph().add_run("PROJET — document de travail, non publié.").italic = True
    for number, project in enumerate(projects):
        if number:
            document.add_page_break()
        _project_table(document, project)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()
