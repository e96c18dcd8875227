"""The departments shipped with the application: chosen by name or number, or found from a commune's code."""

import pytest
from django.urls import reverse

from core.departments import DEPARTMENTS, NotADepartment, commune_department, find_department
from core.models import Territory
from front.forms import TerritoryForm
from tests.access import text
from tests.test_drafts import _edit_data, draft, open_call  # noqa: F401 (fixtures)


def test_the_list_holds_the_101_departments():
    assert len(DEPARTMENTS) == 101
    assert {"2A", "2B", "971", "972", "973", "974", "976"} <= DEPARTMENTS.keys()
    assert not {"20", "96", "975"} & DEPARTMENTS.keys()
    assert DEPARTMENTS["13"] == "Bouches-du-Rhône" and DEPARTMENTS["974"] == "La Réunion"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("13", "13"),
        ("2a", "2A"),
        ("971", "971"),
        ("1", "01"),
        ("Bouches-du-Rhône", "13"),
        ("bouches du rhone", "13"),
        ("BOUCHES-DU-RHÔNE", "13"),
        ("  Bouches-du-Rhône (13) ", "13"),
        ("13 - Bouches-du-Rhône", "13"),
        ("Rhône", "69"),
        ("Côte d’Or", "21"),
        ("réunion", "974"),
        ("Marseille (13001)", "13"),
        ("20000 Ajaccio", "2A"),
        ("Bastia (20200)", "2B"),
        ("2B033", "2B"),
        ("Saint-Denis (97400)", "974"),
        ("", None),
    ],
)
def test_a_department_by_its_name_its_number_or_a_commune(typed, code):
    assert find_department(typed) == code


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("Bouches", "« Bouches » n'est pas un département : indiquez le nom ou le numéro d'un département"),
        ("99", "« 99 » n'est pas un département"),
        ("975", "« 975 » n'est pas un département"),
        ("Var (13)", "Le département 13 est « Bouches-du-Rhône », pas « Var »"),
        ("Monaco (98000)", "Le code 98000 n'est celui d'aucune commune d'un département français."),
        ("Var (99)", "« 99 » n'est le numéro d'aucun département"),
    ],
)
def test_what_names_no_department_is_refused_in_french(typed, says):
    with pytest.raises(NotADepartment, match=says.replace("(", r"\(").replace(")", r"\)")):
        find_department(typed)


def test_a_commune_without_a_code_names_no_department():
    assert commune_department("Marseille") is None


@pytest.mark.parametrize(
    ("department", "commune", "stored"),
    [
        ("Bouches-du-Rhône", "", "13"),
        ("", "Marseille (13001)", "13"),
        ("13", "Marseille 13001", "13"),
        ("corse du sud", "Ajaccio", "2A"),
    ],
)
def test_a_territory_keeps_the_code(department, commune, stored):
    form = TerritoryForm({"department": department, "commune": commune})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["department"] == stored and form.instance.department == stored


@pytest.mark.parametrize(
    ("department", "commune", "field", "says"),
    [
        ("Var", "Marseille (13001)", "commune", "est dans le département Bouches-du-Rhône (13), pas Var (83)"),
        ("", "Marseille", "department", "Le département manque"),
        ("", "", "department", "Le département manque"),
    ],
)
def test_a_territory_without_its_department_says_why(department, commune, field, says):
    form = TerritoryForm({"department": department, "commune": commune})
    assert not form.is_valid()
    assert says in " ".join(form.errors[field])


def test_the_draft_takes_a_name_and_shows_it_back(cast, draft, login):  # noqa: F811
    client = login(cast.users["landlord"])
    data = _edit_data(**{"territories-0-department": "bouches du rhone", "territories-0-commune": "Marseille (13001)"})
    response = client.post(reverse("dossier_edit", args=[draft.pk]), data)
    assert response.status_code == 302, text(response)
    assert draft.territories.get().department == "13"
    page = text(client.get(reverse("dossier_edit", args=[draft.pk])))
    assert 'value="Bouches-du-Rhône (13)"' in page and '<option value="Corse-du-Sud (2A)">' in page
    detail = text(client.get(reverse("dossier_detail", args=[draft.pk])))
    assert "Marseille (13001), Bouches-du-Rhône (13)" in detail


def test_a_code_stored_before_the_list_still_reads():
    assert str(Territory(department="975")) == "975"
