"""The workspace page as a user reads it: what it shows of the open calls."""

from django.urls import reverse

from core.formats import euros
from core.models import Call
from tests.access import text


def test_an_open_call_shows_its_rules_and_the_documents_it_asks(cast, login):
    call = cast.committee.call
    call.status, call.cap_per_project, call.max_duration_years = Call.Status.OPEN, 150000, 3
    call.required_documents = "Délibération du conseil d'administration\nBudget prévisionnel détaillé"
    call.save()
    page = text(login(cast.users["landlord"]).get(reverse("home")))
    assert f"Plafond par projet : {euros(150000)}" in page and "Durée maximale : 3 ans" in page
    assert "Pièces à joindre : Délibération du conseil d'administration ; Budget prévisionnel détaillé" in page
