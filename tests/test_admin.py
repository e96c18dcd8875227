"""Django's admin, for the support's superusers: what the workflow writes is read there, never changed."""

import pytest
from django.urls import reverse

from core.models import Seat
from tests.access import text
from tests.factories import CommitteeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_committees_seats_are_shown_and_cannot_be_changed(client):
    committee = CommitteeFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:core_committee_change", args=[committee.pk]))
    page = text(response)
    assert response.status_code == 200
    for organisation in committee.institutions:
        assert organisation.name in page
    # No form field of a seat, no row to add: the committee's page changes them, with their trail.
    assert "seats-0-organisation" not in page and "seats-__prefix__" not in page
    formset = response.context["inline_admin_formsets"][0]
    assert formset.formset.model is Seat and not formset.has_add_permission and not formset.has_change_permission
