"""Pages that list dossiers cost the same number of queries whatever the number of dossiers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import BudgetLine, JointOpinion
from tests.factories import DossierFactory, OpinionFactory, OrganisationFactory


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def add_dossiers(committee, count: int) -> None:
    for _ in range(count):
        dossier = DossierFactory(committee=committee)
        dossier.partners.add(OrganisationFactory(kind="association"))
        BudgetLine.objects.create(dossier=dossier, year=1, funder="fnavdl", amount=1000)
        OpinionFactory(dossier=dossier)


LIST_PAGES = [
    *[("home", role) for role in ("member_in_conflict", "secretariat", "landlord", "observer")],
    *[("committee_detail", role) for role in ("member_in_conflict", "secretariat", "observer")],
]


@pytest.mark.parametrize("page, role", LIST_PAGES)
def test_list_pages_cost_a_constant_number_of_queries(cast, login, role, page):
    client = login(cast.users[role])
    url = reverse(page, args=[cast.committee.pk] if page == "committee_detail" else [])
    add_dossiers(cast.committee, 2)
    few = queries(client, url)
    add_dossiers(cast.committee, 10)
    JointOpinion.objects.create(
        committee=cast.committee,
        version=1,
        source="publication",
        sha256="0" * 64,
        content={"projects": [], "call": "", "region": "", "instructed_on": "2018-11-13"},
    )
    assert queries(client, url) == few
    assert few <= 20
