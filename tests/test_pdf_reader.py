"""PDF avis conjoints read back: aap's own, one laid out as a Word table, a skewed and speckled scan (Tesseract,
installed by scripts/bootstrap: these tests fail without it), and the PDFs refused, each with its French reason."""

import io
from pathlib import Path

import pdfplumber
import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from pypdf import PdfWriter
from weasyprint import HTML

from core.models import ArchiveImport, Committee
from core.services.imports import import_read
from documents.joint_opinion_content import joint_opinion_context
from documents.joint_opinion_parser import parse
from documents.joint_opinion_pdf import joint_opinion_pdf
from documents.joint_opinion_reading import DOUBTFUL, DocumentRefused, joint_opinion_read
from documents.pdf_reader import MAX_PAGES
from tests.factories import IMPORTER, importer
from tests.scans import scanned
from tests.test_documents import VARIED, content_of, without_letterheads

SEED = Path(__file__).resolve().parent.parent / "demo" / "data" / "avis-conjoint-paca-2018.txt"
FIELDS = ("number", "title", "landlord", "verdict", "questions", "remarks", "rank")


@pytest.fixture(scope="module")
def seed_content() -> dict:
    return content_of(parse(SEED.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def seed_pdf(seed_content) -> bytes:
    return joint_opinion_pdf(joint_opinion_context(seed_content))


def pdf_of(html: str) -> bytes:
    style = "<style>td { vertical-align: top; padding: 0 0 8pt; }</style>"
    return HTML(string=f'<html lang="fr"><meta charset="utf-8">{style}<body>{html}</body></html>').write_pdf()


def test_aap_pdf_reads_back_to_the_same_projects(seed_pdf, seed_content):
    reading = joint_opinion_read(seed_pdf)
    assert reading.document.as_json() == without_letterheads(seed_content)
    assert reading.document.letterheads == seed_content["letterheads"]
    assert reading.ocr_pages == []
    assert all(value == 1.0 for p in reading.document.projects for value in p.confidence.values())
    assert set(reading.document.projects[0].confidence) == set(FIELDS)
    assert reading.doubtful() == []


@pytest.mark.django_db
def test_import_command_imports_aap_pdf(tmp_path, seed_pdf):
    path = tmp_path / "avis.pdf"
    path.write_bytes(seed_pdf)
    importer()
    call_command("import_avis_conjoint", str(path), "--by", IMPORTER, stdout=io.StringIO())
    committee = Committee.objects.get()
    assert committee.dossiers.count() == 7
    assert committee.joint_opinions.get().content["letterheads"][1].startswith("ASSOCIATION REGIONALE")


def word_table_pdf(content: dict) -> bytes:
    """The avis as a Word document laid out as a borderless table per project, label and value side by side, the
    letterheads in a header table, paragraphs spaced after by 8 pt as Word's Normal style: made here with WeasyPrint,
    LibreOffice being absent from the set-up."""
    smileys = {"favorable": "Favorable", "reserve": "Réservé", "defavorable": "Défavorable"}
    head = "".join(f"<td>{text.replace(chr(10), '<br>')}</td>" for text in content["letterheads"])
    pages = []
    for p in content["projects"]:
        rows = [
            ("Nom du projet", p["title"]),
            ("Bailleur social", p["landlord"]),
            ("Avis du CPR", smileys[p["verdict"]]),
            ("Questions soulevées", p["questions"].replace("\n\n", "<br><br>").replace("\n", "<br>")),
            ("Remarques / avis global", p["remarks"].replace("\n\n", "<br><br>").replace("\n", "<br>")),
            ("Rang de classement", p["rank"] or "Non retenu"),
        ]
        cells = "".join(f"<tr><td style='width:45mm'>{label}</td><td>{value}</td></tr>" for label, value in rows)
        pages.append(
            f"<table style='width:100%'><tr>{head}</tr></table><p style='margin-top:8mm'><b>PROJET N°{p['number']}</b>"
            f"</p><table style='width:100%;border-collapse:collapse'>{cells}</table>"
        )
    header = (
        f"<p>{content['call']} – avis conjoint</p><p>Nom de la Région : {content['region']}</p>"
        f"<p>Nombre total de dossiers reçus : {content['dossiers_received']}</p>"
        f"<p>Date de l'instruction : {content['instructed_on']}</p>"
    )
    first, *rest = pages
    body = first.replace("<p style='margin-top:8mm'>", header + "<p style='margin-top:8mm'>", 1)
    return pdf_of("".join([body, *(f"<div style='break-before:page'>{p}</div>" for p in rest)]))


def test_a_pdf_laid_out_as_word_tables_reads_its_projects():
    content = {
        **VARIED,
        "projects": [{**p, "questions": "Une question.", "remarks": "Une remarque."} for p in VARIED["projects"]],
    }
    document = joint_opinion_read(word_table_pdf(content)).document
    assert document.as_json() == without_letterheads(content)
    assert document.letterheads == content["letterheads"]


@pytest.fixture(scope="module")
def scan():
    """VARIED (each verdict, a project not retained) printed by aap, then scanned 2° askew with specks."""
    return joint_opinion_read(scanned(joint_opinion_pdf(joint_opinion_context(VARIED))))


def test_a_skewed_speckled_scan_reads_every_project(scan):
    assert scan.ocr_pages == [1, 2, 3]
    projects = scan.document.projects
    assert [(p.number, p.verdict, p.rank, p.retained) for p in projects] == [
        (p["number"], p["verdict"], p["rank"], p["retained"]) for p in VARIED["projects"]
    ]
    assert [p.landlord for p in projects] == [p["landlord"] for p in VARIED["projects"]]
    # OCR reads "Hlm" as "Him" at times: the review screen is there for it.
    assert (scan.document.region.replace("Him", "Hlm"), scan.document.dossiers_received) == (VARIED["region"], 3)


def test_a_scan_gives_each_field_a_confidence(scan):
    for project in scan.document.projects:
        assert set(project.confidence) == set(FIELDS)
        assert all(0 < value <= 1 for value in project.confidence.values())
    assert any(value < 1 for p in scan.document.projects for value in p.confidence.values())
    assert set(scan.document.confidence) == {"call", "region", "dossiers_received", "instructed_on"}


def test_a_scans_smileys_are_read_sure(scan):
    """A scanned smile or frown reads a bend of about 0.15 radius, a straight mouth 0: each is far from the boundary."""
    assert [p.verdict for p in scan.document.projects] == [p["verdict"] for p in VARIED["projects"]]
    assert all(p.confidence["verdict"] >= DOUBTFUL for p in scan.document.projects)
    assert not [field for _, field, _ in scan.doubtful() if field == "verdict"]


def test_a_smudged_word_flags_its_field_rather_than_vanish():
    """OCR reads a smudged word unsure, often wrong: kept, it flags its field for a check; the other fields stand."""
    reading = joint_opinion_read(scanned(joint_opinion_pdf(joint_opinion_context(VARIED)), smudged=("Trois",)))
    [third] = [p for p in reading.document.projects if p.number == 3]
    assert third.title  # read as something, not dropped
    assert (3, "title") in [(number, field) for number, field, _ in reading.doubtful()]
    assert [p.title for p in reading.document.projects[:2]] == [p["title"] for p in VARIED["projects"][:2]]


def encrypted(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pages(count: int) -> bytes:
    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda pdf: encrypted(pdf), "ce PDF est protégé par un mot de passe"),
        (lambda pdf: pdf[: len(pdf) // 2], r"ce PDF est tronqué \(sa fin manque\)"),
        (lambda pdf: pages(200), f"ce PDF a 200 pages, au-delà des {MAX_PAGES}"),
        (lambda pdf: scanned(pages(1)), "ce PDF ne contient que des images, où la reconnaissance de caractères ne lit"),
        (lambda pdf: pdf_of("<p>Compte rendu de la réunion du 3 mai.</p>"), "ce fichier n'est pas un avis conjoint"),
        (
            lambda pdf: scanned(pdf_of("<h1>4e appel à projets 10 000 logements HLM accompagnés</h1>")),
            r"la reconnaissance de caractères \(pages 1\) ne trouve aucun projet",
        ),
    ],
    ids=["encrypted", "truncated", "200 pages", "images without text", "not an avis", "scan without project"],
)
def test_a_bad_pdf_is_refused_in_french(seed_pdf, make, message):
    with pytest.raises(DocumentRefused, match=message):
        joint_opinion_read(make(seed_pdf))


@pytest.mark.django_db
def test_the_command_refuses_a_bad_pdf_and_writes_nothing(tmp_path, seed_pdf):
    path = tmp_path / "avis.pdf"
    path.write_bytes(encrypted(seed_pdf))
    importer()
    with pytest.raises(CommandError, match=r"avis\.pdf: ce PDF est protégé par un mot de passe"):
        call_command("import_avis_conjoint", str(path), "--by", IMPORTER, stdout=io.StringIO())
    assert not Committee.objects.exists()


@pytest.mark.parametrize("line_end", ["\r", "\r\n"])
def test_a_text_with_other_line_ends_reads_as_the_parser_counts_its_lines(line_end):
    """A value holding a carriage return is two lines for the parser: the reading's lines are the same ones, so each
    field's confidence is found on the line it was read from."""
    text = (Path(__file__).resolve().parent.parent / "demo" / "data" / "avis-conjoint-paca-2018.txt").read_text()
    text = text.replace("Nom du projet : ", f"Nom du projet :{line_end}", 1)
    reading = joint_opinion_read(text.encode())
    assert [p.number for p in reading.document.projects] == [p.number for p in parse(text).projects]
    assert len(reading.lines) == len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def test_the_reading_tells_each_page_read(seed_pdf):
    told = []
    joint_opinion_read(seed_pdf, on_page=lambda read, pages: told.append((read, pages)))
    pages = len(pdfplumber.open(io.BytesIO(seed_pdf)).pages)
    assert pages > 1 and told == [(read, pages) for read in range(1, pages + 1)]


@pytest.mark.django_db
def test_the_import_page_follows_the_pages_read(client, seed_pdf):
    user = importer()
    archive = ArchiveImport(uploaded_by=user, filename="avis.pdf", sha256="0" * 64, pages_read=3, pages=12)
    archive.file.save("avis.pdf", ContentFile(seed_pdf))
    client.force_login(user)
    progress = client.get(reverse("import_detail", args=[archive.uuid]), headers={"HX-Request": "true"})
    assert "Pages lues : 3 sur 12." in progress.content.decode()

    assert import_read.call(archive.pk) == ArchiveImport.State.READY
    archive.refresh_from_db()
    assert archive.pages_read == archive.pages == len(pdfplumber.open(io.BytesIO(seed_pdf)).pages)
