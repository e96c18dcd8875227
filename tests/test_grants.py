"""The grants as open data: the demo's file passes the national schema (SCDL « Subventions » 2.1.1), a broken row
does not; publishing is the secretariat's act; the workspace lists the grants due."""

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from frictionless import Resource, Schema, validate

from core.grants import FIELDS, SCHEMA, grants_csv, publish_by
from core.models import Agreement, AuditEvent, Call, Dossier
from core.permissions import Access
from core.workflow import ActionRefused, allows
from core.workspace import grants_due
from demo.grants import illustrative_siret

pytestmark = pytest.mark.django_db
SCHEMA_PATH = Path(settings.BASE_DIR) / SCHEMA


def schema() -> Schema:
    return Schema.from_descriptor(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def errors(text: str) -> list[str]:
    """What frictionless finds wrong with the CSV against the schema, one line an error."""
    resource = Resource(text.encode(), format="csv", encoding="utf-8", schema=schema())
    report = validate(resource)
    return [f"{e.type}: {e.message}" for task in report.tasks for e in task.errors]


@pytest.fixture
def demo(client):
    with override_settings(DEMO=True):
        call_command("demo", stdout=io.StringIO())
    return Call.objects.get(edition=4)


def test_the_schema_names_the_fields_in_the_files_order():
    assert tuple(field.name for field in schema().fields) == FIELDS


def test_the_demo_file_is_public_and_valid(demo, client):
    response = client.get(reverse("grants_file", args=[demo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    # Project 4 published; project 6 signed after, still due.
    assert [row["referenceDecision"] for row in rows] == [f"AAP4-{Dossier.objects.get(call=demo, number=4).pk}"]
    row = rows[0]
    assert row["nomAttribuant"] == "Secrétariat national de l'appel à projets"
    assert (row["dateConvention"], row["montant"]) == ("2019-03-15", "190000.00")
    assert row["conditionsVersement"] == "échelonné"
    assert row["datesPeriodeVersement"] == "2019-03-15/2021-03-15"
    assert errors(text) == []
    page = client.get(reverse("grants_index"))
    assert reverse("grants_file", args=[demo.pk]) in page.content.decode()


def _broken(text: str, **changes) -> str:
    rows = list(csv.DictReader(io.StringIO(text)))
    rows[0].update(changes)
    return grants_csv(rows)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"idAttribuant": "1234567890123"}, "constraint-error"),  # 13 digits
        ({"idBeneficiaire": "12345678901234X"}, "constraint-error"),
        ({"pourcentageSubvention": "1.5"}, "constraint-error"),
        ({"conditionsVersement": ""}, "constraint-error"),
        ({"datesPeriodeVersement": "15/03/2019"}, "constraint-error"),
        ({"dateConvention": "15/03/2019"}, "type-error"),
        ({"notificationUE": "false"}, "type-error"),
    ],
)
def test_a_broken_row_fails(demo, client, changes, error):
    text = client.get(reverse("grants_file", args=[demo.pk])).content.decode()
    found = errors(_broken(text, **changes))
    assert found and all(e.startswith(error) for e in found), found


@override_settings(DEMO=True)  # demo accounts log in only in demo mode
def test_publishing_is_the_secretariats_and_reports_what_lacks_a_number(demo, client):
    secretariat = Access(demo.grantor.memberships.get().user)
    second = Agreement.objects.get(dossier__call=demo, dossier__number=6)
    assert allows(secretariat, "call.publish_grants", demo)
    # The workspace lists the grant due, three months after its signature.
    assert [(a.pk, a.due) for a in grants_due(secretariat)] == [(second.pk, date(2019, 9, 3))]
    client.force_login(secretariat.user)
    assert "Subventions à publier en données ouvertes" in client.get(reverse("home")).content.decode()

    landlord = second.dossier.lead_landlord
    siret = landlord.siret
    type(landlord).objects.filter(pk=landlord.pk).update(siret=siret[:9])  # a SIREN alone
    response = client.post(reverse("call_publish_grants", args=[demo.pk]), follow=True)
    assert "ni SIRET (14 chiffres) ni numéro RNA" in response.content.decode()
    second.refresh_from_db()
    assert second.published_at is None

    type(landlord).objects.filter(pk=landlord.pk).update(siret=siret)
    response = client.post(reverse("call_publish_grants", args=[demo.pk]), follow=True)
    assert "1 subvention publiée en données ouvertes." in response.content.decode()
    second.refresh_from_db()
    assert second.published_at is not None
    assert AuditEvent.objects.filter(action="call.publish_grants", dossier=second.dossier).exists()
    assert grants_due(secretariat) == []
    assert not allows(secretariat, "call.publish_grants", demo)
    text = client.get(reverse("grants_file", args=[demo.pk])).content.decode()
    assert len(list(csv.DictReader(io.StringIO(text)))) == 2
    assert errors(text) == []


def test_no_one_else_publishes(demo):
    from core.services.grants import grants_publish

    landlord = Agreement.objects.get(dossier__call=demo, dossier__number=6).dossier.lead_landlord
    with pytest.raises(ActionRefused):
        grants_publish(call=demo, by=landlord.memberships.get().user)


def test_publish_by_keeps_to_the_months_last_day():
    assert publish_by(date(2019, 3, 15)) == date(2019, 6, 15)
    assert publish_by(date(2019, 11, 30)) == date(2020, 2, 29)
    assert publish_by(date(2019, 10, 31)) == date(2020, 1, 31)


def test_illustrative_numbers_hold_their_key():
    from core.identifiers import siren_or_siret_problem

    assert siren_or_siret_problem(illustrative_siret(104)) is None
