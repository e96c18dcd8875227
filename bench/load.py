"""Load test: the production settings behind gunicorn, browsed by landlords, committee members and the secretariat.

    uv run python bench/load.py [--duration 60] [--users 20] [--workers 4] [--max-requests 20000] [--think 0.5,2]

Recreates the PostgreSQL database `aap_load` (127.0.0.1:5432, user postgres, trust authentication), migrates
it, loads the demo (PACA 2018) and adds one load-test account per role with a generated password and an API
token. Then serves the app with the production settings (DEBUG off, AAP_DEMO unset, a generated SECRET_KEY,
static files collected into a temporary STATIC_ROOT and served by WhiteNoise) with gunicorn on
127.0.0.1:8701, runs locust headless against it (bench/load_locustfile.py), stops gunicorn, prints a table
and writes bench/load.json. Everything stays on the loopback interface and stops after --duration seconds
or --max-requests requests, whichever comes first.

HTTPS is terminated by a proxy in production: here the client sends `X-Forwarded-Proto: https`, which
gunicorn accepts from 127.0.0.1 and Django reads through SECURE_PROXY_SSL_HEADER, so that the HTTPS
redirect, HSTS, secure cookies and the CSRF referer check all run as they do in production.
"""

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
POSTGRES = f"postgres://postgres@{HOST}:5432"
RESULTS = ROOT / "bench" / "load.json"
LOCUSTFILE = ROOT / "bench" / "load_locustfile.py"


def production_environment(folder: Path, database: str) -> dict[str, str]:
    """The environment a production deployment would give the app; nothing of the demo or debug modes."""
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "AAP_DEMO", "SECURE_SSL_REDIRECT"}}
    env.update(
        DJANGO_SETTINGS_MODULE="aap.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        DATABASE_URL=f"{POSTGRES}/{database}",
        AAP_VAR_DIR=str(folder / "var"),
        MEDIA_ROOT=str(folder / "media"),
        STATIC_ROOT=str(folder / "static"),
        # Nothing is mailed while browsing; a dummy backend keeps a stray e-mail out of the log all the same.
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    return env


def recreate_database(database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def prepare(folder: Path) -> dict:
    """Migrate, collect static files, load the demo, create the load-test accounts; returns what locust needs.

    Runs in this process under the production environment (already in os.environ): locust, which patches
    the standard library with gevent, runs in a process of its own.
    """
    import django
    from django.core.management import call_command

    # Compressing the static files is the longest step: it runs alongside the database's.
    collectstatic = subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], cwd=ROOT, env=os.environ
    )
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)

    from django.contrib.auth.models import User
    from django.urls import reverse

    from api.tokens import token_create
    from core.models import Committee, Dossier, JointOpinion, Membership, Organisation
    from demo.setup import demo_setup

    demo_setup()
    committee = Committee.objects.filter(joint_opinions__isnull=False).select_related("call").get()
    joint_opinion = JointOpinion.objects.filter(committee=committee).order_by("-version").first()
    landlord = Organisation.objects.filter(led_dossiers__committee=committee).order_by("name").first()
    national = Organisation.objects.get(kind=Organisation.Kind.NATIONAL)

    role = Membership.Role
    people = {
        "landlord": (landlord, role.LANDLORD_STAFF, None),
        "member": (committee.ar_hlm, role.COMMITTEE_MEMBER, committee),
        "secretariat": (national, role.SECRETARIAT, None),
    }
    accounts = {}
    for name, (organisation, membership_role, member_of) in people.items():
        password = secrets.token_urlsafe(18)
        # Not in the demo group: these accounts log in with the production settings.
        user = User.objects.create_user(username=f"charge.{name}", password=password, first_name="Charge")
        Membership.objects.create(user=user, organisation=organisation, role=membership_role, committee=member_of)
        _, token = token_create(user=user, name="Test de charge", days=30)
        accounts[name] = {"username": user.username, "password": password, "token": token}

    own = Dossier.objects.filter(committee=committee, lead_landlord=landlord)
    if collectstatic.wait() != 0:
        raise SystemExit("collectstatic failed.")
    # Every URL comes from the URL configuration, so that a change of route does not silently turn into 404s.
    return {
        "accounts": accounts,
        "urls": {
            "login": reverse("login"),
            "home": reverse("home"),
            "new_dossier": reverse("dossier_new"),
            "committee": reverse("committee_detail", args=[committee.pk]),
            "committee_dashboard": reverse("dashboard_committee", args=[committee.pk]),
            "national_dashboard": reverse("dashboard_national"),
            "selection": reverse("call_selection", args=[committee.call_id]),
            "calls": reverse("call_list"),
            "avis_conjoint": _joint_opinion_url("joint_opinion", joint_opinion),
            "avis_conjoint_pdf": _joint_opinion_url("joint_opinion_download", joint_opinion, "pdf"),
            "api_dossiers": "/api/v1/dossiers",
            "committee_dossiers": [reverse("dossier_detail", args=[d.pk]) for d in committee.dossiers.all()],
            "landlord_dossiers": [reverse("dossier_detail", args=[d.pk]) for d in own],
        },
    }


