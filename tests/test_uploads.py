"""Uploads are what their content declares: macros, embedded objects and external references are refused
whatever the parts are named, and every file is stored and served as the type its content is."""

import random

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import OTHER_DOCUMENT, Attachment, Call, Dossier, Message, Organisation
from tests.access import text
from tests.factories import DossierFactory
from tests.office_files import COMPOUND_FILE, MS_REL, REL, docx, odt, relationships, xlsx, zipped

MACROS = "contient des macros"
OLE = "contient un objet incorporé (OLE)"
EXTERNAL = "fait référence à une adresse ou un fichier extérieurs"
NOT_A_DOCUMENT = "n'est pas un document PDF, Word (DOCX), Excel (XLSX) ou OpenDocument (ODT)"
VBA = "application/vnd.ms-office.vbaProject"
MACROSHEET = "application/vnd.ms-excel.macrosheet+xml"
OLE_OBJECT = "application/vnd.openxmlformats-officedocument.oleObject"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">&b;</Types>'
)

# A VBA project renamed as an image, with the relationship that makes Word load it.
RENAMED_VBA = {
    "document_rels": ((f"{MS_REL}/vbaProject", "media/image9.png"),),
    "parts": {"word/media/image9.png": b"Attribut VB_Name"},
}
# name -> (content, what the refusal says). All but the SVG were accepted while names decided.
REFUSED = {
    # A .docm whose macro part is renamed: its content types still declare what it is.
    "rapport.docm": (
        docx(
            main_type="application/vnd.ms-word.document.macroEnabled.main+xml",
            overrides={"/word/media/image9.png": VBA},
            **RENAMED_VBA,
        ),
        MACROS,
    ),
    # The same project in a document whose main part claims to be a plain DOCX.
    "rapport.docx": (docx(defaults={"png": VBA}, **RENAMED_VBA), MACROS),
    # Excel 4.0 macros: a macro sheet, where Excel puts it and under a worksheet's name.
    "budget.xlsx": (
        xlsx(
            overrides={"/xl/macrosheets/sheet2.xml": MACROSHEET},
            workbook_rels=((f"{MS_REL}/xlMacrosheet", "macrosheets/sheet2.xml"),),
            parts={"xl/macrosheets/sheet2.xml": "<xm:macrosheet/>"},
        ),
        MACROS,
    ),
    "budget-2.xlsx": (
        xlsx(overrides={"/xl/worksheets/sheet2.xml": MACROSHEET}, parts={"xl/worksheets/sheet2.xml": "<x/>"}),
        MACROS,
    ),
    # LibreOffice Basic and Python macros.
    "lettre.odt": (
        odt(
            entries={"Basic/Standard/Module1.xml": "text/xml", "Basic/script-lc.xml": "text/xml"},
            parts={"Basic/Standard/Module1.xml": "<script:module/>", "Basic/script-lc.xml": "<x/>"},
        ),
        MACROS,
    ),
    "lettre-2.odt": (odt(parts={"Scripts/python/lancer.py": "import os"}), MACROS),
    # Fetched by Word on opening: an external template (attachedTemplate), an image linked on a share.
    "modele.docx": (
        docx(
            overrides={
                "/word/settings.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"
            },
            document_rels=((f"{REL}/settings", "settings.xml"),),
            parts={
                "word/settings.xml": "<w:settings/>",
                "word/_rels/settings.xml.rels": relationships(
                    (f"{REL}/attachedTemplate", "https://modeles.example.net/lettre.dotm", "External")
                ),
            },
        ),
        EXTERNAL,
    ),
    "image-liee.docx": (
        docx(document_rels=((f"{REL}/image", "file://serveur/partage/logo.png", "External"),)),
        EXTERNAL,
    ),
    # Embedded OLE objects: declared, or undeclared and renamed (read as a compound file), and in ODF.
    "objet.docx": (
        docx(
            overrides={"/word/embeddings/oleObject1.bin": OLE_OBJECT},
            document_rels=((f"{REL}/oleObject", "embeddings/oleObject1.bin"),),
            parts={"word/embeddings/oleObject1.bin": b"Package"},
        ),
        OLE,
    ),
    "objet-2.docx": (docx(parts={"word/media/image2.emf": COMPOUND_FILE}), OLE),
    "objet.odt": (
        odt(entries={"Object 1": "application/vnd.sun.star.oleobject"}, parts={"Object 1": b"Package"}),
        OLE,
    ),
    # Content types of 11 MB, under the compression ratio: parsed whole, they would cost memory.
    "declarations.docx": (
        docx(defaults={random.Random(i).randbytes(8).hex(): "application/xml" for i in range(220_000)}),
        "se décompresse en un volume anormal",
    ),
    # Not an accepted kind: an SVG (a page that runs scripts), a package whose XML declares entities.
    "image.svg": (SVG, NOT_A_DOCUMENT),
    "entites.docx": (zipped({"[Content_Types].xml": BILLION_LAUGHS, "word/document.xml": "<w/>"}), NOT_A_DOCUMENT),
}

