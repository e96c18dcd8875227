"""A page's words, where they stand, put back in reading order as the lines the avis conjoint parser reads.

Born-digital PDFs and OCR both give words with their boxes and nothing more. Words side by side become a line;
a line broken by a wide gap is a row of columns (letterheads side by side, a table's label and value), read one
column after the other, each followed by a blank line; a line the next word did not fit on goes on in the next
one; a wider space between lines is a blank line, as between paragraphs and table rows.
"""

import re
import statistics
from dataclasses import dataclass, field

# A gap wider than this many line heights parts columns; word spaces are a third of one.
COLUMN_GAP = 1.5
# A space between lines over this many line heights is a new paragraph: wrapped lines leave 0.4, a paragraph's
# margin or a table's border and padding more than 0.9 (WeasyPrint at 1.4 line height, Word, 300 dpi scans).
PARAGRAPH_GAP = 0.65
PAGE_NUMBER = re.compile(r"^(?:page\s*)?[0-9]{1,3}\s*(?:/|sur)\s*[0-9]{1,3}$", re.I)


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    confidence: float = 1.0


@dataclass
class Line:
    """A line as read, with one confidence (0 to 1) per word of its text."""

    text: str = ""
    confidences: tuple[float, ...] = ()
    page: int = 0

    @classmethod
    def of(cls, words: list[Word], page: int) -> "Line":
        return cls(" ".join(w.text for w in words), tuple(w.confidence for w in words), page)

    def extend(self, words: list[Word]) -> None:
        self.text = f"{self.text} {' '.join(w.text for w in words)}"
        self.confidences += tuple(w.confidence for w in words)


@dataclass
class _Row:
    words: list[Word] = field(default_factory=list)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    def segments(self, gap: float) -> list[list[Word]]:
        parts = [[self.words[0]]]
        for word in self.words[1:]:
            if word.x0 - parts[-1][-1].x1 > gap:
                parts.append([])
            parts[-1].append(word)
        return parts


def _rows(words: list[Word]) -> list[_Row]:
    """Words whose middle lies within a row's height belong to it: a residual skew of a scan leaves it whole."""
    rows: list[_Row] = []
    for word in sorted(words, key=lambda w: (w.top + w.bottom) / 2):
        middle = (word.top + word.bottom) / 2
        if rows and rows[-1].top <= middle <= rows[-1].bottom:
            rows[-1].words.append(word)
        else:
            rows.append(_Row([word]))
    for row in rows:
        row.words.sort(key=lambda w: w.x0)
    return rows


def _flow(rows: list[list[Word]], height: float, page: int) -> list[Line]:
    """One column's rows as lines: a row goes on the previous line when its first word would not fit there."""
    right = max(words[-1].x1 for words in rows)
    # Lines broken by hand (a letterhead) end short of the widest but one; wrapped text reaches it again and again.
    wraps = sum(words[-1].x1 > right - height for words in rows) > 1
    lines: list[Line] = []
    previous = None
    for words in rows:
        if previous is not None:
            top, bottom = min(w.top for w in words), max(w.bottom for w in previous)
            first_width = words[0].x1 - words[0].x0
            wrapped = previous[-1].x1 + height / 3 + first_width > right - height / 2
            if top - bottom > PARAGRAPH_GAP * height:
                lines.append(Line(page=page))
            elif wraps and wrapped and words[0].text not in "•-–*":
                lines[-1].extend(words)
                previous = words
                continue
        lines.append(Line.of(words, page))
        previous = words
    return lines


def _band(rows: list[_Row], k: int, gap: float, height: float) -> tuple[list[list[list[Word]]], int]:
    """The rows of columns from row k: they go on while the next row is close and each of its parts lies under
    one column. Each column's rows, and the row after the band."""
    segments = rows[k].segments(gap)
    edges = [(s[0].x0, s[-1].x1) for s in segments]
    columns = [[s] for s in segments]
    k += 1
    while k < len(rows) and rows[k].top - rows[k - 1].bottom <= PARAGRAPH_GAP * height:
        following = rows[k].segments(gap)
        under = [[i for i, (x0, x1) in enumerate(edges) if s[0].x0 < x1 and s[-1].x1 > x0] for s in following]
        if any(len(found) != 1 for found in under):
            break
        for s, (i,) in zip(following, under, strict=True):
            columns[i].append(s)
        k += 1
    return columns, k


def page_lines(words: list[Word], page: int) -> list[Line]:
    rows = _rows([w for w in words if w.text.strip()])
    rows = [row for row in rows if not PAGE_NUMBER.match(" ".join(w.text for w in row.words))]
    if not rows:
        return []
    height = statistics.median(row.bottom - row.top for row in rows)
    gap = COLUMN_GAP * height
    lines: list[Line] = []
    flow: list[list[Word]] = []  # the rows of one column since the last row of columns
    k = 0
    while k < len(rows):
        segments = rows[k].segments(gap)
        if len(segments) == 1:
            flow.append(segments[0])
            k += 1
            continue
        lines += _flow(flow, height, page) if flow else []
        flow = []
        columns, k = _band(rows, k, gap, height)
        for column in columns:
            lines += [*_flow(column, height, page), Line(page=page)]
    return lines + (_flow(flow, height, page) if flow else [])
