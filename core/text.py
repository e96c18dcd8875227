"""Text compared as people read it: without case or accents.

`fold` is the one folding of the project; what a module needs on top of it has a name of its own
(`name_key` here, `core.regions.region_key`, `search.text.fold_keeping_ligatures`).
"""

import unicodedata


def fold(text: str) -> str:
    """Lower case without accents, one character for one, so that offsets in the folded text hold in the original.

    Each character becomes the first of its compatibility decomposition, lowered: "É" is "e", and a character
    standing for several keeps the first ("ﬁ" is "f", "½" is "1"). Letters without a decomposition stay as they
    are ("œ", "æ", "ß", "’"); so do the combining accents of text already decomposed ("e" then U+0301)."""
    return "".join(unicodedata.normalize("NFKD", char)[0].lower() for char in text)


def name_key(name: str) -> str:
    """An organisation's name as it is compared: folded, its words separated by single spaces, so that
    "LOGEO MÉDITERRANÉE" and "Logeo  Méditerranée" are one name."""
    return " ".join(fold(name).replace("’", "'").split())
