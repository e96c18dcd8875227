"""Text compared as people read it: without case or accents; text as XML can hold it.

`fold` is the one folding of the project; what a module needs on top of it has a name of its own
(`name_key` here, `core.regions.region_key`, `search.text.fold_keeping_ligatures`).
"""

import re
import unicodedata

# What XML 1.0 cannot hold (its Char production): the C0 controls but tab, line feed and carriage return,
# the surrogates (in a str, always lone ones) and U+FFFE, U+FFFF. One of them in a title made every
# Word document of its committee fail to render.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def fold(text: str) -> str:
    """Lower case without accents, one character for one, so that offsets in the folded text hold in the original.

    Each character becomes the first of its compatibility decomposition, lowered: "É" is "e", and a character
    standing for several keeps the first ("ﬁ" is "f", "½" is "1"). Letters without a decomposition stay as they
    are ("œ", "æ", "ß", "’"); so do the combining accents of text already decomposed ("e" then U+0301)."""
    return "".join(unicodedata.normalize("NFKD", char)[0].lower() for char in text)


LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


def name_key(name: str) -> str:
    """An organisation's name as it is compared, and stored in `Organisation.folded_name`: folded, its letters and
    digits only, so that "LOGEO MÉDITERRANÉE", "Logeo  Méditerranée" and "Logeo-Mediterranee" are one name, and
    "S.A. d'H.L.M. Œuvre" is "sadhlmoeuvre". A name with no letter nor digit (an imported "—") is compared as
    written, lower case, its spaces single."""
    key = "".join(char for char in fold(name).translate(LIGATURES) if char.isalnum())
    return key or " ".join(name.lower().split())


def xml_safe(text: str) -> str:
    """The text without the characters XML 1.0 cannot hold. Applied where text enters (forms, importer) and
    where documents are written, so that a value stored before still renders."""
    return NOT_XML.sub("", text)
