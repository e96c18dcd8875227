"""French-aware matching shared by both databases: folding, query terms, highlighted excerpts.

Text is indexed and queried without accents, and each query word becomes a prefix: its Snowball
stem cut back to the part it shares with the word ("sociaux" → "socia"), and -isme/-iste/-istique
cut back to their common base, so that "autisme" also finds "autistes" and "troubles autistiques".
"""

import re
import unicodedata
from functools import lru_cache

import snowballstemmer
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.text import fold

WORD = re.compile(r"\w+")

# Words too common to narrow a search; the databases' own French stop lists drop them from the text.
STOP_WORDS = frozenset(
    {
        "aux",
        "avec",
        "ces",
        "dans",
        "des",
        "du",
        "elle",
        "est",
        "et",
        "les",
        "leur",
        "leurs",
        "mais",
        "par",
        "pas",
        "pour",
        "que",
        "qui",
        "sa",
        "ses",
        "son",
        "sont",
        "sur",
        "une",
        "un",
        "au",
        "la",
        "le",
        "de",
        "en",
        "il",
        "ils",
        "ou",
        "se",
        "ne",
        "ce",
        "cette",
    }
)
# Derivations sharing one base: autisme, autiste, autistique → autis.
_DERIVATION = re.compile(r"(is)(me|te|t|tiqu|m)$")
SHORTEST_PREFIX = 3
MAX_TERMS = 8
EXCERPT_RADIUS = 90


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    # A letter and its accents folds as core.text.fold folds it; a character standing for several
    # ("ﬁ", "½", "…") or decomposing into accents alone stays as it is.
    single = not unicodedata.combining(decomposed[0]) and all(unicodedata.combining(c) for c in decomposed[1:])
    return fold(char) if single else char


def fold_keeping_ligatures(text: str) -> str:
    """core.text.fold, except that a character standing for several is kept as it is, not cut to its first:
    "ﬁn" stays "ﬁn" where fold gives "fn" (likewise "½", "…", "ĳ"). One character for one, so that excerpts cut
    the original text at the folded text's offsets.

    The search entries are stored folded so and queries are folded the same way: changing it means
    rebuilding the index (manage.py rebuild_search_index)."""
    return "".join(_fold_char(char) for char in text)


_stemmer = snowballstemmer.stemmer("french")


def prefix_of(word: str) -> str:
    stem = _stemmer.stemWord(word)
    common = 0
    while common < min(len(stem), len(word)) and stem[common] == word[common]:
        common += 1
    prefix = _DERIVATION.sub(r"\1", word[:common])
    return prefix if len(prefix) >= SHORTEST_PREFIX else word


def terms(query: str) -> list[str]:
    """The prefixes a query looks for, all of which a result must hold (at most a few)."""
    prefixes = []
    for word in WORD.findall(fold_keeping_ligatures(query)):
        if word in STOP_WORDS or len(word) < 2:
            continue
        prefix = prefix_of(word)
        if prefix not in prefixes:
            prefixes.append(prefix)
    return prefixes[:MAX_TERMS]


def _pattern(prefixes: list[str]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in prefixes) + r")\w*")


def excerpt(fields: list[list[str]], prefixes: list[str]) -> tuple[str, SafeString]:
    """The label of the field that matches best and a passage of it with the matches marked."""
    pattern = _pattern(prefixes)
    best = None
    for label, original in fields:
        matches = list(pattern.finditer(fold_keeping_ligatures(original)))
        if matches and (best is None or len(matches) > len(best[2])):
            best = (label, original, matches)
    if best is None:
        return "", mark_safe("")
    label, original, matches = best
    start = max(0, matches[0].start() - EXCERPT_RADIUS)
    end = min(len(original), matches[0].end() + 2 * EXCERPT_RADIUS)
    # Cut at word boundaries so the passage does not start or end in a word.
    if start:
        start = original.find(" ", start) + 1 or start
    if end < len(original):
        end = max(original.rfind(" ", matches[0].end(), end), matches[0].end())
    pieces, cursor = [], start
    for match in matches:
        if match.start() < start or match.end() > end:
            continue
        pieces.append(escape(original[cursor : match.start()]))
        pieces.append(f"<mark>{escape(original[match.start() : match.end()])}</mark>")
        cursor = match.end()
    pieces.append(escape(original[cursor:end]))
    return label, mark_safe(("… " if start else "") + "".join(pieces) + (" …" if end < len(original) else ""))
