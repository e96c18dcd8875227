"""Reads an avis conjoint: the regional committee's joint opinion, one section per project.

The documents come out of Word through OCR or copy-paste, so the parser expects the layout of the
PACA 2018 document but tolerates what such documents really contain: repeated letterheads, OCR slips
in labels and ranks, HTML fragments in the cells, smileys as pictures or as words.
"""

import codecs
import html
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date

from core.models import Call, Committee, Dossier, Organisation
from core.richtext import html_to_markdown
from core.text import fold, xml_safe
from documents.joint_opinion_values import SMILEY_CHARS, date_of, edition_of, plain, rank_of, verdict_of

# Where a field was read: (line number, first word, end word or None) for each of its lines, the words counted in
# the line without its markup; what the reading service turns into the field's confidence.
Sources = dict[str, list[tuple[int, int, int | None]]]


class ParseError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(f"ligne {line} : {message}")
        self.line = line


class NoProject(ParseError):
    """No "PROJET N°…" heading anywhere: not an avis conjoint, or one cut before its first project."""


@dataclass
class ParsedProject:
    number: int
    title: str
    landlord: str
    verdict: str
    questions: str
    remarks: str
    rank: str | None
    retained: bool
    line: int
    sources: Sources = field(default_factory=dict, repr=False)
    # Each field's confidence, 0 to 1, set from its words' by documents/joint_opinion_reading.py.
    confidence: dict[str, float] = field(default_factory=dict)


@dataclass
class ParsedDocument:
    call: str
    region: str
    dossiers_received: int
    instructed_on: date
    projects: list[ParsedProject]
    letterheads: list[str] = field(default_factory=list)
    edition: int | None = None
    sources: Sources = field(default_factory=dict, repr=False)
    confidence: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict:
        """The shape `import_avis_conjoint --dry-run --json` prints."""
        return {
            "call": self.call,
            "region": self.region,
            "dossiers_received": self.dossiers_received,
            "instructed_on": self.instructed_on.isoformat(),
            "projects": [
                {key: value for key, value in asdict(p).items() if key not in ("line", "sources", "confidence")}
                for p in self.projects
            ],
        }


def _value(line: str, match: re.Match) -> str:
    return line[match.end() :].strip().lstrip(":").strip()


def _words(line: str) -> int:
    return len(plain(line).split())


def _source(number: int, line: str, value: str) -> tuple[int, int, None]:
    """The line's last words, those of the value that follows its label."""
    return number, _words(line) - len(value.split()), None


TITLE = re.compile(r"appels?\s+a\s+projets?")
REGION = re.compile(r"^nom\s+de\s+la\s+region\b")
RECEIVED = re.compile(r"^nombre\s+(?:total\s+)?de\s+dossiers\s+(?:recus|deposes)\b")
INSTRUCTED = re.compile(r"^date\s+de\s+l\W?\s*instruction\b")
# The heading stands alone on its line: "projet n°3 de 2016" inside a cell is not a new project. OCR may read a
# table's border before it as a colon or a quote.
PROJECT = re.compile(r"^[:;,.'‘’|]?\s*projet\s*(?:n\s*[°ºo.]?\s*)?([0-9]+)[\s.:)–—-]*$")
NAME = re.compile(r"^(?:nom|titre|intitule)\s+du\s+projet\b")
LANDLORD = re.compile(r"^(?:bailleurs?\s+soci(?:al|aux)|bailleurs?|organismes?(?:\s+hlm)?)\b")
OPINION = re.compile(r"^avis\s+du\s+(?:cpr|comite)\b")
# "Remarques / avis global" is preferred to a bare "Remarque", which may also open a paragraph of the questions.
REMARKS = (re.compile(r"^remarques?\s*(?:/|et)\s*avis\s+global\b"), re.compile(r"^remarques?\b"))
# The labels at the start of a cell once in Markdown, underlined, bold or neither, the colon in or out.
QUESTIONS_LABEL = re.compile(r"^\s*((?:\^\^|\*{1,2})*)\s*questions?\s+soulev[eé]e?s?\s*:?\s*", re.I)
# OCR may lose the slash of "Remarques / avis global".
REMARKS_LABEL = re.compile(r"^\s*((?:\^\^|\*{1,2})*)\s*remarques?\s*(?:(?:/|et)?\s*avis\s+global\s*)?:?\s*", re.I)
MARKUP = re.compile(r"\^\^|\*{1,2}")
HTML_TAG = re.compile(r"</?[a-z][a-z0-9]*(?:\s[^<>]*)?/?>", re.I)
BULLET = re.compile(r"^[-–•*]\s+")
RANK = re.compile(r"^rang\s+de\s+classement(?:\s+parmi\s+les\s+dossiers\s+retenus)?")

