"""Characters XML 1.0 cannot hold (C0 controls but tab and line breaks, U+FFFE, U+FFFF, lone surrogates).

One in a title made the committee's Word document, and the frozen published version's, fail for everyone. They
are removed where text enters (forms, importer), from the rows stored before (a migration), and where the
documents are written, so that a value that still holds one never breaks a document.
"""

import html

import pytest
from django.urls import reverse

from core.models import Dossier, JointOpinion, Opinion
from core.services.joint_opinions import snapshot_digest
from core.text import xml_safe
from tests.test_downloads import document_text

# Each a character XML 1.0 cannot hold, inside a text.
FORBIDDEN = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\ud800", "\udfff", "\ufffe", "\uffff"]
# Each one it can: tab, line feed, carriage return, DEL and the C1 controls, letters past the BMP.
KEPT = ["\t", "\n", "\r", "\x7f", "\x85", "é", "€", "😀", "\U0010fffd"]


@pytest.mark.parametrize("character", FORBIDDEN)
def test_xml_safe_removes_what_xml_cannot_hold(character):
    assert xml_safe(f"Projet{character} Logis") == "Projet Logis"


@pytest.mark.parametrize("character", KEPT)
def test_xml_safe_keeps_everything_else(character):
    assert xml_safe(f"Projet {character} Logis") == f"Projet {character} Logis"


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_documents_render_a_value_stored_with_a_control_character(published, login, kind):
    """Written past every entry (as a row stored before the cleaning): the committee's draft document renders,
    and so does the frozen published version, whose snapshot stays as it was hashed."""
    cast = published
    Dossier.objects.filter(pk=cast.dossier.pk).update(title="Logis\x0b accompagné\x1f")
    Opinion.objects.filter(dossier=cast.dossier).update(questions="Quel\x0b suivi ?", remarks="Bien\x01.")
    version = JointOpinion.objects.get(committee=cast.committee)
    # The frozen snapshot holds the control characters too, hashed with them.
    version.content["projects"][0] |= {"title": "Logis\x0b accompagné\x1f", "questions": "Quel\x0b suivi ?"}
    version.sha256 = snapshot_digest(version.content)
    version.save()
    client = login(cast.users["member"])
    draft = client.get(reverse("committee_draft_download", args=[cast.committee.uuid, kind]))
    frozen = client.get(reverse("joint_opinion_download", args=[version.uuid, kind]))
    assert (draft.status_code, frozen.status_code) == (200, 200)
    for response in (draft, frozen):
        assert "Logis accompagné" in document_text(response, kind)
        assert "Quel suivi ?" in document_text(response, kind)
    version.refresh_from_db()
    assert version.content["projects"][0]["title"] == "Logis\x0b accompagné\x1f"
    assert version.sha256 == snapshot_digest(version.content)


def test_the_print_view_renders_it_too(published, login):
    cast = published
    version = JointOpinion.objects.get(committee=cast.committee)
    version.content["projects"][0]["title"] = "Logis\x0b accompagné"
    version.save()
    response = login(cast.users["member"]).get(reverse("joint_opinion_print", args=[version.uuid]))
    assert response.status_code == 200
    assert "Logis accompagné" in html.unescape(response.content.decode())
