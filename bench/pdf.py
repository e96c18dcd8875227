"""The PDF reader's benchmark: which library reads aap's PDF of the seed best, and how long a page takes,
born-digital and scanned (OCR).

    uv run python bench/pdf.py

Each library's text of the seed's PDF (7 pages, one project each) is given to the parser: how many of the 7
projects come back field for field, and seconds per page (best of 3). Then the seed scanned (tests/scans.py: 200 dpi,
2 degrees askew, 0.5 % specks) is read by documents/joint_opinion_reading.py: seconds per OCR page and in all.
Writes bench/pdf.json.
"""

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aap.test_settings")

import django  # noqa: E402

django.setup()

import pdfplumber  # noqa: E402
from pdfminer.high_level import extract_text  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from documents.joint_opinion_content import joint_opinion_context  # noqa: E402
from documents.joint_opinion_parser import ParseError, parse  # noqa: E402
from documents.joint_opinion_pdf import joint_opinion_pdf  # noqa: E402
from documents.joint_opinion_reading import joint_opinion_read  # noqa: E402
from tests.scans import scanned  # noqa: E402

SEED = ROOT / "demo" / "data" / "avis-conjoint-paca-2018.txt"
RESULTS = ROOT / "bench" / "pdf.json"


def pdftotext(data: bytes, *options: str) -> str:
    run = subprocess.run(["pdftotext", *options, "-", "-"], input=data, capture_output=True, check=True)
    return run.stdout.decode()


LIBRARIES = {
    "pypdf": lambda data: "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages),
    "pdfminer.six": lambda data: extract_text(io.BytesIO(data)),
    "pdfplumber extract_text": lambda data: "\n".join(
        page.extract_text() for page in pdfplumber.open(io.BytesIO(data)).pages
    ),
    "pdftotext": lambda data: pdftotext(data),
    "pdftotext -layout": lambda data: pdftotext(data, "-layout"),
    "aap (pdfplumber words + documents/layout.py)": lambda data: joint_opinion_read(data).text,
}


def best_of(runs: int, function, *args):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def projects_back(text: str, expected: list[dict]) -> int:
    try:
        document = parse(text)
    except ParseError:
        return 0
    return sum(got == want for got, want in zip(document.as_json()["projects"], expected, strict=False))


def main() -> None:
    document = parse(SEED.read_text(encoding="utf-8"))
    content = {**document.as_json(), "letterheads": document.letterheads}
    pdf = joint_opinion_pdf(joint_opinion_context(content))
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    results = {"pages": pages, "libraries": {}}
    for name, read in LIBRARIES.items():
        if name.startswith("pdftotext") and not shutil.which("pdftotext"):
            continue
        seconds, text = best_of(3, read, pdf)
        results["libraries"][name] = {
            "seconds_per_page": round(seconds / pages, 3),
            "projects_back": projects_back(text, content["projects"]),
        }
    scan = scanned(pdf)
    seconds, reading = best_of(1, joint_opinion_read, scan)
    results["ocr"] = {
        "pages": len(reading.ocr_pages),
        "seconds_total": round(seconds, 1),
        "seconds_per_page": round(seconds / len(reading.ocr_pages), 2),
        "projects_back": sum(
            (p.number, p.verdict, p.rank) == (q["number"], q["verdict"], q["rank"])
            for p, q in zip(reading.document.projects, content["projects"], strict=False)
        ),
        "doubtful_fields": len(reading.doubtful()),
    }
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    for name, row in results["libraries"].items():
        print(f"{name:45} {row['seconds_per_page']:7.3f} s/page  {row['projects_back']}/{pages} projects")
    ocr = results["ocr"]
    print(f"OCR: {ocr['seconds_per_page']} s/page, {ocr['seconds_total']} s for {ocr['pages']} pages")


if __name__ == "__main__":
    main()
