"""The documents themselves: the avis conjoint as DOCX and PDF, read back, and the dossiers as XLSX and CSV.

The PACA 2018 seed is the reference: its DOCX, read back, must give the very projects it was made from;
its PDF has one page per project. The PDFs are rendered once for the module (about a second each).
"""

import codecs
import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from docx import Document
from docx.shared import Pt
from openpyxl import load_workbook
from pypdf import PdfReader

from core.models import BudgetLine, Committee, Dossier, JointOpinion, Organisation
from core.permissions import Access
from demo.setup import demo_setup
from documents.exports import HEADER, csv_lines, dossier_rows, write_xlsx
from documents.joint_opinion_content import joint_opinion_context
from documents.joint_opinion_docx import joint_opinion_docx
from documents.joint_opinion_parser import parse
from documents.joint_opinion_pdf import joint_opinion_pdf
from documents.readers import joint_opinion_text
from tests.factories import IMPORTER, importer

SEED = Path(__file__).resolve().parent.parent / "demo" / "data" / "avis-conjoint-paca-2018.txt"
CALL = "4ÈME APPEL A PROJETS 10 000 LOGEMENTS HLM ACCOMPAGNÉS"
REGION = "AR Hlm PACA & Corse"
RANKS = ["P1", "P2", "P2", "P2", "P1", "P1", "P3"]
SMILEY = {"favorable": "☺", "reserve": "😐", "defavorable": "☹"}
VML = "urn:schemas-microsoft-com:vml"
QUESTIONS, REMARKS = "Questions soulevées :", "Remarques / avis global :"

# Another committee's avis: every verdict, a project not retained, and the Markdown subset (emphasis,
# strong, underline, paragraphs and lists) in the questions and remarks.
VARIED = {
    "call": "5e appel à projets 10 000 logements HLM accompagnés",
    "region": "AR Hlm Bretagne",
    "dossiers_received": 3,
    "instructed_on": "2019-03-02",
    "letterheads": ["PRÉFET DE LA RÉGION BRETAGNE\nDREAL BRETAGNE", "ARO HLM BRETAGNE"],
    "projects": [
        {
            "number": 1,
            "title": "Habiter ensemble",
            "landlord": "AIGUILLON CONSTRUCTION",
            "verdict": "reserve",
            "questions": "Un *point* **important** et ^^souligné^^ ici.\n\nSecond paragraphe, ***les deux***.",
            "remarks": "- premier\n- deuxième **en gras**\n- troisième",
            "retained": True,
            "rank": "P3",
        },
        {
            "number": 2,
            "title": "Le « toit » d'abord",
            "landlord": "ESPACIL HABITAT",
            "verdict": "defavorable",
            "questions": "Pourquoi 10 000 € ? Et les 3 < 4 & 5 > 2 ?",
            "remarks": "Budget *trop élevé*.",
            "retained": False,
            "rank": None,
        },
        {
            "number": 3,
            "title": "Trois",
            "landlord": "AIGUILLON CONSTRUCTION",
            "verdict": "favorable",
            "questions": "Intro :\n\n- a\n- b\n\nFin.",
            "remarks": "^^Souligné^^ au début.",
            "retained": True,
            "rank": "P1",
        },
    ],
}


def seed_document():
    return parse(SEED.read_text(encoding="utf-8"))


def content_of(document) -> dict:
    """What a published version holds: the parsed document and its letterheads (as the import stores it)."""
    return {**document.as_json(), "letterheads": document.letterheads}


def without_letterheads(content: dict) -> dict:
    return {key: value for key, value in content.items() if key != "letterheads"}


def docx_bytes(content: dict, *, draft: bool = False) -> bytes:
    return joint_opinion_docx(joint_opinion_context(content, draft=draft))


def unique_cells(table) -> list:
    """The table's cells in reading order, a merged cell once."""
    seen, cells = set(), []
    for row in table.rows:
        for cell in row.cells:
            if cell._tc not in seen:
                seen.add(cell._tc)
                cells.append(cell)
    return cells


