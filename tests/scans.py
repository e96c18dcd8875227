"""A printed avis conjoint as a scanner or a photocopier gives it back: each page a picture, askew and speckled,
in a PDF that holds no text."""

import io
import random

import pypdfium2
from PIL import Image

DPI = 200


def scanned(pdf: bytes, *, angle: float = 2.0, specks: float = 0.005, seed: int = 2018) -> bytes:
    """Each page drawn at DPI, turned by angle degrees, a share `specks` of its pixels flipped to black or white."""
    rng = random.Random(seed)
    pages = []
    for page in pypdfium2.PdfDocument(pdf):
        image = page.render(scale=DPI / 72).to_pil().convert("L")
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        pixels = image.load()
        for _ in range(int(specks * image.width * image.height)):
            pixels[rng.randrange(image.width), rng.randrange(image.height)] = rng.choice((0, 255))
        pages.append(image)
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=DPI)
    return out.getvalue()
