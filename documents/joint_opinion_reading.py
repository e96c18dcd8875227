"""An avis conjoint file read: text, Word or PDF (born-digital or scanned) to the parsed document, each field with
the confidence of its reading, or refused with the reason in French. The import command, and the import page to
come, read through it; nothing is written here.

A field read by OCR has the mean of its words' Tesseract confidences (0 to 1); a smiley, the margin of its
drawing's reading; every field of a text, Word or born-digital PDF, 1.
"""

from dataclasses import dataclass, field

from documents.joint_opinion_parser import NoProject, ParsedDocument, ParseError, Sources, parse, split_lines
from documents.layout import Line
from documents.pdf_reader import PageRead, UnreadablePdf, is_pdf, pdf_lines
from documents.readers import joint_opinion_text

# Below this, a field read by OCR is worth a second look.
DOUBTFUL = 0.8


class DocumentRefused(ValueError):
    """Why the file cannot be imported, in French; nothing has been written."""


@dataclass
class Reading:
    document: ParsedDocument
    # The text as read, a Line per line of `text` (ParseError's and the sources' line numbers), with its words'
    # confidences; its page in a PDF.
    lines: list[Line]
    ocr_pages: list[int] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def doubtful(self) -> list[tuple[int | None, str, float]]:
        """(project number, or None for the header; field; confidence) of each field under DOUBTFUL."""
        found = [(None, name, value) for name, value in self.document.confidence.items() if value < DOUBTFUL]
        for project in self.document.projects:
            found += [(project.number, name, value) for name, value in project.confidence.items() if value < DOUBTFUL]
        return found


def _confidence(lines: list[Line], sources: Sources) -> dict[str, float]:
    confidences = {}
    for name, spans in sources.items():
        words = [c for number, start, end in spans for c in lines[number - 1].confidences[start:end]]
        confidences[name] = round(sum(words) / len(words), 2) if words else 1.0
    return confidences


def _lines(data: bytes, on_page: PageRead | None) -> tuple[list[Line], list[int]]:
    if is_pdf(data):
        return pdf_lines(data, on_page)
    return [Line(text, (1.0,) * len(text.split())) for text in split_lines(joint_opinion_text(data))], []


def joint_opinion_read(data: bytes, on_page: PageRead | None = None) -> Reading:
    """The file read, or DocumentRefused; a PDF tells on_page(read, pages) after each page."""
    try:
        lines, ocr_pages = _lines(data, on_page)
    except (UnreadablePdf, ParseError) as error:
        raise DocumentRefused(str(error)) from error
    if ocr_pages and not any(line.text for line in lines):
        raise DocumentRefused(
            "ce PDF ne contient que des images, où la reconnaissance de caractères ne lit aucun texte : "
            "numérisez-le à nouveau (300 dpi, noir et blanc) ou envoyez le document d'origine"
        )
    reading = Reading(document=None, lines=lines, ocr_pages=ocr_pages)
    try:
        document = parse(reading.text)
    except NoProject as error:
        if ocr_pages:
            raise DocumentRefused(
                f"la reconnaissance de caractères (pages {', '.join(map(str, ocr_pages))}) ne trouve aucun projet "
                "(« PROJET N°… ») : numérisation trop floue, ou ce n'est pas un avis conjoint"
            ) from error
        raise DocumentRefused(str(error)) from error
    except ParseError as error:
        raise DocumentRefused(str(error)) from error
    document.confidence = _confidence(lines, document.sources)
    for project in document.projects:
        project.confidence = _confidence(lines, project.sources)
    reading.document = document
    return reading
