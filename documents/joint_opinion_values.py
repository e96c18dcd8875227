"""What the avis conjoint's fields say, read as their writers and OCR really write them.

Each function returns None for what it cannot read; the parser says where, and why.
"""

import html
import re
from datetime import date

from core.models import Rank, Verdict
from core.text import fold

INLINE_TAG = re.compile(r"</?(?:sup|sub|span|font|b|strong|i|em|u|ins)\b[^>]*>", re.I)


def plain(line: str) -> str:
    """A line without HTML tags, Markdown bold and LaTeX-like superscripts, whitespace collapsed."""
    line = INLINE_TAG.sub("", line)  # "4<sup>ème</sup>" is "4ème"
    line = re.sub(r"<[^>]*>", " ", line)
    line = re.sub(r"\^\{([^}]*)\}", r"\1", line).replace("**", "")
    return " ".join(html.unescape(line).split())


# Pictures first, then words; Word's Wingdings smileys come through as the letters J, K and L.
SMILEYS = {
    Verdict.FAVORABLE: {"☺", "☻", "😊", "🙂", "😀", "😃", "😄", ":)", ":-)", "j", "favorable", "avis favorable"},
    Verdict.RESERVED: {"😐", "😑", "😶", ":|", ":-|", "k", "reserve", "avis reserve", "mitige"},
    Verdict.UNFAVORABLE: {"☹", "🙁", "😞", "😟", ":(", ":-(", "l", "defavorable", "avis defavorable"},
}
SMILEY_CHARS = {s: v for v, forms in SMILEYS.items() for s in forms if len(s) == 1 and not s.isascii()}

# fmt: off
# OCR reads the "1" of "P1" as I, l or |; Roman numerals are seen too.
RANKS = {
    "P1": Rank.P1, "PI": Rank.P1, "PL": Rank.P1, "P|": Rank.P1, "P!": Rank.P1,
    "P2": Rank.P2, "PII": Rank.P2, "PZ": Rank.P2,
    "P3": Rank.P3, "PIII": Rank.P3,
}
NOT_RETAINED = {"nonretenu", "nonretenue", "nr", "-", "–", "—", "nonclasse", "non", "sansobjet"}
RETAINED_UNRANKED = {"retenu", "retenue", "oui", "retenu,sansrang", "retenue,sansrang", "retenusansrang"}

MONTHS = {
    "janv": 1, "fevr": 2, "mars": 3, "avr": 4, "mai": 5, "juin": 6,
    "juil": 7, "aout": 8, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
ORDINALS = {
    "premier": 1, "premiere": 1, "deuxieme": 2, "second": 2, "seconde": 2, "troisieme": 3, "quatrieme": 4,
    "cinquieme": 5, "sixieme": 6, "septieme": 7, "huitieme": 8, "neuvieme": 9, "dixieme": 10,
}
# fmt: on
# "4ème appel", "1er appel", "troisième appel"; not the "10" of "10 000 logements".
EDITION = re.compile(rf"\b([0-9]{{1,2}}|{'|'.join(ORDINALS)})\s*(?:e|eme|ere|er|re|°)?\s+appels?\b")


def edition_of(call: str) -> int | None:
    """The call's edition: 4 for "4ème appel à projets…", None when the title does not say."""
    match = EDITION.search(fold(call))
    if match is None:
        return None
    return int(match.group(1)) if match.group(1).isdigit() else ORDINALS[match.group(1)]


def date_of(text: str) -> date | None:
    """ "13 novembre 2018", "1er décembre 2018", "13/11/2018", "2018-11-13"."""
    f = fold(text).strip(" .")
    try:
        if match := re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", f):
            year, month, day = map(int, match.groups())
            return date(year, month, day)
        if match := re.fullmatch(r"([0-9]{1,2})\s*[/.-]\s*([0-9]{1,2})\s*[/.-]\s*([0-9]{4})", f):
            day, month, year = map(int, match.groups())
            return date(year, month, day)
        if match := re.fullmatch(r"(?:[a-z]+\s+){0,2}([0-9]{1,2})\s*(?:er)?\s+([a-z]+)\.?\s+([0-9]{4})", f):
            month = next((n for prefix, n in MONTHS.items() if match.group(2).startswith(prefix)), None)
            if month:
                return date(int(match.group(3)), month, int(match.group(1)))
    except ValueError:
        pass
    return None


def verdict_of(text: str) -> str | None:
    text = fold(text).strip(" .!")
    return next((verdict for verdict, forms in SMILEYS.items() if text in forms), None)


def rank_of(value: str) -> tuple[str | None, bool] | None:
    """(rank, retained) for a rank as written, OCR slips included; None when unreadable."""
    compact = re.sub(r"[\s.]", "", value).upper()
    if compact in RANKS:
        return RANKS[compact].value, True
    key = re.sub(r"[\s.]", "", fold(value))
    if key in NOT_RETAINED:
        return None, False
    if key in RETAINED_UNRANKED:
        return None, True
    return None
