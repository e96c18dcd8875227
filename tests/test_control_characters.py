"""Characters XML 1.0 cannot hold (C0 controls but tab and line breaks, U+FFFE, U+FFFF, lone surrogates).

One in a title made the committee's Word document, and the frozen published version's, fail for everyone. They
are removed where text enters (forms, importer), from the rows stored before (a migration), and where the
documents are written, so that a value that still holds one never breaks a document.
"""

import html
import importlib
import io
import pkgutil

import pytest
from django import forms
from django.apps import apps as django_apps
from django.core.management import call_command
from django.forms.formsets import BaseFormSet
from django.urls import reverse

import api
import front
from core.models import Call, Dossier, JointOpinion, Opinion, Organisation
from core.services.joint_opinions import snapshot_digest
from core.text import xml_safe
from front.fields import XmlSafeInput
from front.users import AcceptForm
from tests.factories import IMPORTER, DossierFactory, importer
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


# --- Where text enters ----------------------------------------------------------------------------


def form_classes(base=forms.BaseForm) -> set[type]:
    """Every form the pages and the API's token page define (their modules imported by test_every_form_…)."""
    found = set()
    for cls in base.__subclasses__():
        if cls.__module__.startswith(("front.", "api.")):
            found.add(cls)
        found |= form_classes(cls)
    return found


def test_every_form_cleans_its_input():
    modules = [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for package in (front, api)
        for info in pkgutil.iter_modules(package.__path__)
    ]
    defined = [getattr(module, name) for module in modules for name in dir(module)]
    formsets = [cls for cls in defined if isinstance(cls, type) and issubclass(cls, BaseFormSet)]
    # Those made by a factory name their form; their bases (StrandLines) do not.
    lines = {formset.form for formset in formsets if hasattr(formset, "form")}
    found = form_classes() | lines
    assert {"OpinionForm", "DossierForm", "TerritoryForm", "DossierFilters", "TokenForm"} <= {c.__name__ for c in found}
    assert sorted(cls.__name__ for cls in found if not issubclass(cls, XmlSafeInput)) == []


def test_the_draft_form_stores_its_text_without_them(cast, login):
    from tests.test_drafts import _edit_data

    call = cast.committee.call
    call.status = Call.Status.OPEN
    call.save()
    draft = DossierFactory(committee=cast.committee, lead_landlord=cast.dossier.lead_landlord, state="brouillon")
    data = _edit_data(title="Logis\x0b accompagné", summary="Ligne\x1f\nsuivante", new_partners="GCS\x0c Galilé")
    data |= {"territories-0-commune": "Mar\x01seille", "budget-0-label": "Accompa\ufffegnement"}
    response = login(cast.users["landlord"]).post(reverse("dossier_edit", args=[draft.pk]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.summary) == ("Logis accompagné", "Ligne\nsuivante")
    assert draft.territories.get().commune == "Marseille"
    assert draft.budget_lines.get().label == "Accompagnement"
    assert [partner.name for partner in draft.partners.all()] == ["GCS Galilé"]


def test_the_opinion_form_stores_its_text_without_them(cast, login):
    revision = cast.dossier.opinion.revision
    data = {"verdict": "favorable", "questions": "Quel\x0b suivi ?", "remarks": "\x08Bien.", "revision": revision}
    response = login(cast.users["member"]).post(reverse("opinion_edit", args=[cast.dossier.pk]), data)
    assert response.status_code == 302
    opinion = Opinion.objects.get(dossier=cast.dossier)
    assert (opinion.questions, opinion.remarks) == ("Quel suivi ?", "Bien.")


def test_a_text_of_control_characters_only_is_empty(cast, login):
    """Removed before the field reads it: a required field left with nothing is refused as empty."""
    client = login(cast.users["member"])
    response = client.post(reverse("note_new", args=[cast.dossier.pk]), {"body": "\x0b\x01"}, follow=True)
    assert "La note est vide." in html.unescape(response.content.decode())
    assert not cast.dossier.notes.exists()


@pytest.mark.django_db
def test_the_importer_stores_its_text_without_them(tmp_path, seed_text):
    text = seed_text.replace("PROTEGE-TOIT", "PROTEGE\x0b-TOIT\x1f", 1)
    path = tmp_path / "avis.txt"
    path.write_bytes(text.encode())
    importer()
    call_command("import_avis_conjoint", str(path), "--by", IMPORTER, stdout=io.StringIO())
    assert Dossier.objects.filter(title="PROTEGE-TOIT").exists()
    version = JointOpinion.objects.get()
    assert "PROTEGE-TOIT" in [project["title"] for project in version.content["projects"]]


def test_a_password_is_kept_as_typed():
    data = {"first_name": "Anne\x0b", "last_name": "Roux", "password": "n\x0bimporte quoi 12", "password_again": ""}
    form = AcceptForm(data)
    form.is_valid()
    assert (form.cleaned_data["first_name"], form.cleaned_data["password"]) == ("Anne", "n\x0bimporte quoi 12")


# --- What was stored before -----------------------------------------------------------------------


def test_the_migration_cleans_the_stored_text_and_leaves_the_snapshots(published):
    cast = published
    Dossier.objects.filter(pk=cast.dossier.pk).update(title="Logis\x0b accompagné", summary="Ré\x1fsumé")
    Opinion.objects.filter(dossier=cast.dossier).update(remarks="Bien\x01.")
    Organisation.objects.filter(pk=cast.dossier.lead_landlord_id).update(name="HLM\x0c Sud")
    version = JointOpinion.objects.get()
    version.content["projects"][0]["title"] = "Logis\x0b accompagné"
    version.save()
    migration = importlib.import_module("core.migrations.0013_text_without_xml_controls")
    migration.clean_text(django_apps, None)
    dossier = Dossier.objects.select_related("lead_landlord", "opinion").get(pk=cast.dossier.pk)
    assert (dossier.title, dossier.summary, dossier.opinion.remarks) == ("Logis accompagné", "Résumé", "Bien.")
    assert dossier.lead_landlord.name == "HLM Sud"
    assert JointOpinion.objects.get().content == version.content