MAX_NUMBER = 9999
MAX_TITLE = Dossier._meta.get_field("title").max_length
MAX_LANDLORD = Organisation._meta.get_field("name").max_length
MAX_CALL = Call._meta.get_field("title").max_length
MAX_REGION = Committee._meta.get_field("name").max_length


def decode(data: bytes) -> str:
    """A text file as text: a NUL says it is none; the other characters XML cannot hold are dropped, as at every
    entry (a Word document cannot hold them)."""
    not_text = ParseError(1, "ce fichier n'est pas un document texte (Word, PDF ou binaire ?)")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Word's "Texte Unicode" export.
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise not_text from None
    elif b"\x00" in data or data.startswith((b"PK\x03\x04", b"%PDF")):
        raise not_text
    elif data.startswith(b"{\\rtf"):
        raise ParseError(1, "ce fichier est au format RTF : enregistrez-le en « texte brut » (.txt)")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise not_text
    return unicodedata.normalize("NFC", xml_safe(text))


def _last_line(lines: list[str]) -> int:
    """The number of the last line holding something, for errors about what comes too late or never."""
    return max((i for i, line in enumerate(lines, 1) if line.strip()), default=1)


def _letterhead_key(line: str) -> str:
    """What two printings of a letterhead line share despite OCR: letters and digits, no case, no accents."""
    return re.sub(r"[\W_]+", "", fold(plain(line)))


