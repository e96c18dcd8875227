"""Pages of the home page's list, found from each committee's count."""

from collections import Counter

import pytest

from core.models import Dossier
from core.paging import page_by_committee
from tests.factories import CallFactory, CommitteeFactory, DossierFactory


@pytest.fixture
def dossiers(db):
    """Committees of three calls, two of the same year; two committees of one call share a name; sizes 0 to 5."""
    calls = [CallFactory(year=2018), CallFactory(year=2021), CallFactory(year=2021)]
    committees = [
        CommitteeFactory(call=calls[0], name="Bretagne"),
        CommitteeFactory(call=calls[1], name="Occitanie"),
        CommitteeFactory(call=calls[1], name="Auvergne"),
        CommitteeFactory(call=calls[2], name="Auvergne"),
        CommitteeFactory(call=calls[2], name="Normandie"),
    ]
    for committee, size in zip(committees, (5, 3, 1, 4, 0), strict=True):
        for number in range(size, 0, -1):
            DossierFactory(committee=committee, number=number)
    return Dossier.objects.all()


@pytest.mark.parametrize("per_page", [1, 2, 3, 5, 13, 50])
def test_the_pages_hold_every_dossier_once_in_order(dossiers, per_page):
    expected = list(dossiers.order_by("-call__year", "committee__name", "committee_id", "number"))
    first, counts = page_by_committee(dossiers, dossiers, per_page, 1)
    listed = [dossier for number in first.paginator.page_range for dossier in first.paginator.page(number)]
    assert listed == expected
    assert first.paginator.count == len(expected) == 13
    assert counts == Counter(dossier.committee_id for dossier in expected)


def test_a_narrower_list_counts_only_its_dossiers(dossiers):
    mine = dossiers.filter(committee__name="Auvergne")
    page, counts = page_by_committee(mine, dossiers, 50, "x")
    assert [(d.committee.call.year, d.number) for d in page] == [(2021, 1), (2021, 1), (2021, 2), (2021, 3), (2021, 4)]
    assert sorted(counts.values()) == [1, 4]


def test_no_dossier_gives_an_empty_first_page(db):
    page, counts = page_by_committee(Dossier.objects.all(), Dossier.objects.all(), 50, 3)
    assert list(page) == [] and page.number == 1 and counts == {}