def markdown_paragraphs(markdown: str) -> list[tuple[str, str]]:
    """The (style, text) of the Word paragraphs a plain Markdown text (paragraphs and "- " lists) makes."""
    paragraphs = []
    for block in markdown.split("\n\n"):
        lines = block.split("\n")
        if all(line.startswith("- ") for line in lines):
            paragraphs += [("List Bullet", line[2:]) for line in lines]
        else:
            paragraphs.append(("Normal", block))
    return paragraphs


def body_layout(document) -> list[str]:
    """The body in order: "table", "page break", or a paragraph's text."""
    layout = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "tbl":
            layout.append("table")
        elif tag == "p":
            breaks = child.xpath(".//w:br[@w:type='page']")
            layout.append("page break" if breaks else "".join(child.xpath(".//w:t/text()")))
    return layout


def watermarks(document) -> list[str]:
    """The text of the VML text shapes in the page header: Word's watermarks."""
    shapes = document.sections[0].header._element.iter(f"{{{VML}}}textpath")
    return [shape.get("string") for shape in shapes if shape.get("string") is not None]


@pytest.fixture(scope="module")
def seed_content() -> dict:
    return content_of(seed_document())


@pytest.fixture(scope="module")
def word(seed_content):
    """The seed's DOCX, published and draft, opened with python-docx."""
    return {draft: Document(io.BytesIO(docx_bytes(seed_content, draft=draft))) for draft in (False, True)}


# --- DOCX ----------------------------------------------------------------------------------------


def test_docx_page_is_a4_with_both_letterheads_in_its_header(word, seed_content):
    section = word[False].sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    (letterheads,) = section.header.tables
    assert [cell.text for cell in letterheads.rows[0].cells] == seed_content["letterheads"]
    assert seed_content["letterheads"][0].startswith("DIRECTION REGIONALE\nDE L'ENVIRONNEMENT")
    assert all(run.bold for cell in letterheads.rows[0].cells for run in cell.paragraphs[0].runs if run.text.strip())


def test_docx_body_is_the_header_lines_then_one_table_per_page(word):
    document = word[False]
    assert body_layout(document) == [
        f"{CALL} — Avis conjoint",
        f"Nom de la Région : {REGION}",
        "Nombre total de dossiers reçus : 7",
        "Date de l'instruction : 13 novembre 2018",
        *["table", "page break"] * 6,
        "table",
    ]
    title, *lines = document.paragraphs[:4]
    assert title.style.name == "Title"
    # The label in plain, the value in bold.
    assert [[(run.text, bool(run.bold)) for run in line.runs] for line in lines] == [
        [("Nom de la Région : ", False), (REGION, True)],
        [("Nombre total de dossiers reçus : ", False), ("7", True)],
        [("Date de l'instruction : ", False), ("13 novembre 2018", True)],
    ]
    assert document.core_properties.title == f"Avis conjoint — {REGION}"
    assert document.core_properties.language == "fr-FR"


@pytest.mark.parametrize("index", range(7))
def test_docx_project_table(word, seed_content, index):
    project = seed_content["projects"][index]
    table = word[False].tables[index]
    heading, name, landlord, opinion, smiley, questions, remarks, rank = unique_cells(table)
    assert heading.paragraphs[0].style.name == "Heading 1"
    assert [heading.text, name.text, landlord.text, opinion.text, smiley.text] == [
        f"PROJET N°{index + 1}",
        f"Nom du projet : « {project['title']} »",
        f"Bailleur social : {project['landlord']}",
        "AVIS DU CPR",
        "☺",
    ]
    assert opinion.paragraphs[0].runs[0].bold
    assert smiley.paragraphs[0].runs[0].font.size == Pt(20)
    for cell, label, markdown in ((questions, QUESTIONS, project["questions"]), (remarks, REMARKS, project["remarks"])):
        label_paragraph, *paragraphs = cell.paragraphs
        # The label alone underlined, as in the committees' documents; the text is not.
        assert [(run.text, run.underline) for run in label_paragraph.runs] == [(label, True)]
        assert [(p.style.name, p.text) for p in paragraphs] == markdown_paragraphs(markdown)
        assert not any(run.underline for p in paragraphs for run in p.runs)
    assert rank.text == f"Rang de classement parmi les dossiers retenus : {RANKS[index]}"
    assert rank.paragraphs[0].runs[-1].bold


