"""A PDF avis conjoint as lines of text: its words where they stand (born-digital pages), or as Tesseract reads
them (pages that are pictures only); drawn smileys read from their drawing.

pdfplumber reads the words and their boxes; pypdfium2 (which it installs) draws a page for OCR or a smiley.
The comparison that chose them is in docs/performance.md.
"""

import io
from collections.abc import Callable

import pdfplumber
import pypdfium2
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from documents import ocr
from documents.layout import Line, Word, page_lines
from documents.smileys import drawn_smiley, is_face

# A committee's avis is a page per project, a few dozen at most; 60 pages read by OCR take about two minutes.
MAX_PAGES = 60
# Told, after each page, how many pages are read out of how many.
PageRead = Callable[[int, int], None]


class UnreadablePdf(ValueError):
    """Why the PDF cannot be read, in French."""


def is_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def _open(data: bytes) -> pdfplumber.PDF:
    # Every PDF ends with %%EOF (followed at most by a few bytes): a file cut short does not.
    if b"%%EOF" not in data[-1024:]:
        raise UnreadablePdf("ce PDF est tronqué (sa fin manque) : téléchargez-le ou copiez-le à nouveau")
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = len(pdf.pages)
    except (PdfminerException, PDFSyntaxError, PDFPasswordIncorrect) as error:
        cause = error.args[0] if isinstance(error, PdfminerException) and error.args else error
        if isinstance(cause, PDFPasswordIncorrect):
            raise UnreadablePdf(
                "ce PDF est protégé par un mot de passe : enregistrez-en une copie sans protection"
            ) from error
        raise UnreadablePdf("ce PDF est illisible ou endommagé") from error
    if pages > MAX_PAGES:
        pdf.close()
        raise UnreadablePdf(
            f"ce PDF a {pages} pages, au-delà des {MAX_PAGES} qu'un avis conjoint peut compter : "
            "envoyez l'avis seul (une page par projet)"
        )
    return pdf


def _drawn_smileys(page, drawing: pypdfium2.PdfPage, line_height: float) -> list[Word]:
    """Smileys drawn as shapes: a round outline holding at least two others (the eyes)."""
    curves = page.curves
    found = []
    for face in curves:
        width, height = face["x1"] - face["x0"], face["bottom"] - face["top"]
        inside = [c for c in curves if c is not face and face["x0"] < c["x0"] and c["x1"] < face["x1"]]
        inside = [c for c in inside if face["top"] < c["top"] and c["bottom"] < face["bottom"]]
        if not (is_face(width, height, line_height) and len(inside) >= 2):
            continue
        crop = (face["x0"], page.height - face["bottom"], page.width - face["x1"], face["top"])
        smiley = drawn_smiley(drawing.render(scale=ocr.DPI / 72, crop=crop).to_pil())
        if smiley:
            found.append(Word(smiley[0], face["x0"], face["x1"], face["top"], face["bottom"]))
    return found


def _born_digital_words(page, drawing: pypdfium2.PdfPage) -> list[Word]:
    # Text off the page (a screen reader's caption, moved out of sight) is not part of what it shows.
    words = [
        Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"])
        for w in page.extract_words()
        if w["x0"] >= 0 and w["x1"] <= page.width and w["top"] >= 0 and w["bottom"] <= page.height
    ]
    if not words:
        return []
    line_height = min(w.bottom - w.top for w in words)
    return words + _drawn_smileys(page, drawing, line_height)


def pdf_lines(data: bytes, on_page: PageRead | None = None) -> tuple[list[Line], list[int]]:
    """The document's lines, and the numbers of the pages read by OCR; on_page(read, pages) is told after each page."""
    with _open(data) as pdf:
        drawings = pypdfium2.PdfDocument(data)
        lines, scanned = [], []
        for number, page in enumerate(pdf.pages, 1):
            drawing = drawings[number - 1]
            words = _born_digital_words(page, drawing)
            if not words:
                scanned.append(number)
                words = ocr.page_words(drawing.render(scale=ocr.DPI / 72).to_pil())
            lines += [*page_lines(words, number), Line(page=number)]
            if on_page is not None:
                on_page(number, len(pdf.pages))
        drawings.close()
    return lines, scanned