def split_lines(text: str) -> list[str]:
    """The document's lines, whatever its line ends (CRLF, CR or LF): the parser's line numbers are these."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse(text: str) -> ParsedDocument:
    text = unicodedata.normalize("NFC", text)
    lines = [line.rstrip() for line in split_lines(text)]
    starts = [i for i, line in enumerate(lines) if PROJECT.match(fold(plain(line)))]
    if not starts:
        if not any(TITLE.search(fold(plain(line))) for line in lines):
            raise NoProject(
                1, "ni intitulé d'appel à projets ni « PROJET N°… » : ce fichier n'est pas un avis conjoint"
            )
        raise NoProject(_last_line(lines), "aucun projet (« PROJET N°… ») après l'en-tête : document tronqué ?")
    header = _parse_header(lines[: starts[0]])

    letterhead = {_letterhead_key(line) for block in header["letterheads"] for line in block.split("\n")} - {""}
    projects = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        # A letterhead repeated at a page break inside a project is no part of its text.
        body = [(start + 1, lines[start])] + [
            (i + 1, line)
            for i, line in enumerate(lines[start + 1 : end], start + 1)
            if _letterhead_key(line) not in letterhead
        ]
        projects.append(_parse_project(body))

    seen = {}
    for p in projects:
        if p.number in seen:
            raise ParseError(p.line, f"le projet N°{p.number} apparaît deux fois (déjà ligne {seen[p.number]})")
        seen[p.number] = p.line
    if len(projects) < header["dossiers_received"]:
        last = _last_line(lines)
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
        raise ParseError(1, "pas d'intitulé d'appel à projets dans l'en-tête : ce fichier n'est pas un avis conjoint")

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
            raise ParseError(_last_line(lines), f"l'en-tête ne donne pas « {label} »")

    for line, value, what, longest in (
        (title_at + 1, call, "l'intitulé de l'appel", MAX_CALL),
        (*found["region"], "le nom de la région", MAX_REGION),
    ):
        if len(value) > longest:
            raise ParseError(line, f"{what} dépasse {longest} caractères : étiquette manquante après lui ?")

    line, received = found["received"]
    count = re.fullmatch(r"([0-9]{1,4})(?:\s+dossiers?)?\.?", fold(received))
    if count is None:
        raise ParseError(line, f"nombre de dossiers reçus illisible : « {received} »")

    line, written = found["instructed"]
    instructed_on = date_of(written)
    if instructed_on is None:
        raise ParseError(
            line, f"date d'instruction illisible : « {written} » (attendu par exemple « 13 novembre 2018 »)"
        )

    title_lines = range(title_at + 1, title_at + 1 + len(title_parts))
    sources = {"call": [(n, 0, None) for n in title_lines]} | {
        field: [_source(found[key][0], lines[found[key][0] - 1], found[key][1])]
        for field, key in (("region", "region"), ("dossiers_received", "received"), ("instructed_on", "instructed"))
    }
    return {
        "sources": sources,
        "call": call,
        "region": found["region"][1],
        "dossiers_received": int(count.group(1)),
        "instructed_on": instructed_on,
        "letterheads": _letterhead_blocks(lines[:title_at]),
        "edition": edition_of(call),
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


def _find(body: list[tuple[int, str]], rx: re.Pattern, after: int = 0) -> int | None:
    return next((k for k in range(after, len(body)) if rx.match(fold(plain(body[k][1])))), None)


def _parse_project(body: list[tuple[int, str]]) -> ParsedProject:
    first_line, head = body[0]
    number = int(PROJECT.match(fold(plain(head))).group(1))
    if not 1 <= number <= MAX_NUMBER:
        raise ParseError(first_line, f"numéro de projet impossible : {number}")
    last_line = max((n for n, line in body if line.strip()), default=first_line)
    labels = [
        ("Nom du projet", (NAME,)),
        ("Bailleur social", (LANDLORD,)),
        ("AVIS DU CPR", (OPINION,)),
        ("Remarques / avis global", REMARKS),
        ("Rang de classement parmi les dossiers retenus", (RANK,)),
    ]
    at, after = [], 1
    for label, patterns in labels:
        k = next((k for rx in patterns if (k := _find(body, rx, after)) is not None), None)
        if k is None:
            raise ParseError(
                last_line, f"le projet N°{number} s'arrête avant « {label} » : document tronqué ou incomplet"
            )
        at.append(k)
        after = k + 1
    name_at, landlord_at, opinion_at, remarks_at, rank_at = at
    lost = _find(body, NAME, rank_at + 1)
    if lost is not None:
        # Otherwise the next project would vanish into this one, its heading misread ("PR0JET N°4").
        raise ParseError(
            body[lost][0], f"« Nom du projet » sans ligne « PROJET N°… » avant lui, après le projet N°{number}"
        )

    def field_text(k: int, rx: re.Pattern, until: int) -> str:
        first = plain(body[k][1])
        parts = [_value(first, rx.match(fold(first)))] + [plain(line) for _, line in body[k + 1 : until]]
        return " ".join(p for p in parts if p)

    title = " ".join(_unquote(field_text(name_at, NAME, landlord_at)).split())
    landlord = field_text(landlord_at, LANDLORD, opinion_at)
    for at, value, what, longest in (
        (name_at, title, "nom", MAX_TITLE),
        (landlord_at, landlord, "bailleur social", MAX_LANDLORD),
    ):
        if not value:
            raise ParseError(body[at][0], f"le projet N°{number} n'a pas de {what}")
        if len(value) > longest:
            raise ParseError(
                body[at][0],
                f"le {what} du projet N°{number} dépasse {longest} caractères : étiquette manquante après lui ?",
            )

    verdict, questions, opinion_sources = _verdict_and_questions(number, body, opinion_at, remarks_at)
    remarks = _drop_label(_cell_markdown([line for _, line in body[remarks_at:rank_at]]), REMARKS_LABEL)
    rank, retained = _rank(number, body[rank_at])

    def lines_of(k: int, rx: re.Pattern, until: int) -> list[tuple[int, int, None]]:
        first_number, first = body[k]
        match = rx.match(plain(first)) or rx.match(fold(plain(first)))
        head = [_source(first_number, first, _value(plain(first), match))] if match else []
        return head + [(n, 0, None) for n, line in body[k + 1 : until] if plain(line)]

    rank_number, rank_line = body[rank_at]
    sources = {
        "number": [(first_line, 0, None)],
        "title": lines_of(name_at, NAME, landlord_at),
        "landlord": lines_of(landlord_at, LANDLORD, opinion_at),
        **opinion_sources,
        "remarks": lines_of(remarks_at, REMARKS_LABEL, rank_at),
        "rank": [_source(rank_number, rank_line, _value(plain(rank_line), RANK.match(fold(plain(rank_line)))))],
    }
    return ParsedProject(
        number=number,
        title=title,
        landlord=landlord,
        verdict=verdict,
        questions=questions,
        remarks=remarks,
        rank=rank,
        retained=retained,
        line=first_line,
        sources=sources,
    )


def _unquote(title: str) -> str:
    """The title without the guillemets around it (even one of them lost), keeping quotes inside it."""
    title = title.strip()
    title = title[1:] if title.startswith(("«", "“")) else title
    title = title[:-1] if title.endswith(("»", "”")) else title
    title = title.strip()
    if len(title) > 1 and title[0] == title[-1] == '"' and title.count('"') == 2:
        title = title[1:-1]
    return title


def _verdict_and_questions(
    number: int, body: list[tuple[int, str]], opinion_at: int, remarks_at: int
) -> tuple[str, str, Sources]:
    line_number, opinion_line = body[opinion_at]
    rest = _value(plain(opinion_line), OPINION.match(fold(plain(opinion_line))))
    cell = [(line_number, rest)] if rest else []
    cell += body[opinion_at + 1 : remarks_at]
    while cell and not plain(cell[0][1]):
        cell.pop(0)
    if not cell:
        raise ParseError(line_number, f"le projet N°{number} n'a pas d'avis (☺, 😐 ou ☹) sous « AVIS DU CPR »")

    first_number, first_line = cell[0]
    lines = [line for _, line in cell]
    first = plain(first_line).replace("\ufe0f", "")
    # Words are counted in the whole line, the label's included when the smiley follows it.
    end = _words(opinion_line) if rest and first_number == line_number else _words(first_line)
    verdict = verdict_of(first)
    later = [(n, 0, None) for n, line in cell[1:] if plain(line)]
    if verdict:
        lines = lines[1:]
        sources = {"verdict": [(first_number, end - len(first.split()), None)], "questions": later}
    elif first[:1] in SMILEY_CHARS and first[0] in lines[0]:
        # The smiley shares its line with the start of the questions.
        verdict = SMILEY_CHARS[first[0]]
        lines[0] = re.sub(re.escape(first[0]) + "\ufe0f?", "", lines[0], count=1)
        start = end - len(first.split())
        questions = [(first_number, start + 1, None), *later]
        sources = {"verdict": [(first_number, start, start + 1)], "questions": questions}
    else:
        raise ParseError(
            first_number,
            f"avis illisible pour le projet N°{number} : « {first[:40]} » (attendu ☺, 😐 ou ☹ sous « AVIS DU CPR »)",
        )
    return verdict, _drop_label(_cell_markdown(lines), QUESTIONS_LABEL), sources


def _drop_label(markdown: str, label: re.Pattern) -> str:
    """The cell's text without its label, and without the label's underline or bold, but not the text's."""
    match = label.match(markdown)
    if match is None:
        return markdown.strip()
    rest, opened = markdown[match.end() :], MARKUP.findall(match.group(1))
    while opened and rest.lstrip(" :").startswith(opened[-1]):
        rest = rest.lstrip(" :")[len(opened.pop()) :]
    # What is still open goes on over the text: "<u>Questions soulevées : tout le texte</u>".
    return "".join(opened) + rest.lstrip().lstrip(":").strip()


def _cell_markdown(lines: list[str]) -> str:
    text = "\n".join(lines)
    if not HTML_TAG.search(text):
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


def _rank(number: int, numbered_line: tuple[int, str]) -> tuple[str | None, bool]:
    line_number, line = numbered_line
    text = plain(line)
    value = _value(text, RANK.match(fold(text)))
    if not value:
        # "Non retenu" is written out: an empty rank is more likely a cut in the document.
        raise ParseError(
            line_number,
            f"le projet N°{number} n'a pas de rang de classement (P1, P2, P3 ou Non retenu) : document tronqué ?",
        )
    rank = rank_of(value)
    if rank is not None:
        return rank
    raise ParseError(
        line_number,
        f"rang de classement illisible pour le projet N°{number} : « {value} » (attendu P1, P2, P3 ou Non retenu)",
    )