def test_docx_bullets_are_project_5_list_only(word):
    bullets = [
        (index + 1, p.text.split()[:3])
        for index, table in enumerate(word[False].tables)
        for cell in unique_cells(table)
        for p in cell.paragraphs
        if p.style.name == "List Bullet"
    ]
    assert bullets == [(5, ["une", "offre", "de"]), (5, ["un", "outil", "de"]), (5, ["une", "sécurisation", "du"])]


@pytest.mark.parametrize("draft", [False, True])
def test_docx_draft_carries_the_projet_watermark(word, draft):
    document = word[draft]
    assert watermarks(document) == (["PROJET"] if draft else [])
    notice = "PROJET — document de travail, non publié."
    assert (notice in [p.text for p in document.paragraphs]) is draft


# --- DOCX read back -------------------------------------------------------------------------------


@pytest.mark.parametrize("draft", [False, True], ids=["published", "draft"])
@pytest.mark.parametrize("name", ["seed", "varied"])
def test_docx_reads_back_to_the_same_projects(seed_content, name, draft):
    content = seed_content if name == "seed" else VARIED
    document = parse(joint_opinion_text(docx_bytes(content, draft=draft)))
    assert document.as_json() == without_letterheads(content)
    assert document.letterheads == content["letterheads"]


def test_docx_reads_back_verdicts_and_ranks():
    projects = parse(joint_opinion_text(docx_bytes(VARIED))).projects
    assert [(p.verdict, p.rank, p.retained) for p in projects] == [
        ("reserve", "P3", True),
        ("defavorable", None, False),
        ("favorable", "P1", True),
    ]


def test_a_dossier_retained_without_a_rank_reads_retained():
    """ "Retained" is carried, not guessed from the rank: a committee may retain a dossier without ranking it."""
    unranked = {**VARIED, "dossiers_received": 1, "projects": [{**VARIED["projects"][2], "rank": None}]}
    document = joint_opinion_text(docx_bytes(unranked))
    assert "Retenu, sans rang" in document and "Non retenu" not in document
    (project,) = parse(document).projects
    assert (project.rank, project.retained) == (None, True)


def test_docx_writes_the_markdown_as_word_formatting():
    document = Document(io.BytesIO(docx_bytes(VARIED)))
    questions = unique_cells(document.tables[0])[5]
    runs = [(run.text, bool(run.italic), bool(run.bold), bool(run.underline)) for run in questions.paragraphs[1].runs]
    assert runs == [
        ("Un ", False, False, False),
        ("point", True, False, False),
        (" ", False, False, False),
        ("important", False, True, False),
        (" et ", False, False, False),
        ("souligné", False, False, True),
        (" ici.", False, False, False),
    ]
    remarks = unique_cells(document.tables[0])[6]
    assert [(p.style.name, p.text) for p in remarks.paragraphs[1:]] == markdown_paragraphs(
        "- premier\n- deuxième en gras\n- troisième"
    )
    assert [unique_cells(table)[4].text for table in document.tables] == ["😐", "☹", "☺"]
    assert unique_cells(document.tables[1])[-1].text.endswith(": Non retenu")


# Markdown as Word paragraphs (style, text), as the pages and the PDF render it.
MARKDOWN_IN_WORD = [
    pytest.param("Un *point* et ^^souligné^^.", [("Normal", "Un point et souligné.")], id="inline"),
    pytest.param("- a\n- b", [("List Bullet", "a"), ("List Bullet", "b")], id="tight list"),
    pytest.param(
        "Ligne un  \nligne deux",
        [("Normal", "Ligne un\nligne deux")],
        id="hard line break",
    ),
    pytest.param(
        "- a\n\n- b",
        [("List Bullet", "a"), ("List Bullet", "b")],
        id="loose list",
    ),
    pytest.param(
        "- a\n    - b",
        [("List Bullet", "a"), ("List Bullet 2", "b")],
        id="nested list",
    ),
    pytest.param(
        "1. un\n2. deux",
        [("List Number", "un"), ("List Number", "deux")],
        id="ordered list",
    ),
]


