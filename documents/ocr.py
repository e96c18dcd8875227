"""A scanned page read by Tesseract (Debian's tesseract-ocr and tesseract-ocr-fra): its words, where they stand,
each with Tesseract's confidence, the page straightened first and its smileys read from their drawing."""

import csv
import io
import os
import statistics
import subprocess

from PIL import Image, ImageFilter

from documents.layout import Word
from documents.smileys import drawn_smiley, is_face

DPI = 300
# A scan or a photocopy is rarely more than this many degrees askew.
MAX_SKEW = 5.0
SKEW_STEP = 0.25
# One thread: on a shared machine Tesseract's OpenMP threads wait on each other (measured on 2 cores: 1.6 s a page
# with one thread, 3.9 s with the default).
ENVIRONMENT = {**os.environ, "OMP_THREAD_LIMIT": "1"}


class OcrUnavailable(RuntimeError):
    """Tesseract, or its French data, is missing: the server's set-up, not the document, is at fault."""


def _profile_variance(ink: Image.Image, angle: float) -> float:
    rotated = ink.rotate(angle, resample=Image.Resampling.BILINEAR)
    return statistics.pvariance(rotated.resize((1, rotated.height), Image.Resampling.BOX).getdata())


def _skew(image: Image.Image) -> float:
    """The angle that lines the text up with the rows: where the rows' darkness varies most (projection profile),
    by whole degrees then quarters around the best (19 turns of a quarter-size page, not 41)."""
    small = image.convert("L").resize((image.width // 4, image.height // 4))
    ink = small.point(lambda p: 255 if p < 128 else 0)
    coarse = max(range(-int(MAX_SKEW), int(MAX_SKEW) + 1), key=lambda a: _profile_variance(ink, a))
    fine = [coarse + k * SKEW_STEP for k in range(-3, 4)]
    return max(fine, key=lambda a: _profile_variance(ink, a))


def straightened(image: Image.Image) -> Image.Image:
    image = image.convert("L")
    angle = _skew(image)
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    # Specks of a noisy scan or a photocopy go; strokes of letters stay.
    return image.filter(ImageFilter.MedianFilter(3))


def _tesseract(image: Image.Image) -> list[dict]:
    png = io.BytesIO()
    image.save(png, format="PNG", dpi=(DPI, DPI))
    command = ["tesseract", "stdin", "stdout", "-l", "fra", "--psm", "3", "tsv"]
    try:
        run = subprocess.run(command, input=png.getvalue(), capture_output=True, env=ENVIRONMENT, check=False)
    except FileNotFoundError as error:
        raise OcrUnavailable("Tesseract n'est pas installé (paquets tesseract-ocr et tesseract-ocr-fra)") from error
    if run.returncode:
        raise OcrUnavailable(f"Tesseract a échoué : {run.stderr.decode(errors='replace').strip()[-300:]}")
    rows = csv.DictReader(io.StringIO(run.stdout.decode()), delimiter="\t", quoting=csv.QUOTE_NONE)
    return [row for row in rows if row["level"] == "5" and (row["text"] or "").strip() and float(row["conf"]) >= 0]


# What Tesseract makes of specks and of a table's borders: not words.
SPECK_CONFIDENCE = 0.3
BORDERS = set("|[]_!/\\")


def _is_word(word: Word, line_height: float) -> bool:
    """Not a speck nor a border. A read as large as a word's, with a letter, is a word however unsure: a faded or
    smudged word kept with its low confidence flags its field for a check, where dropped it would shorten the
    field unseen."""
    if set(word.text) <= BORDERS:
        return False
    letters = any(c.isalnum() for c in word.text)
    if word.confidence < SPECK_CONFIDENCE:
        return letters and min(word.x1 - word.x0, word.bottom - word.top) >= line_height / 2
    return letters or len(word.text) > 2 or word.confidence >= 2 * SPECK_CONFIDENCE


def page_words(image: Image.Image) -> list[Word]:
    """The page's words as Tesseract reads them, a drawn smiley as ☺, 😐 or ☹ with the confidence of its reading."""
    image = straightened(image)
    read = []
    for row in _tesseract(image):
        left, top, width, height = (int(row[key]) for key in ("left", "top", "width", "height"))
        read.append(Word(row["text"], left, left + width, top, top + height, round(float(row["conf"]) / 100, 2)))
    if not read:
        return []
    line_height = statistics.median(w.bottom - w.top for w in read)
    words = []
    for word in read:
        # A smiley is looked at whatever Tesseract made of it, however unsure.
        if is_face(word.x1 - word.x0, word.bottom - word.top, line_height):
            smiley = drawn_smiley(image.crop((word.x0, word.top, word.x1, word.bottom)))
            if smiley:
                words.append(Word(smiley[0], word.x0, word.x1, word.top, word.bottom, smiley[1]))
                continue
        if _is_word(word, line_height):
            words.append(word)
    return words
