"""Reads an avis conjoint: the regional committee's joint opinion, one section per project.

The documents come out of Word through OCR or copy-paste, so the parser expects the layout of the
PACA 2018 document but tolerates what such documents really contain: repeated letterheads, OCR slips
in labels and ranks, HTML fragments in the cells, smileys as pictures or as words.
"""

import html
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date

from core.models import Priority, Verdict
from core.richtext import html_to_markdown


class ParseError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(f"ligne {line} : {message}")
        self.line = line


@dataclass
class ParsedProject:
    number: int
    title: str
    landlord: str
    verdict: str
    questions: str
    remarks: str
    priority: str | None
    retained: bool
    line: int


@dataclass
class ParsedDocument:
    call: str
    region: str
    dossiers_received: int
    instructed_on: date
    projects: list[ParsedProject]
    letterheads: list[str] = field(default_factory=list)
    edition: int | None = None

    def as_json(self) -> dict:
        """The shape `import_avis_conjoint --dry-run --json` prints."""
        return {
            "call": self.call,
            "region": self.region,
            "dossiers_received": self.dossiers_received,
            "instructed_on": self.instructed_on.isoformat(),
            "projects": [
                {key: value for key, value in asdict(p).items() if key not in {"retained", "line"}}
                for p in self.projects
            ],
        }


def fold(text: str) -> str:
    """Lower case without accents, one character for one, so that a match's offsets hold in the original."""
    return "".join(unicodedata.normalize("NFKD", c)[0].lower() for c in text)


def plain(line: str) -> str:
    """A line without HTML tags, Markdown bold and LaTeX-like superscripts, whitespace collapsed."""
    line = re.sub(r"<[^>]*>", " ", line)
    line = re.sub(r"\^\{([^}]*)\}", r"\1", line).replace("**", "")
    return " ".join(html.unescape(line).split())


def _value(line: str, match: re.Match) -> str:
    return line[match.end() :].strip().lstrip(":").strip()


TITLE = re.compile(r"appels?\s+a\s+projets?")
REGION = re.compile(r"^nom\s+de\s+la\s+region\b")
RECEIVED = re.compile(r"^nombre\s+(?:total\s+)?de\s+dossiers\s+(?:recus|deposes)\b")
INSTRUCTED = re.compile(r"^date\s+de\s+l\W?\s*instruction\b")
PROJECT = re.compile(r"^projet\s*n\s*[°ºo.]?\s*(\d+)\b")
NAME = re.compile(r"^(?:nom|titre|intitule)\s+du\s+projet\b")
LANDLORD = re.compile(r"^(?:bailleurs?\s+soci(?:al|aux)|bailleurs?|organismes?(?:\s+hlm)?)\b")
OPINION = re.compile(r"^avis\s+du\s+(?:cpr|comite)\b")
QUESTIONS_LABEL = re.compile(r"^\s*(?:\^\^)?\s*questions?\s+soulev[eé]e?s?\s*:?\s*(?:\^\^)?\s*:?\s*", re.I)
REMARKS = re.compile(r"^remarques?\b")
REMARKS_LABEL = re.compile(
    r"^\s*(?:\^\^)?\s*remarques?\s*(?:(?:/|et)\s*avis\s+global)?\s*:?\s*(?:\^\^)?\s*:?\s*", re.I
)
BULLET = re.compile(r"^[-–•*]\s+")
RANK = re.compile(r"^rang\s+de\s+classement(?:\s+parmi\s+les\s+dossiers\s+retenus)?")

# Pictures first, then words; Word's Wingdings smileys come through as the letters J, K and L.
SMILEYS = {
    Verdict.FAVORABLE: {"☺", "☻", "😊", "🙂", "😀", "😃", "😄", ":)", ":-)", "j", "favorable", "avis favorable"},
    Verdict.RESERVED: {"😐", "😑", "😶", ":|", ":-|", "k", "reserve", "avis reserve", "mitige"},
    Verdict.UNFAVORABLE: {"☹", "🙁", "😞", "😟", ":(", ":-(", "l", "defavorable", "avis defavorable"},
}
SMILEY_CHARS = {s: v for v, forms in SMILEYS.items() for s in forms if len(s) == 1 and not s.isascii()}

# OCR reads the "1" of "P1" as I, l or |; Roman numerals are seen too.
RANKS = {
    "P1": Priority.P1, "PI": Priority.P1, "PL": Priority.P1, "P|": Priority.P1, "P!": Priority.P1,
    "P2": Priority.P2, "PII": Priority.P2, "PZ": Priority.P2,
    "P3": Priority.P3, "PIII": Priority.P3,
}
NOT_RETAINED = {"nonretenu", "nonretenue", "nr", "-", "–", "—", "nonclasse", "non", "sansobjet", ""}
RETAINED_UNRANKED = {"retenu", "retenue", "oui"}