@pytest.mark.parametrize(("markdown", "paragraphs"), MARKDOWN_IN_WORD)
def test_docx_writes_line_breaks_and_lists_as_the_page_shows_them(markdown, paragraphs):
    project = {**VARIED["projects"][0], "questions": markdown}
    document = Document(io.BytesIO(docx_bytes({**VARIED, "dossiers_received": 1, "projects": [project]})))
    questions = unique_cells(document.tables[0])[5]
    assert [(p.style.name, p.text) for p in questions.paragraphs[1:]] == paragraphs


def run_import(path: Path, *options: str) -> str:
    """The command's output; it writes as the secretariat's importer, but for a dry run, which needs no one."""
    out = StringIO()
    if "--dry-run" not in options:
        importer()
        options = ("--by", IMPORTER, *options)
    call_command("import_avis_conjoint", str(path), *options, stdout=out)
    return out.getvalue()


def test_import_command_reads_the_docx_as_the_seed_text(tmp_path, seed_content):
    docx_path = tmp_path / "avis.docx"
    docx_path.write_bytes(docx_bytes(seed_content))
    from_docx = run_import(docx_path, "--dry-run", "--json")
    assert from_docx == run_import(SEED, "--dry-run", "--json")
    assert json.loads(from_docx) == without_letterheads(seed_content)


def hand_made_docx(content: dict) -> bytes:
    """The seed laid out by hand in Word: letterheads as body paragraphs, repeated on every page, a one-column
    table per project with the seed's rows, the smiley in its own cell, the labels underlined."""
    document = Document()

    def letterheads():
        for letterhead in content["letterheads"]:
            for line in letterhead.split("\n"):
                document.add_paragraph(line)
            document.add_paragraph()

    letterheads()
    title = document.add_paragraph()
    title.add_run("4")
    title.add_run("ÈME").font.superscript = True
    title.add_run(" APPEL A PROJETS 10 000 LOGEMENTS HLM ACCOMPAGNÉS AVIS CONJOINT AR Hlm – DREAL PACA")
    document.add_paragraph()
    for label, value in (
        ("Nom de la Région : ", content["region"]),
        ("Nombre total de dossiers reçus : ", str(content["dossiers_received"])),
        ("Date de l'instruction : ", "13 novembre 2018"),
    ):
        paragraph = document.add_paragraph(label)
        paragraph.add_run(value).bold = True
        document.add_paragraph()
    for index, project in enumerate(content["projects"]):
        if index:
            document.add_page_break()
            letterheads()
        table = document.add_table(rows=8, cols=1)
        cells = [row.cells[0] for row in table.rows]
        cells[0].text = f"PROJET N°{project['number']}"
        cells[1].text = f"Nom du projet : « {project['title']} »"
        cells[2].text = f"Bailleur social : {project['landlord']}"
        cells[3].text = "AVIS DU CPR"
        cells[4].text = SMILEY[project["verdict"]]
        for cell, label, markdown in (
            (cells[5], QUESTIONS, project["questions"]),
            (cells[6], REMARKS, project["remarks"]),
        ):
            cell.paragraphs[0].add_run(label).underline = True
            for style, text in markdown_paragraphs(markdown):
                cell.add_paragraph(text, style=None if style == "Normal" else style)
        cells[7].text = f"Rang de classement parmi les dossiers retenus : {project['rank'] or 'Non retenu'}"
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def test_a_docx_written_by_hand_like_the_seed_imports(seed_content):
    document = parse(joint_opinion_text(hand_made_docx(seed_content)))
    assert document.as_json() == without_letterheads(seed_content)
    assert document.letterheads == seed_content["letterheads"]


