"""The national-scale benchmark: the same measures at two database sizes, on SQLite and PostgreSQL, in one run.

    uv run python bench/run.py [--quick] [--sizes 1000 100000] [--trials 15] [--rounds 3] [--rebuild]

For each database and size it builds (once: databases are kept under bench/var/ and as PostgreSQL
databases `aap_bench_<size>`, rebuilt with --rebuild) a synthetic national history with
`manage.py generate_synthetic` in calls of CALL_SIZE dossiers: the measured call and committee are the same
at every size, the history around them grows (more calls, more committees, more years). From 10 times
LARGE_CALL dossiers, one of its calls holds LARGE_CALL dossiers. Then it measures in a fresh process, median of
repeated trials:

- the committee's dossier list, the national selection, a dossier page, the search, the API list, the
  secretariat's list of every dossier, the national dashboard, and the workspace of a member and of a landlord:
  server time per request (Django's test client, production settings), SQL queries per request, and the
  floor: the time of the very SQL statements the request ran, executed raw (ratio request / floor);
- where there is a large call, its committee's list, its national selection and its dashboard, the same way, and
  their time per dossier of the call (large_call_<page>_ms_per_dossier);
- the avis conjoint of a 50-dossier committee as DOCX and PDF;
- the XLSX export of every dossier, as the export task writes it: seconds and peak memory (tracemalloc), and the
  floor: the XLSX writer alone, on the same rows in memory;

With --rounds R, the pages are measured R times, the sizes in turn (1 000, 100 000, 1 000, ...), and each page's
time and floor are the lowest of the rounds' medians: on a machine shared with other work, the round least
disturbed. Then the growth ratios (largest size / smallest) are computed; it prints a table and writes
bench/results.json. --quick uses 1 000 and 10 000 dossiers and fewer trials.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "bench" / "var"
RESULTS = ROOT / "bench" / "results.json"
PG = "postgres://postgres@127.0.0.1:5432"
SEED = 2014
# A call's size in the bench's history, so that its largest committee (Île-de-France, 23 % of a call) holds about
# 50 dossiers, as an avis conjoint has had; and the large call, whose cost is read per dossier.
CALL_SIZE = 220
LARGE_CALL = 10_000
PAGES = (
    "committee_list", "national_selection", "dossier_page", "search", "search_landlord", "api_list",
    "secretariat_home", "national_dashboard", "member_workspace", "landlord_workspace",
)  # fmt: skip
LARGE_CALL_PAGES = ("large_call_committee_list", "large_call_selection", "large_call_dashboard")


# Measures of no database's: written without the backend's prefix.
UNPREFIXED = {"xlsx_writer_floor_seconds"}


# The orchestrator ---------------------------------------------------------------------------------


def _environment(backend: str, size: int) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "aap.settings",
        "SECRET_KEY": "bench-only-key-not-a-secret-used-on-a-throwaway-database",
        "DEBUG": "",
        "AAP_DEMO": "",
        "ALLOWED_HOSTS": "testserver",
        "AAP_VAR_DIR": str(VAR / f"sqlite-{size}"),
        # WhiteNoise warns that static files were not collected: the pages' own time is what is measured.
        "PYTHONWARNINGS": "ignore::UserWarning",
    }
    env.pop("DATABASE_URL", None)
    if backend == "postgresql":
        env["DATABASE_URL"] = f"{PG}/aap_bench_{size}"
    return env


def _postgresql_reachable() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432"], capture_output=True).returncode == 0


def _worker(step: str, backend: str, size: int, trials: int, rebuild: bool = False) -> dict:
    command = [sys.executable, __file__, "--worker", step, "--size", str(size), "--trials", str(trials)]
    if rebuild and backend == "postgresql":
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", f"aap_bench_{size}"], check=True)
    if backend == "postgresql":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", f"aap_bench_{size}"], capture_output=True)
    if rebuild and backend == "sqlite":
        shutil.rmtree(VAR / f"sqlite-{size}", ignore_errors=True)
    print(f"{step}: {backend}, {size} dossiers", file=sys.stderr)
    done = subprocess.run(command, env=_environment(backend, size), capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{step} failed on {backend} at {size} dossiers")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _table(results: dict) -> None:
    print(f"{'measure':<58}{'value':>12}")
    for key, value in sorted(results.items()):
        print(f"{key:<58}{value:>12}")


def orchestrate(args) -> None:
    sizes = args.sizes or ([1000, 10_000] if args.quick else [1000, 100_000])
    trials = args.trials or (5 if args.quick else 15)
    backends = args.backends or ["sqlite"] + (["postgresql"] if _postgresql_reachable() else [])
    # The other databases' figures of an earlier run stay, so that one database can be measured again alone.
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results = {key: value for key, value in previous.items() if not key.startswith(tuple(backends))}
    for backend in backends:
        # Other work may share the machine: its load, before and after, says how far to trust the run.
        results[f"{backend}_load_average_before"] = round(os.getloadavg()[0], 2)
        rounds = {size: [] for size in sizes}
        for turn in range(args.rounds):
            for size in sizes:
                if turn == 0:
                    built = _worker("build", backend, size, trials, args.rebuild)
                    results[f"{backend}_build_seconds_{size}"] = built["seconds"]
                # The documents and the export once, in the first round.
                rounds[size].append(_worker("measure" if turn == 0 else "pages", backend, size, trials))
                for key, value in _lowest(rounds[size]).items():
                    # The writer's floor does not depend on the database: one key, the last run's.
                    prefix = "" if key in UNPREFIXED else f"{backend}_"
                    results[f"{prefix}{key}_{size}"] = value
                # Written as they come: a long run stopped half-way keeps what it measured.
                _save(results)
        results[f"{backend}_rounds"] = args.rounds
        small, large = min(sizes), max(sizes)
        for page in PAGES:
            results[f"{backend}_{page}_growth_ratio"] = round(
                results[f"{backend}_{page}_ms_{large}"] / results[f"{backend}_{page}_ms_{small}"], 2
            )
        results[f"{backend}_export_xlsx_floor_ratio_{large}"] = round(
            results[f"{backend}_export_xlsx_seconds_{large}"] / results[f"xlsx_writer_floor_seconds_{large}"], 2
        )
        results[f"{backend}_export_xlsx_peak_ratio"] = round(
            results[f"{backend}_export_xlsx_peak_mib_{large}"] / results[f"{backend}_export_xlsx_peak_mib_{small}"], 2
        )
        results[f"{backend}_load_average_after"] = round(os.getloadavg()[0], 2)
    _table(results)
    _save(results)
    print(f"written to {RESULTS.relative_to(ROOT)}")


def _lowest(rounds: list[dict]) -> dict:
    """The first round's figures, each page's time and floor the lowest of the rounds' medians, and what is
    computed from them again."""
    merged = dict(rounds[0])
    for key in merged:
        if key.endswith("_ms"):
            merged[key] = min(measured[key] for measured in rounds)
    for page in (*PAGES, *LARGE_CALL_PAGES):
        if f"{page}_ms" in merged:
            merged[f"{page}_floor_ratio"] = round(merged[f"{page}_ms"] / max(merged[f"{page}_floor_ms"], 0.001), 2)
            if "large_call_dossiers" in merged and page in LARGE_CALL_PAGES:
                merged[f"{page}_ms_per_dossier"] = round(merged[f"{page}_ms"] / merged["large_call_dossiers"], 5)
    return merged


def _save(results: dict) -> None:
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


# The workers, in a process of their own with the database's settings ------------------------------


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _large_call(size: int) -> int:
    """A call of LARGE_CALL dossiers in a history of at least ten times as many."""
    return LARGE_CALL if size >= 10 * LARGE_CALL else 0


def build(size: int) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from core.models import Call, Dossier
    from synthetic.reference import calls_shape

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    calls = len(calls_shape(size, CALL_SIZE, _large_call(size)))
    if Dossier.objects.count() != size or Call.objects.count() != calls:
        if Dossier.objects.exists():
            raise SystemExit("The bench database holds other dossiers, or other calls: run with --rebuild.")
        call_command(
            "generate_synthetic",
            dossiers=size,
            seed=SEED,
            call_size=CALL_SIZE,
            large_call=_large_call(size),
            stdout=sys.stderr,
        )
        if connection.vendor == "postgresql":
            # What autovacuum does in time on a live database: without a visibility map, PostgreSQL reads
            # the table, not the index alone, to count (a count of 100 000 dossiers: 60 ms instead of 8).
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    return {"seconds": round(time.perf_counter() - started, 1)}


class _Recorder:
    """The SQL statements a request runs, with their parameters, to run them again raw."""

    def __init__(self):
        self.statements, self.count = [], 0

    def __call__(self, execute, sql, params, many, context):
        # The floor is what fetching the rows costs: reads only (not the session's save, nor transactions).
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            self.statements.append((sql, params))
        self.count += 1
        return execute(sql, params, many, context)


def _median_ms(function, trials: int) -> float:
    timings = []
    for _ in range(trials):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 2)


def _floor_ms(statements: list, trials: int) -> float:
    from django.db import connection

    def run_raw():
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                if cursor.description:
                    cursor.fetchall()

    return _median_ms(run_raw, trials)


def _member(committee):
    from django.contrib.auth.models import User

    from core.models import Membership

    member, _ = User.objects.get_or_create(username=f"bench.member.{committee.pk}")
    # Apart from the account: a run stopped between the two has left the account without its seat.
    Membership.objects.get_or_create(
        user=member,
        committee=committee,
        role=Membership.Role.COMMITTEE_MEMBER,
        defaults={"organisation": committee.institutions[0]},
    )
    return member


def _subjects() -> dict:
    """Who asks for what: a member of the largest committee of the latest call instructed (not the large call), the
    landlord of its first dossier, the secretariat; and where there is one, the large call and its largest
    committee."""
    from django.contrib.auth.models import User
    from django.db.models import Count, Exists, OuterRef

    from api.tokens import token_create
    from core.models import Call, Committee, Dossier, Membership, Opinion, Organisation

    large = Call.objects.annotate(n=Count("dossiers")).filter(n__gte=LARGE_CALL).order_by("-n").first()
    call = (
        Call.objects.filter(Exists(Opinion.objects.filter(dossier__call=OuterRef("pk"))))
        .exclude(pk=getattr(large, "pk", None))
        .order_by("-edition")
        .first()
    )

    def largest(call):
        return Committee.objects.filter(call=call).annotate(n=Count("dossiers")).order_by("-n", "pk").first()

    committee = largest(call)
    national, _ = Organisation.objects.get_or_create(
        name="Secrétariat national (mesure)", defaults={"kind": Organisation.Kind.NATIONAL}
    )
    secretariat, created = User.objects.get_or_create(username="bench.secretariat")
    if created:
        Membership.objects.create(user=secretariat, organisation=national, role=Membership.Role.SECRETARIAT)
    member = _member(committee)
    dossier = Dossier.objects.filter(committee=committee, opinion__isnull=False).order_by("number").first()
    landlord, created = User.objects.get_or_create(username=f"bench.landlord.{dossier.lead_landlord_id}")
    if created:
        Membership.objects.create(
            user=landlord, organisation_id=dossier.lead_landlord_id, role=Membership.Role.LANDLORD_STAFF
        )
    _, secret = token_create(user=secretariat, name="mesure")
    subjects = {"call": call, "committee": committee, "dossier": dossier, "secretariat": secretariat,
                "member": member, "landlord": landlord, "token": secret}  # fmt: skip
    if large is not None:
        subjects["large_call"] = large
        subjects["large_committee"] = largest(large)
        subjects["large_member"] = _member(subjects["large_committee"])
    return subjects


def _pages(subjects: dict) -> dict:
    from django.urls import reverse

    committee, call, dossier = subjects["committee"], subjects["call"], subjects["dossier"]
    return {
        "committee_list": (subjects["member"], reverse("committee_detail", args=[committee.pk]), {}),
        "national_selection": (subjects["secretariat"], reverse("call_selection", args=[call.pk]), {}),
        "dossier_page": (subjects["member"], reverse("dossier_detail", args=[dossier.pk]), {}),
        "search": (subjects["secretariat"], reverse("search"), {"q": "autisme"}),
        # A landlord's own among the matches of a word nearly every dossier holds.
        "search_landlord": (subjects["landlord"], reverse("search"), {"q": "logement"}),
        "api_list": (None, "/api/v1/dossiers", {"call": call.pk}),
        # Whole-programme pages: every dossier, 50 a page (the home page until the workspace), and its aggregates.
        "secretariat_home": (subjects["secretariat"], reverse("dossier_list"), {}),
        "national_dashboard": (subjects["secretariat"], reverse("dashboard_national"), {}),
        # What awaits a member of the largest committee, and the landlord of one of its dossiers.
        "member_workspace": (subjects["member"], reverse("home"), {}),
        "landlord_workspace": (subjects["landlord"], reverse("home"), {}),
    }


def _large_call_pages(subjects: dict) -> dict:
    from django.urls import reverse

    large, committee = subjects["large_call"], subjects["large_committee"]
    return {
        "large_call_committee_list": (subjects["large_member"], reverse("committee_detail", args=[committee.pk]), {}),
        "large_call_selection": (subjects["secretariat"], reverse("call_selection", args=[large.pk]), {}),
        "large_call_dashboard": (subjects["secretariat"], reverse("dashboard_national"), {"appel": large.pk}),
    }


def _history(subjects: dict) -> dict:
    """What the measured call and committee hold, and the history around them."""
    from core.models import Call, Committee, Dossier

    figures = {
        "calls": Call.objects.count(),
        "committees": Committee.objects.count(),
        "call_dossiers": subjects["call"].dossiers.count(),
        "committee_dossiers": subjects["committee"].dossiers.count(),
        "landlord_dossiers": Dossier.objects.filter(lead_landlord=subjects["dossier"].lead_landlord_id).count(),
    }
    if "large_call" in subjects:
        figures["large_call_dossiers"] = subjects["large_call"].dossiers.count()
        figures["large_call_committee_dossiers"] = subjects["large_committee"].dossiers.count()
    return figures


def measure(trials: int, documents: bool = True) -> dict:
    from django.db import connection
    from django.test import Client

    subjects = _subjects()
    results = _history(subjects)
    pages = _pages(subjects)
    if "large_call" in subjects:
        pages.update(_large_call_pages(subjects))
    for name, (user, url, query) in pages.items():
        client = Client()
        headers = {}
        if user is None:
            headers["Authorization"] = f"Bearer {subjects['token']}"
        else:
            client.force_login(user)

        def get(client=client, url=url, query=query, headers=headers):
            response = client.get(url, query, secure=True, headers=headers)
            assert response.status_code == 200, (url, response.status_code)
            return response

        get()  # warm the caches (templates, the connection) before timing
        recorder = _Recorder()
        with connection.execute_wrapper(recorder):
            get()
        results[f"{name}_queries"] = recorder.count
        results[f"{name}_ms"] = _median_ms(get, trials)
        results[f"{name}_floor_ms"] = _floor_ms(recorder.statements, trials)
        results[f"{name}_floor_ratio"] = round(results[f"{name}_ms"] / max(results[f"{name}_floor_ms"], 0.001), 2)
    if documents:
        results.update(_documents(subjects["committee"], trials))
        results.update(_export())
    return results


def _documents(committee, trials: int) -> dict:
    """The avis conjoint of 50 dossiers: the largest committee's first 50 projects."""
    from core.services.joint_opinions import committee_snapshot
    from documents.joint_opinion_content import joint_opinion_context
    from documents.joint_opinion_docx import joint_opinion_docx
    from documents.joint_opinion_pdf import joint_opinion_pdf

    content = committee_snapshot(committee)
    content["projects"] = content["projects"][:50]
    context = joint_opinion_context(content, committee=committee)
    joint_opinion_pdf(context)  # fonts and styles load once per process
    return {
        "avis_projects": len(content["projects"]),
        "avis_docx_seconds": round(_median_ms(lambda: joint_opinion_docx(context), max(3, trials // 5)) / 1000, 3),
        "avis_pdf_seconds": round(_median_ms(lambda: joint_opinion_pdf(context), max(3, trials // 5)) / 1000, 3),
    }


def _export() -> dict:
    """Every dossier as XLSX, the way the export task writes it (its rows, its writer, its progress), then the floor:
    the XLSX writer alone, on the same rows already in memory."""
    from django.contrib.auth.models import User

    from core.models import Call, Dossier, Export
    from core.permissions import Access
    from core.services.exports import _counted
    from documents.exports import dossier_rows, write_xlsx

    user = User.objects.get(username="bench.secretariat")
    access = Access(user)
    # A row for the progress to be saved in, as the task saves it.
    export = Export.objects.create(requested_by=user, call=Call.objects.first(), format="xlsx", filename="bench.xlsx")
    started = time.perf_counter()
    write_xlsx(_counted(dossier_rows(access.dossiers(), access), export.pk), "Dossiers").close()
    seconds = time.perf_counter() - started
    # The peak in a run of its own: tracemalloc hooks every allocation, and made the timed run 3 to 4 times slower.
    tracemalloc.start()
    write_xlsx(_counted(dossier_rows(access.dossiers(), access), export.pk), "Dossiers").close()
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    export.delete()
    rows = list(dossier_rows(access.dossiers(), access))
    started = time.perf_counter()
    write_xlsx(iter(rows), "Dossiers").close()
    floor = time.perf_counter() - started
    return {"export_xlsx_rows": Dossier.objects.count(), "export_xlsx_seconds": round(seconds, 2),
            "export_xlsx_peak_mib": round(peak, 2), "xlsx_writer_floor_seconds": round(floor, 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 000 and 10 000 dossiers, fewer trials")
    parser.add_argument("--sizes", type=int, nargs="+", help="database sizes, in dossiers")
    parser.add_argument("--trials", type=int, help="timed trials per measure (median)")
    parser.add_argument("--rounds", type=int, default=1, help="measures of the pages, the sizes in turn (lowest)")
    parser.add_argument("--rebuild", action="store_true", help="build the databases anew")
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgresql"], help="default: both if reachable")
    parser.add_argument("--worker", choices=["build", "measure", "pages"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is None:
        orchestrate(args)
        return
    _django()
    # "pages": the pages alone, for the rounds after the first.
    documents = args.worker == "measure"
    result = build(args.size) if args.worker == "build" else measure(args.trials, documents=documents)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