MONTHS = {
    "janv": 1, "fevr": 2, "mars": 3, "avr": 4, "mai": 5, "juin": 6,
    "juil": 7, "aout": 8, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
ORDINALS = {
    "premier": 1, "premiere": 1, "deuxieme": 2, "second": 2, "seconde": 2, "troisieme": 3, "quatrieme": 4,
    "cinquieme": 5, "sixieme": 6, "septieme": 7, "huitieme": 8, "neuvieme": 9, "dixieme": 10,
}


def decode(data: bytes) -> str:
    if b"\x00" in data or data.startswith(b"PK\x03\x04") or data.startswith(b"%PDF"):
        raise ParseError(1, "ce fichier n'est pas un document texte (Word, PDF ou binaire ?)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return unicodedata.normalize("NFC", text)


def parse(text: str) -> ParsedDocument:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    starts = [i for i, line in enumerate(lines) if PROJECT.match(fold(plain(line)))]
    header_end = starts[0] if starts else len(lines)
    header = _parse_header(lines[:header_end])
    if not starts:
        raise ParseError(len(lines), "aucun projet (« PROJET N°… ») : ce fichier n'est pas un avis conjoint")

    letterhead_lines = {plain(line) for block in header["letterheads"] for line in block.split("\n")}
    projects = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        body = [(i + 1, line) for i, line in enumerate(lines[start:end], start) if plain(line) not in letterhead_lines]
        projects.append(_parse_project(body))

    numbers = [p.number for p in projects]
    for p in projects:
        if numbers.count(p.number) > 1:
            raise ParseError(p.line, f"le projet N°{p.number} apparaît deux fois")
    if len(projects) < header["dossiers_received"]:
        last = max(i for i, line in enumerate(lines, 1) if line.strip())
        raise ParseError(
            last,
            f"l'en-tête annonce {header['dossiers_received']} dossiers reçus mais le document n'en contient que "
            f"{len(projects)} : document tronqué ?",
        )
    return ParsedDocument(projects=projects, **header)


def _parse_header(lines: list[str]) -> dict:
    cleaned = [plain(line) for line in lines]
    folded = [fold(line) for line in cleaned]
    title_at = next((i for i, f in enumerate(folded) if TITLE.search(f)), None)
    if title_at is None:
        raise ParseError(
            len(lines) or 1, "pas d'intitulé d'appel à projets dans l'en-tête : ce fichier n'est pas un avis conjoint"
        )

    title_parts = []
    for line, f in zip(cleaned[title_at:], folded[title_at:], strict=True):
        if not line or any(rx.match(f) for rx in (REGION, RECEIVED, INSTRUCTED)):
            break
        title_parts.append(line)
    title = " ".join(title_parts)
    cut = fold(title).find("avis conjoint")
    call = (title[:cut] if cut > 0 else title).strip(" -–—:")

    found = {}
    for number, (line, f) in enumerate(zip(cleaned, folded, strict=True), 1):
        for key, rx in (("region", REGION), ("received", RECEIVED), ("instructed", INSTRUCTED)):
            match = rx.match(f)
            if match and key not in found:
                found[key] = (number, _value(line, match))
    labels = {
        "region": "Nom de la Région",
        "received": "Nombre total de dossiers reçus",
        "instructed": "Date de l'instruction",
    }
    for key, label in labels.items():
        if key not in found or not found[key][1]:
            raise ParseError(len(lines), f"l'en-tête ne donne pas « {label} »")

    line, received = found["received"]
    if not re.fullmatch(r"\d+", received):
        raise ParseError(line, f"nombre de dossiers reçus illisible : « {received} »")

    return {
        "call": call,
        "region": found["region"][1],
        "dossiers_received": int(received),
        "instructed_on": parse_date(*found["instructed"]),
        "letterheads": _letterhead_blocks(lines[:title_at]),
        "edition": _edition(call),
    }


def _letterhead_blocks(lines: list[str]) -> list[str]:
    blocks, current = [], []
    for line in [*map(plain, lines), ""]:
        if line:
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    return blocks


def _edition(call: str) -> int | None:
    f = fold(call)
    match = re.match(r"\s*(\d+)\s*(?:e|eme|ere|er|re|°)?\b", f)
    if match:
        return int(match.group(1))
    word = re.match(r"\s*([a-z]+)", f)
    return ORDINALS.get(word.group(1)) if word else None


def parse_date(line: int, text: str) -> date:
    f = fold(text).strip(" .")
    try:
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", f):
            year, month, day = map(int, match.groups())
            return date(year, month, day)
        if match := re.fullmatch(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})", f):
            day, month, year = map(int, match.groups())
            return date(year, month, day)
        if match := re.fullmatch(r"(?:[a-z]+\s+)?(\d{1,2})\s*(?:er)?\s+([a-z]+)\.?\s+(\d{4})", f):
            month = next((n for prefix, n in MONTHS.items() if match.group(2).startswith(prefix)), None)
            if month:
                return date(int(match.group(3)), month, int(match.group(1)))
    except ValueError:
        pass
    raise ParseError(line, f"date d'instruction illisible : « {text} » (attendu par exemple « 13 novembre 2018 »)")


def _find(body: list[tuple[int, str]], rx: re.Pattern, after: int = 0) -> int | None:
    return next((k for k in range(after, len(body)) if rx.match(fold(plain(body[k][1])))), None)


def _parse_project(body: list[tuple[int, str]]) -> ParsedProject:
    first_line, head = body[0]
    number = int(PROJECT.match(fold(plain(head))).group(1))
    last_line = max((n for n, line in body if line.strip()), default=first_line)
    labels = [("Nom du projet", NAME), ("Bailleur social", LANDLORD), ("AVIS DU CPR", OPINION),
              ("Remarques / avis global", REMARKS), ("Rang de classement parmi les dossiers retenus", RANK)]
    at, after = [], 1
    for label, rx in labels:
        k = _find(body, rx, after)
        if k is None:
            raise ParseError(
                last_line, f"le projet N°{number} s'arrête avant « {label} » : document tronqué ou incomplet"
            )
        at.append(k)
        after = k + 1
    name_at, landlord_at, opinion_at, remarks_at, rank_at = at

    def field_text(k: int, rx: re.Pattern, until: int) -> str:
        first = plain(body[k][1])
        parts = [_value(first, rx.match(fold(first)))] + [plain(line) for _, line in body[k + 1 : until]]
        return " ".join(p for p in parts if p)

    title = field_text(name_at, NAME, landlord_at).strip(" «»\"“”'")
    landlord = field_text(landlord_at, LANDLORD, opinion_at)
    if not title:
        raise ParseError(body[name_at][0], f"le projet N°{number} n'a pas de nom")
    if not landlord:
        raise ParseError(body[landlord_at][0], f"le projet N°{number} n'a pas de bailleur social")

    verdict, questions = _verdict_and_questions(number, body, opinion_at, remarks_at)
    remarks = REMARKS_LABEL.sub("", _cell_markdown([line for _, line in body[remarks_at:rank_at]]), count=1)
    priority, retained = _rank(body[rank_at])
    return ParsedProject(
        number=number,
        title=" ".join(title.split()),
        landlord=landlord,
        verdict=verdict,
        questions=questions,
        remarks=remarks.strip(),
        priority=priority,
        retained=retained,
        line=first_line,
    )


def _verdict_and_questions(
    number: int, body: list[tuple[int, str]], opinion_at: int, remarks_at: int
) -> tuple[str, str]:
    line_number, opinion_line = body[opinion_at]
    rest = _value(plain(opinion_line), OPINION.match(fold(plain(opinion_line))))
    cell = [rest] if rest else []
    cell += [line for _, line in body[opinion_at + 1 : remarks_at]]
    while cell and not plain(cell[0]):
        cell.pop(0)
    if not cell:
        raise ParseError(line_number, f"le projet N°{number} n'a pas d'avis (☺, 😐 ou ☹) sous « AVIS DU CPR »")

    first = plain(cell[0]).replace("\ufe0f", "")
    verdict = _verdict(first)
    if verdict:
        cell = cell[1:]
    elif first[:1] in SMILEY_CHARS:
        # The smiley shares its line with the start of the questions.
        verdict = SMILEY_CHARS[first[0]]
        cell[0] = cell[0].replace(first[0], "", 1)
    else:
        raise ParseError(line_number, f"avis illisible pour le projet N°{number} : « {first[:40]} »")
    questions = QUESTIONS_LABEL.sub("", _cell_markdown(cell), count=1)
    return verdict, questions.strip()


def _verdict(text: str) -> str | None:
    text = fold(text).strip(" .!")
    return next((verdict for verdict, forms in SMILEYS.items() if text in forms), None)


def _cell_markdown(lines: list[str]) -> str:
    text = "\n".join(lines)
    if not re.search(r"<(?:p|u|ul|ol|li|br|div|em|strong|i|b)\b", text, re.I):
        text = _plain_to_html(text)
    return html_to_markdown(text)


def _plain_to_html(text: str) -> str:
    """Paragraphs separated by blank lines; lines starting with "- " or "• " make list items."""
    out = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        runs: list[tuple[bool, list[str]]] = []
        for line in filter(None, (line.strip() for line in paragraph.split("\n"))):
            item = BULLET.match(line)
            content = html.escape(line[item.end() :] if item else line)
            if runs and runs[-1][0] == bool(item):
                runs[-1][1].append(content)
            else:
                runs.append((bool(item), [content]))
        for is_list, contents in runs:
            if is_list:
                out.append("<ul>" + "".join(f"<li>{c}</li>" for c in contents) + "</ul>")
            else:
                out.append(f"<p>{' '.join(contents)}</p>")
    return "".join(out)


def _rank(numbered_line: tuple[int, str]) -> tuple[str | None, bool]:
    line_number, line = numbered_line
    text = plain(line)
    value = _value(text, RANK.match(fold(text)))
    compact = re.sub(r"[\s.]", "", value).upper()
    if compact in RANKS:
        return RANKS[compact].value, True
    key = re.sub(r"[\s.]", "", fold(value))
    if key in NOT_RETAINED:
        return None, False
    if key in RETAINED_UNRANKED:
        return None, True
    raise ParseError(line_number, f"rang de classement illisible : « {value} » (attendu P1, P2, P3 ou Non retenu)")