def rezipped(data: bytes, change) -> bytes:
    """The DOCX with each member replaced by change(name, content); None leaves the member out."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w") as target:
        for item in source.infolist():
            content = change(item.filename, source.read(item.filename))
            if content is not None:
                target.writestr(item, content)
    return output.getvalue()


def without(member: str):
    return lambda data: rezipped(data, lambda name, content: None if name == member else content)


CORRUPT = [
    pytest.param(without("word/document.xml"), id="zip without word/document.xml"),
    pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
    pytest.param(lambda data: data[:64], id="first bytes only"),
    pytest.param(without("[Content_Types].xml"), id="no content types"),
    pytest.param(
        lambda data: rezipped(
            data, lambda name, content: content[: len(content) // 2] if name == "word/document.xml" else content
        ),
        id="word/document.xml cut in half",
    ),
    pytest.param(
        without("word/_rels/document.xml.rels"),
        id="no document relationships",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("corrupt", CORRUPT)
def test_a_corrupt_docx_is_refused_naming_a_line(tmp_path, seed_content, corrupt):
    path = tmp_path / "avis.docx"
    path.write_bytes(corrupt(docx_bytes(seed_content)))
    with pytest.raises(CommandError, match=r"avis\.docx: ligne 1 : "):
        run_import(path)
    landlords = Organisation.objects.exclude(kind=Organisation.Kind.NATIONAL)
    assert not (Committee.objects.exists() or JointOpinion.objects.exists() or landlords.exists())


# --- PDF ------------------------------------------------------------------------------------------

PUBLISHED_AT = datetime(2018, 11, 20, 11, 0, tzinfo=UTC)
SHA256 = "0123456789abcdef" * 4


def page_texts(reader: PdfReader) -> list[str]:
    """Each page's text, whitespace collapsed (the PDF wraps long titles)."""
    return [" ".join(page.extract_text().split()) for page in reader.pages]


@pytest.fixture(scope="module")
def pdfs(seed_content):
    """The seed as PDF, published (version 1) and draft, and their pages' text: rendered once for the module."""
    joint_opinion = SimpleNamespace(version=1, published_at=PUBLISHED_AT, sha256=SHA256)
    contexts = {
        "published": {**joint_opinion_context(seed_content), "joint_opinion": joint_opinion},
        "draft": joint_opinion_context(seed_content, draft=True),
    }
    readers = {name: PdfReader(io.BytesIO(joint_opinion_pdf(context))) for name, context in contexts.items()}
    return {name: SimpleNamespace(reader=reader, pages=page_texts(reader)) for name, reader in readers.items()}


@pytest.mark.parametrize("name", ["published", "draft"])
def test_pdf_has_one_page_per_project_in_order(pdfs, seed_content, name):
    pages = pdfs[name].pages
    assert len(pages) == 7
    for number, (text, project) in enumerate(zip(pages, seed_content["projects"], strict=True), 1):
        assert f"PROJET N°{number} Nom du projet : « {project['title']} »" in text
        assert f"Bailleur social : {project['landlord']}" in text
        assert f"Rang de classement parmi les dossiers retenus : {RANKS[number - 1]}" in text
        assert text.endswith(f"Page {number} / 7")
        assert f"PROJET N°{number + 1}" not in text


def test_pdf_first_page_holds_the_header(pdfs, seed_content):
    first = pdfs["published"].pages[0]
    for expected in (
        f"{CALL} — AVIS CONJOINT",  # the title is in capitals
        f"Nom de la Région : {REGION}",
        "Nombre total de dossiers reçus : 7",
        "Date de l'instruction : 13 novembre 2018",
        seed_content["projects"][0]["title"],
        "DIRECTION REGIONALE DE L'ENVIRONNEMENT",
        "ASSOCIATION REGIONALE DES ORGANISMES HLM",
    ):
        assert expected in first
    # The header is on the first page only.
    assert all("Nombre total de dossiers reçus" not in text for text in pdfs["published"].pages[1:])


