"""Text compared as people read it: without case or accents."""

import unicodedata


def fold(text: str) -> str:
    """Lower case without accents, one character for one, so that offsets in the folded text hold in the original."""
    return "".join(unicodedata.normalize("NFKD", char)[0].lower() for char in text)


def name_key(name: str) -> str:
    """An organisation's name as it is compared: folded, its words separated by single spaces, so that
    "LOGEO MÉDITERRANÉE" and "Logeo  Méditerranée" are one name."""
    return " ".join(fold(name).replace("’", "'").split())
