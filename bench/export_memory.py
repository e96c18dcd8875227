"""Peak memory of the dossier exports at two sizes, in one run: streaming means the ratio stays near 1.

    python bench/export_memory.py [--small 1000] [--large 100000]

Builds a throwaway SQLite database under a temporary folder, fills it with bulk inserts, then measures
with tracemalloc the peak memory of writing all dossiers as XLSX and as CSV. Prints a table and writes
bench/results.json (merged with what is already there).
"""

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(folder: str) -> None:
    os.environ.update(DJANGO_SETTINGS_MODULE="aap.settings", DEBUG="1", AAP_VAR_DIR=folder)
    os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def fill(upto: int) -> None:
    """Bring the database to `upto` dossiers, each with an opinion, a budget line and households."""
    from core.models import BudgetLine, Call, Committee, Dossier, DossierStrand, Opinion, Organisation

    call, _ = Call.objects.get_or_create(edition=99, defaults={"title": "Appel de mesure", "year": 2024})
    committee, _ = Committee.objects.get_or_create(call=call, name="Comité de mesure", region="93")
    landlords = [Organisation.objects.get_or_create(name=f"Bailleur {n}", kind="bailleur")[0] for n in range(50)]
    start = Dossier.objects.count()
    for offset in range(0, upto - start, 5000):
        batch = range(offset, min(offset + 5000, upto - start))
        dossiers = Dossier.objects.bulk_create(
            Dossier(
                call=call,
                committee=committee,
                number=start + n + 1,
                title=f"Projet {n}",
                lead_landlord=landlords[n % 50],
                state="avis_signe",
                duration_years=3,
            )
            for n in batch
        )
        Opinion.objects.bulk_create(
            Opinion(dossier=d, verdict="favorable", retained=True, priority="P1") for d in dossiers
        )
        BudgetLine.objects.bulk_create(
            BudgetLine(dossier=d, year=1, funder="fnavdl", amount=Decimal("1000.50")) for d in dossiers
        )
        DossierStrand.objects.bulk_create(
            DossierStrand(dossier=d, strand="acces", year=1, households=5) for d in dossiers
        )


def measure(kind: str) -> tuple[float, float]:
    from core.models import Dossier
    from documents.exports import csv_lines, dossier_rows, write_xlsx

    dossiers = Dossier.objects.all()
    tracemalloc.start()
    started = time.perf_counter()
    rows = dossier_rows(dossiers, lambda dossier: dossier.opinion)
    if kind == "xlsx":
        write_xlsx(rows, "Dossiers").close()
    else:
        for _ in csv_lines(rows):
            pass
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return peak, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        results = {}
        for size in (args.small, args.large):
            fill(size)
            for kind in ("xlsx", "csv"):
                peak, seconds = measure(kind)
                results[f"export_{kind}_peak_mib_{size}"] = round(peak, 2)
                results[f"export_{kind}_seconds_{size}"] = round(seconds, 2)
        for kind in ("xlsx", "csv"):
            results[f"export_{kind}_peak_ratio"] = round(
                results[f"export_{kind}_peak_mib_{args.large}"] / results[f"export_{kind}_peak_mib_{args.small}"], 2
            )
    print(f"{'measure':<32}{'value':>10}")
    for key, value in results.items():
        print(f"{key:<32}{value:>10}")
    path = ROOT / "bench" / "results.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**previous, **results}, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