# name -> (content, kind, the name it is listed and downloaded under)
ACCEPTED = {
    "note.docx": (docx(), "docx", "note.docx"),
    # A hyperlink is external too, but fetched only when the reader clicks it.
    "liens.docx": (
        docx(document_rels=((f"{REL}/hyperlink", "https://www.service-public.fr/", "External"),)),
        "docx",
        "liens.docx",
    ),
    # A chart's workbook is an embedded package, not an OLE object.
    "graphique.docx": (
        docx(
            defaults={"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
            document_rels=((f"{REL}/package", "embeddings/Classeur1.xlsx"),),
            parts={"word/embeddings/Classeur1.xlsx": xlsx()},
        ),
        "docx",
        "graphique.docx",
    ),
    "tableau.xlsx": (xlsx(), "xlsx", "tableau.xlsx"),
    # Every document LibreOffice saves declares its toolbars' configuration.
    "lettre.odt": (
        odt(entries={"Configurations2/": "application/vnd.sun.xml.ui.configuration"}),
        "odt",
        "lettre.odt",
    ),
    "poly.html": (PDF, "pdf", "poly.pdf"),
    "image.svg": (PDF, "pdf", "image.pdf"),
    "sans-extension": (docx(), "docx", "sans-extension.docx"),
}


@pytest.fixture
def draft(cast):
    Call.objects.filter(pk=cast.committee.call_id).update(status=Call.Status.OPEN)
    return DossierFactory(committee=cast.committee, lead_landlord=cast.dossier.lead_landlord, state=Dossier.State.DRAFT)


@pytest.fixture
def landlord(cast, login):
    return login(cast.users["landlord"])


def upload(client, draft, name: str, content: bytes):
    url = reverse("attachment_upload", args=[draft.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, content), "document_type": OTHER_DOCUMENT}, follow=True)


@pytest.mark.parametrize("name", REFUSED)
def test_refused_by_what_the_package_declares(landlord, draft, name):
    content, says = REFUSED[name]
    response = upload(landlord, draft, name, content)
    assert response.status_code == 200
    assert f"« {name} » {says}" in text(response)
    assert not Attachment.objects.exists()


def test_refused_in_a_message_too(cast, landlord):
    content, says = REFUSED["rapport.docm"]
    data = {"body": "Voici le rapport.", "file": SimpleUploadedFile("rapport.docm", content)}
    response = landlord.post(reverse("message_new", args=[cast.dossier.pk]), data, follow=True)
    assert f"« rapport.docm » {says}" in text(response)
    assert not Message.objects.exists() and not Attachment.objects.exists()


@pytest.mark.parametrize("name", ACCEPTED)
def test_stored_and_served_as_what_the_content_is(landlord, draft, name):
    content, kind, served_as = ACCEPTED[name]
    response = upload(landlord, draft, name, content)
    assert f"Pièce jointe « {served_as} » ajoutée" in text(response)
    attachment = Attachment.objects.get()
    assert (attachment.kind, attachment.name) == (kind, served_as)
    extension = served_as.rsplit(".", 1)[1]
    assert attachment.file.name == f"dossiers/{draft.pk}/{attachment.uuid}.{extension}"
    assert default_storage.open(attachment.file.name).read() == content

    download = landlord.get(reverse("attachment_download", args=[attachment.uuid]))
    assert b"".join(download.streaming_content) == content
    expected_type = {
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt": "application/vnd.oasis.opendocument.text",
    }[kind]
    assert download["Content-Type"] == expected_type
    assert download["Content-Disposition"] == f'attachment; filename="{served_as}"'
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_file_stored_before_is_served_as_its_recorded_kind(landlord, draft):
    """Files uploaded before this check keep their name on disk; their download still follows their kind."""
    attachment = Attachment.objects.create(dossier=draft, name="poly.html", kind="pdf", size=len(PDF))
    attachment.file.save("ancien", SimpleUploadedFile("ancien", PDF))
    download = landlord.get(reverse("attachment_download", args=[attachment.uuid]))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="poly.pdf"'


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def logo_form(name: str, content: bytes):
    from core.admin import OrganisationForm  # the admin's, where logos are uploaded

    data = {"name": "DREAL PACA", "kind": Organisation.Kind.STATE_SERVICE, "letterhead": ""}
    return OrganisationForm(data, {"logo": SimpleUploadedFile(name, content)})


def test_a_logo_is_a_png_or_jpeg_by_its_content(db):
    form = logo_form("logo.svg", SVG)
    assert not form.is_valid()
    assert form.errors["logo"] == [
        "« logo.svg » n'est pas une image PNG ou JPEG : seuls ces formats sont acceptés, vérifiés d'après leur contenu."
    ]
    # An SVG named as a PNG is no more accepted.
    assert not logo_form("logo.png", SVG).is_valid()

    form = logo_form("logo.jpg", PNG)
    assert form.is_valid(), form.errors
    organisation = form.save()
    assert organisation.logo.name == "logos/logo.png"