def test_pdf_published_version_ends_with_its_digest(pdfs):
    last = pdfs["published"].pages[-1]
    assert f"Version 1 publiée le 20 novembre 2018 — SHA-256 {SHA256}" in last


@pytest.mark.parametrize(
    ("name", "title"),
    [("published", f"Avis conjoint — {REGION} — version 1"), ("draft", f"Avis conjoint — {REGION} — projet")],
)
def test_pdf_metadata(pdfs, name, title):
    reader = pdfs[name].reader
    assert reader.metadata.title == title
    assert reader.metadata.author == REGION
    assert reader.metadata.subject == f"{CALL} — avis conjoint"
    assert reader.trailer["/Root"]["/Lang"] == "fr"


def test_pdf_draft_is_marked_projet(pdfs):
    published, draft = pdfs["published"].pages, pdfs["draft"].pages
    assert all(text.startswith("PROJET DIRECTION REGIONALE") for text in draft)
    assert all(text.startswith("DIRECTION REGIONALE") for text in published)
    assert "SHA-256" not in draft[-1]


# --- export_avis_conjoint -------------------------------------------------------------------------


@pytest.fixture
def demo(db, seed_content):
    demo_setup()
    committee = Committee.objects.get(call__edition=4)
    # The demo's published version is the seed, as imported.
    assert committee.joint_opinions.get().content == json.loads(json.dumps(seed_content))
    return committee


def run_export(*options) -> str:
    out = StringIO()
    call_command("export_avis_conjoint", *map(str, options), stdout=out)
    return out.getvalue().strip()


