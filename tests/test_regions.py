import pytest

from core.formats import label
from core.models import Committee
from core.regions import Region, find_region


@pytest.mark.parametrize(
    "text, region",
    [
        ("AR Hlm PACA & Corse", Region.PROVENCE_ALPES_COTE_D_AZUR),
        ("PROVENCE-ALPES-COTE D'AZUR", Region.PROVENCE_ALPES_COTE_D_AZUR),
        # The apostrophe as Word types it.
        ("Provence-Alpes-Côte d’Azur", Region.PROVENCE_ALPES_COTE_D_AZUR),
        ("DREAL Auvergne-Rhône-Alpes", Region.AUVERGNE_RHONE_ALPES),
        ("AR Hlm Grand Est", Region.GRAND_EST),
        ("Union sociale pour l'habitat Occitanie", Region.OCCITANIE),
        ("ARO Habitat Bretagne", Region.BRETAGNE),
        ("DRIHL Île-de-France", Region.ILE_DE_FRANCE),
        ("Corse", Region.CORSE),
    ],
)
def test_finds_the_region(text, region):
    assert find_region(text) == region


def test_no_region_named():
    assert find_region("Comité national", "ESTEREL") is None


@pytest.mark.parametrize("value", ["93", "", "99"])
def test_label_reads_a_choice_as_get_foo_display_does(value):
    """Exports read labels through core.formats.label: a blank or unknown region shows as it is stored."""
    assert label(Region, value) == Committee(region=value).get_region_display()
