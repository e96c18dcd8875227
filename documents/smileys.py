"""The committee's smiley drawn as a picture (aap's PDF draws it, a scan shows it), read by the bend of its mouth."""

import statistics

from PIL import Image, ImageFilter

# The mouth's middle lies this far (in radii) below its ends for ☺, above for ☹. aap draws 0.24, which a scan of it
# reads as 0.14–0.15 (the ends are the mean of the mouth's outer quarters), and a straight mouth reads 0.00: the
# boundary lies halfway, so that a scanned smile is as sure as a scanned straight mouth.
BEND = 0.07
SMILEYS = {1: "☺", 0: "😐", -1: "☹"}


def is_face(width: float, height: float, line_height: float) -> bool:
    """A round picture, taller than a line of text: a smiley's outline (OCR reads it as "©", "@" or "(=)")."""
    return height >= 2 * line_height and 0.75 <= width / height <= 1.33


def drawn_smiley(image: Image.Image) -> tuple[str, float] | None:
    """(☺, 😐 or ☹, confidence) for a face cropped to its outline; None when nothing like a mouth is drawn."""
    image = image.convert("L").filter(ImageFilter.MedianFilter(3))
    width, height = image.size
    cx, cy, r = width / 2, height / 2, min(width, height) / 2
    pixels = image.load()
    # The mouth: dark pixels inside the outline, below the eyes (which sit above the middle).
    columns: dict[int, list[int]] = {}
    for y in range(int(cy + 0.05 * r), height):
        for x in range(width):
            if (x - cx) ** 2 + (y - cy) ** 2 < (0.72 * r) ** 2 and pixels[x, y] < 128:
                columns.setdefault(x, []).append(y)
    xs = sorted(columns)
    if len(xs) < 0.2 * width:
        return None
    quarter = max(len(xs) // 4, 1)
    ends = [statistics.mean(columns[x]) for x in xs[:quarter] + xs[-quarter:]]
    middle = [statistics.mean(columns[x]) for x in xs[len(xs) // 2 - quarter // 2 : len(xs) // 2 + quarter // 2 + 1]]
    bend = (statistics.mean(middle) - statistics.mean(ends)) / r
    shape = 1 if bend > BEND else -1 if bend < -BEND else 0
    return SMILEYS[shape], round(min(1.0, abs(abs(bend) - BEND) / BEND), 2)