def test_export_command_writes_the_published_docx(demo, tmp_path, seed_content):
    written = run_export("--committee", demo.pk, "--format", "docx", "--output", tmp_path)
    path = tmp_path / "avis-conjoint-paca-2018-v1.docx"
    assert written == str(path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    data = path.read_bytes()
    assert parse(joint_opinion_text(data)).as_json() == without_letterheads(seed_content)
    assert watermarks(Document(io.BytesIO(data))) == []


def test_export_command_writes_a_draft_pdf(demo, tmp_path):
    written = run_export("--committee", demo.pk, "--format", "pdf", "--output", tmp_path, "--draft")
    path = tmp_path / "avis-conjoint-paca-2018-projet.pdf"
    assert written == str(path)
    pages = page_texts(PdfReader(path))
    assert len(pages) == 7
    assert pages[0].startswith("PROJET DIRECTION REGIONALE")
    assert "SITUATIONS EXTRAORDINAIRES, LOGEMENTS ORDINAIRES" in pages[0]


def test_export_command_refuses_an_unknown_committee_or_version(demo, tmp_path):
    unknown = Committee.objects.order_by("-pk").first().pk + 1
    with pytest.raises(CommandError, match=f"No committee with id {unknown}"):
        run_export("--committee", unknown, "--format", "docx", "--output", tmp_path)
    with pytest.raises(CommandError, match="no published avis conjoint version 2; use --draft"):
        run_export("--committee", demo.pk, "--format", "docx", "--output", tmp_path, "--published-version", 2)
    open_committee = Committee.objects.get(call__edition=5)
    with pytest.raises(CommandError, match="no published avis conjoint; use --draft"):
        run_export("--committee", open_committee.pk, "--format", "pdf", "--output", tmp_path)
    assert not list(tmp_path.iterdir())


# --- XLSX and CSV exports -------------------------------------------------------------------------

TRICKY_TITLE = 'Habiter ; "chez soi", d\'abord'
SUBMITTED = datetime(2018, 10, 1, 23, 30, tzinfo=UTC)  # 2 October in Paris


@pytest.fixture
def exported(demo):
    """The demo's dossiers, project 1 with a title to quote, a submission date and amounts with cents."""
    dossier = Dossier.objects.get(committee=demo, number=1)
    Dossier.objects.filter(pk=dossier.pk).update(title=TRICKY_TITLE, submitted_at=SUBMITTED)
    dossier.budget_lines.all().delete()
    for year, funder, amount in (
        (1, BudgetLine.Funder.FNAVDL, "60000.10"),
        (2, BudgetLine.Funder.FNAVDL, "60000.20"),
        (1, BudgetLine.Funder.OWN_FUNDS, "1234.05"),
    ):
        BudgetLine.objects.create(dossier=dossier, year=year, funder=funder, amount=Decimal(amount))
    dossiers = Dossier.objects.filter(committee=demo)
    expected = {}
    for d in dossiers.prefetch_related("budget_lines", "strands"):
        lines = d.budget_lines.all()
        expected[d.number] = (
            sum(s.households for s in d.strands.all()),
            sum((line.amount for line in lines if line.funder in BudgetLine.PROGRAMME_FUNDERS), start=Decimal(0)),
            sum((line.amount for line in lines), start=Decimal(0)),
        )
    assert expected[1][1:] == (Decimal("120000.30"), Decimal("121234.35"))
    secretariat = Access(User.objects.get(username="secretariat"))
    return SimpleNamespace(rows=lambda: dossier_rows(dossiers, secretariat), expected=expected)


def test_xlsx_export(exported):
    sheet = load_workbook(write_xlsx(exported.rows(), "Dossiers"))["Dossiers"]
    header, *rows = sheet.iter_rows()
    assert [cell.value for cell in header] == HEADER
    assert all(cell.font.b for cell in header)
    assert not any(cell.font.b for row in rows for cell in row)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == sheet.dimensions == "A1:P8"

    column = {name: index for index, name in enumerate(HEADER)}
    assert [row[column["N°"]].value for row in rows] == [1, 2, 3, 4, 5, 6, 7]
    for row in rows:
        value = {name: row[index].value for name, index in column.items()}
        households, requested, cost = exported.expected[value["N°"]]
        assert type(value["N°"]) is type(value["Ménages"]) is type(value["Année"]) is int
        assert value["Ménages"] == households
        for name, total in (("Demandé au programme (€)", requested), ("Coût total (€)", cost)):
            assert isinstance(value[name], int | float | Decimal)
            assert Decimal(str(value[name])) == total
            # Shown as the pages show amounts: to the cent, without ",00" when whole.
            assert row[column[name]].number_format == ("#,##0" if total == int(total) else "#,##0.00")
        assert (value["Avis"], value["Retenu"], value["Rang"]) == ("Favorable", "oui", RANKS[value["N°"] - 1])
    first = {name: rows[0][index] for name, index in column.items()}
    assert first["Projet"].value == TRICKY_TITLE
    assert first["Déposé le"].value == datetime(2018, 10, 2)
    assert first["Déposé le"].number_format.upper() == "DD/MM/YYYY"
    assert all(row[column["Déposé le"]].value is None for row in rows[1:])


def test_csv_export(exported):
    data = "".join(csv_lines(exported.rows())).encode("utf-8")
    assert data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[-1] == ""
    assert len(lines[:-1]) == 1 + 7  # the header, then one line per dossier
    assert lines[0] == ";".join(HEADER)
    # The title is quoted, its quotes doubled, as Excel expects.
    assert ';"Habiter ; ""chez soi"", d\'abord";' in lines[1]
    header, *rows = csv.reader(StringIO(text), delimiter=";")
    assert header == HEADER
    first = dict(zip(HEADER, rows[0], strict=True))
    households, requested, cost = exported.expected[1]
    assert first["Projet"] == TRICKY_TITLE
    assert first["Déposé le"] == "02/10/2018"
    assert (first["Ménages"], first["Demandé au programme (€)"], first["Coût total (€)"]) == (
        str(households),
        "120000,30",
        "121234,35",
    )
    for row in rows[1:]:
        value = dict(zip(HEADER, row, strict=True))
        _, requested, cost = exported.expected[int(value["N°"])]
        assert value["Demandé au programme (€)"] == f"{requested:.2f}".replace(".", ",")
        assert value["Coût total (€)"] == f"{cost:.2f}".replace(".", ",")
        assert value["Déposé le"] == ""