def _joint_opinion_url(name: str, joint_opinion, *extension: str) -> str:
    """Published versions are addressed by their uuid, or by committee and version where they have none."""
    from django.urls import reverse

    if hasattr(joint_opinion, "uuid"):
        return reverse(name, args=[joint_opinion.uuid, *extension])
    return reverse(name, args=[joint_opinion.committee_id, joint_opinion.version, *extension])


def wait_until_up(url: str, deadline: float, server: subprocess.Popen, log: Path) -> None:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    last = "no answer"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            last = str(error)
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-3000:]
    raise SystemExit(f"gunicorn did not answer {url} ({last}, exit code {server.poll()}):\n{tail}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM is gunicorn's graceful shutdown: running requests end, then the workers exit."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def print_table(results: dict) -> None:
    header = f"{'page':<34}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}{'fail':>6}"
    print(header)
    print("-" * len(header))
    rows = [*sorted(results["pages"].items()), ("TOTAL", results["total"])]
    for name, f in rows:
        print(
            f"{name[:33]:<34}{f['requests']:>9}{f['requests_per_second']:>8.1f}{f['p50_ms']:>8.0f}"
            f"{f['p95_ms']:>8.0f}{f['p99_ms']:>8.0f}{f['max_ms']:>8.0f}{f['failures']:>6}"
        )
    for failure in results["failures"]:
        print(f"FAILURE {failure['count']} × {failure['page']}: {failure['error']}")


def server_errors(log: Path) -> list[str]:
    """What the server logged at ERROR: Django logs every 500 with its traceback."""
    text = log.read_text(encoding="utf-8", errors="replace")
    return re.findall(r"^.*(?:Internal Server Error|Traceback|\[CRITICAL\]|WORKER TIMEOUT).*$", text, re.M)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (default 60)")
    parser.add_argument("--users", type=int, default=20, help="simulated users (default 20)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--database", default="aap_load")
    parser.add_argument("--max-requests", type=int, default=20_000, help="stop after this many requests")
    parser.add_argument("--think", default="0.5,2", help="seconds between a user's pages, min,max (default 0.5,2)")
    args = parser.parse_args()
    if not 1 <= args.duration <= 600 or not 1 <= args.users <= 200:
        raise SystemExit("--duration is 1 to 600 seconds and --users 1 to 200: this is a bounded benchmark.")

    with tempfile.TemporaryDirectory(prefix="aap-load-") as tmp:
        folder = Path(tmp)
        env = production_environment(folder, args.database)
        os.environ.clear()
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        os.chdir(ROOT)

        # Other work on the machine skews the figures: its load average is kept with them.
        load_before = round(os.getloadavg()[0], 2)
        started = time.monotonic()
        recreate_database(args.database)
        setup = prepare(folder)
        print(f"Database {args.database} ready in {time.monotonic() - started:.1f} s.", flush=True)
        config = folder / "load.json"
        config.write_text(json.dumps(setup))

        base_url = f"http://{HOST}:{args.port}"
        log = folder / "gunicorn.log"
        with open(log, "w") as log_file:
            server = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "aap.wsgi:application"),
                    *("--bind", f"{HOST}:{args.port}", "--workers", str(args.workers)),
                    # The proxy header is trusted from the loopback only, as from a load balancer in production.
                    *("--forwarded-allow-ips", HOST, "--no-control-socket", "--timeout", "60"),
                ],
                env=env,
                cwd=ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_until_up(f"{base_url}/connexion/", time.monotonic() + 60, server, log)
                figures = folder / "figures.json"
                locust = [
                    *(sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary"),
                    *("-u", str(args.users), "-r", str(args.users), "--run-time", f"{args.duration}s"),
                    *("--host", base_url, "--stop-timeout", "10", "--loglevel", "WARNING"),
                ]
                locust_env = {
                    **env,
                    "AAP_LOAD_CONFIG": str(config),
                    "AAP_LOAD_MAX_REQUESTS": str(args.max_requests),
                    "AAP_LOAD_RESULTS": str(figures),
                    "AAP_LOAD_THINK": args.think,
                }
                print(f"locust: {args.users} users for {args.duration} s against {base_url}", flush=True)
                with open(folder / "locust.log", "w") as locust_log:
                    run = subprocess.run(
                        locust,
                        env=locust_env,
                        cwd=ROOT,
                        timeout=args.duration + 90,
                        check=False,
                        stdout=locust_log,
                        stderr=subprocess.STDOUT,
                    )
                if not figures.exists():
                    log_text = (folder / "locust.log").read_text()
                    raise SystemExit(f"locust failed (exit code {run.returncode}):\n{log_text}")
            finally:
                stop(server)
        results = json.loads(figures.read_text(encoding="utf-8"))
        errors = server_errors(log)

    results = {
        "settings": {
            "users": args.users,
            "duration_s": args.duration,
            "gunicorn_workers": args.workers,
            "think_time_s": args.think,
            "database": "PostgreSQL",
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
        },
        **results,
        "server_errors": errors,
    }
    print_table(results)
    if errors:
        print(f"{len(errors)} error lines in gunicorn's log:", *errors[:20], sep="\n  ")
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"Written to {RESULTS.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
