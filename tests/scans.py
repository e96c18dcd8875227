"""A printed avis conjoint as a scanner or a photocopier gives it back: each page a picture, askew and speckled,
in a PDF that holds no text; some of its words smudged, if asked."""

import io
import random

import pdfplumber
import pypdfium2
from PIL import Image, ImageFilter

DPI = 200
# Blur radius, in pixels at DPI, of a smudged word: OCR still reads it, wrongly and unsure.
SMUDGE = 2.5


def _boxes(pdf: bytes, words: tuple[str, ...]) -> list[list[dict]]:
    """Per page, the boxes (in points) of the printed words that are in `words`."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [[word for word in page.extract_words() if word["text"] in words] for page in document.pages]


def scanned(
    pdf: bytes, *, angle: float = 2.0, specks: float = 0.005, seed: int = 2018, smudged: tuple[str, ...] = ()
) -> bytes:
    """Each page drawn at DPI, each word of `smudged` blurred where it is printed, the page turned by angle degrees
    and a share `specks` of its pixels flipped to black or white."""
    rng = random.Random(seed)
    scale = DPI / 72
    pages = []
    for page, boxes in zip(pypdfium2.PdfDocument(pdf), _boxes(pdf, smudged), strict=True):
        image = page.render(scale=scale).to_pil().convert("L")
        for word in boxes:
            box = tuple(int(word[key] * scale) for key in ("x0", "top", "x1", "bottom"))
            image.paste(image.crop(box).filter(ImageFilter.GaussianBlur(SMUDGE)), box[:2])
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        pixels = image.load()
        for _ in range(int(specks * image.width * image.height)):
            pixels[rng.randrange(image.width), rng.randrange(image.height)] = rng.choice((0, 255))
        pages.append(image)
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=DPI)
    return out.getvalue()
