"""One folding, core.text.fold, and what the modules build on it: where they differ, and on what."""

import pytest

from core.regions import region_key
from core.text import fold, name_key
from search.text import fold_keeping_ligatures

DECOMPOSED_E_ACUTE = "e\u0301"


@pytest.mark.parametrize(
    ("text", "folded", "search", "region"),
    [
        ("Côte d'Azur", "cote d'azur", "cote d'azur", "cote-d-azur"),
        ("ÉLOIGNÉS", "eloignes", "eloignes", "eloignes"),
        # Letters without a decomposition: kept by both folds, dropped by the ASCII region key.
        ("cœur", "cœur", "cœur", "cur"),
        ("Æ", "æ", "æ", ""),
        ("Straße", "straße", "straße", "strae"),
        # The typographic apostrophe is not an apostrophe to any of them.
        ("d’Azur", "d’azur", "d’azur", "d-azur"),
        # A character standing for several: fold keeps the first, search keeps it whole, the region key all.
        ("ﬁn", "fn", "ﬁn", "fin"),
        ("½", "1", "½", "12"),
        # Text already decomposed: the folds keep the accent as a character of its own, the region key drops it.
        (DECOMPOSED_E_ACUTE, DECOMPOSED_E_ACUTE, DECOMPOSED_E_ACUTE, "e"),
    ],
)
def test_the_folds_differ_only_where_they_say(text, folded, search, region):
    assert (fold(text), fold_keeping_ligatures(text), region_key(text)) == (folded, search, region)


@pytest.mark.parametrize("text", ["Ménages « ÉLOIGNÉS » ﬁn", "ǅ½…Ⅳ™", DECOMPOSED_E_ACUTE * 3, "İstanbul ẞ"])
def test_the_folds_keep_every_offset(text):
    assert len(fold(text)) == len(fold_keeping_ligatures(text)) == len(text)


def test_name_key_ignores_case_accents_spaces_and_punctuation():
    assert name_key("LOGEO  MÉDITERRANÉE") == name_key("Logeo-Méditerranée") == "logeomediterranee"
    assert name_key("Habitat d’Azur") == name_key("Habitat d'Azur") == name_key("HABITAT D AZUR")
    assert name_key("S.A. d'H.L.M. Œuvre") == name_key("SA dHLM oeuvre") == "sadhlmoeuvre"
    assert name_key("Habitat 13") != name_key("Habitat 31")
