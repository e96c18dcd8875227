"""Load test: the production settings on two gunicorn instances behind nginx, browsed by landlords, committee
members and the secretariat; one instance killed halfway through the last phase.

    uv run python bench/load.py [--duration 60] [--step 15] [--users 50] [--think 0.5,2] [--workers 4]

Needs nginx (./scripts/bootstrap load installs it), PostgreSQL at 127.0.0.1:5432 (user postgres, trust
authentication) and Redis at 127.0.0.1:6379 (started here if nothing answers there). Everything stays on the
loopback interface:
- the database `aap_load`, recreated, migrated, with the demo (PACA 2018) and one load-test account per
  simulated user, by role, each with a generated password and an API token;
- an S3 store: moto in server mode, with a bucket; the app is given AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL,
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_S3_REGION_NAME and REDIS_URL (a Redis database of its own,
  emptied), as a deployment gives them, and MEDIA_ROOT, one folder both instances and the worker share;
- two gunicorn instances (--workers each) with the production settings (DEBUG off, AAP_DEMO unset, a generated
  SECRET_KEY, static files collected and served by WhiteNoise), behind nginx as the load balancer (its
  configuration is written by bench/load_stack.py), and one task worker (`manage.py db_worker`);
- locust, as a library (bench/load_phases.py, the users in bench/load_locustfile.py), runs the phases: the floor
  (the login page, anonymous), the signed-in floor (a landlord's lightest page) and the whole mix, each ramped
  without think time to saturation; --users users with think time; the same with one instance killed (SIGKILL)
  halfway. Each ramp's steps give the CPU each part of the stack used per request (gunicorn, PostgreSQL, nginx,
  the worker, the S3 store, the client, the rest of the machine).
Then every write the users were told succeeded is looked for in the database, once the worker has emptied the
queue. It prints a table and writes bench/load.json; the run stops after its phases or --max-requests requests.

HTTPS is terminated by the load balancer in production: here nginx sends `X-Forwarded-Proto: https`, which
gunicorn accepts from 127.0.0.1 and Django reads through SECURE_PROXY_SSL_HEADER, so that the HTTPS redirect,
HSTS, secure cookies and the CSRF referer check all run as they do in production.
"""

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import load_stack as stack
from load_checks import summary, verify

ROOT = Path(__file__).resolve().parent.parent
HOST = stack.HOST
POSTGRES = f"postgres://postgres@{HOST}:5432"
RESULTS = ROOT / "bench" / "load.json"
PHASES = ROOT / "bench" / "load_phases.py"


def production_environment(folder: Path, database: str) -> dict[str, str]:
    """The environment a production deployment would give the app; nothing of the demo or debug modes."""
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "AAP_DEMO", "SECURE_SSL_REDIRECT"}}
    env.update(
        DJANGO_SETTINGS_MODULE="aap.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        DATABASE_URL=f"{POSTGRES}/{database}",
        CONN_MAX_AGE="60",
        AAP_VAR_DIR=str(folder / "var"),
        MEDIA_ROOT=str(folder / "media"),
        STATIC_ROOT=str(folder / "static"),
        # One load balancer appends the client's address to X-Forwarded-For: login throttling reads it there.
        AXES_PROXY_COUNT="1",
        # E-mails are the worker's; a dummy backend keeps them out of its log.
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


def _accounts(role: str, count: int, membership: dict) -> list[dict]:
    """count accounts of a role, one password for all (hashed once: Argon2 takes its time), each its own token."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User

    from api.tokens import token_create
    from core.models import Membership

    password = secrets.token_urlsafe(18)
    # Not in the demo group: these accounts log in with the production settings.
    users = User.objects.bulk_create(
        User(username=f"charge.{role}.{n}", password=make_password(password), first_name="Charge") for n in range(count)
    )
    roles = {"landlord": Membership.Role.LANDLORD_STAFF, "secretariat": Membership.Role.SECRETARIAT}
    Membership.objects.bulk_create(
        Membership(user=user, **{"role": roles.get(role), **membership(n)}) for n, user in enumerate(users)
    )
    return [
        {"username": user.username, "password": password, "token": token_create(user=user, name="Charge", days=30)[1]}
        for user in users
    ]


def prepare(folder: Path, count: int) -> dict:
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

    from django.urls import reverse

    from core.models import Committee, Dossier, JointOpinion, Membership, Organisation
    from core.permissions import Access
    from core.workflow import allows
    from demo.setup import demo_setup

    demo_setup()
    committee = Committee.objects.filter(joint_opinions__isnull=False).select_related("call").get()
    joint_opinion = JointOpinion.objects.filter(committee=committee).order_by("-version").first()
    landlords = list(Organisation.objects.filter(led_dossiers__committee=committee).distinct().order_by("name"))
    national = Organisation.objects.get(kind=Organisation.Kind.NATIONAL)
    role = Membership.Role
    # The landlords' accounts are spread over the committee's landlords, each with its own dossiers and threads.
    member = {"organisation": committee.institutions[0], "role": role.COMMITTEE_MEMBER, "committee": committee}
    accounts = {
        "landlord": _accounts("landlord", count, lambda n: {"organisation": landlords[n % len(landlords)]}),
        "member": _accounts("member", count, lambda n: member),
        "secretariat": _accounts("secretariat", count, lambda n: {"organisation": national}),
    }
    landlord_accounts = accounts["landlord"]
    from django.contrib.auth.models import User

    def thread(name: str, dossier: Dossier) -> list[str]:
        return [reverse(name, args=[dossier.pk]), reverse("dossier_exchanges", args=[dossier.pk])]

    for n, account in enumerate(landlord_accounts):
        own = Dossier.objects.filter(committee=committee, lead_landlord=landlords[n % len(landlords)])
        access = Access(User.objects.get(username=account["username"]))
        account["dossiers"] = [reverse("dossier_detail", args=[d.pk]) for d in own]
        account["threads"] = [thread("message_new", d) for d in own if allows(access, "exchanges.message", d)]
        if not account["threads"]:
            raise SystemExit(f"{landlords[n % len(landlords)]} may post on none of its dossiers: no write to check.")
    reader = Access(User.objects.get(username=accounts["member"][0]["username"]))
    secretariat = Access(User.objects.get(username=accounts["secretariat"][0]["username"]))
    notes = [thread("note_new", d) for d in committee.dossiers.all() if allows(reader, "exchanges.note", d)]
    exports = allows(reader, "committee.export", committee) and allows(secretariat, "call.export", committee.call)
    if not (notes and exports):
        raise SystemExit("The demo's committee takes no note or no export from the load-test accounts.")

    if collectstatic.wait() != 0:
        raise SystemExit("collectstatic failed.")
    # Every URL comes from the URL configuration, so that a change of route does not silently turn into 404s.
    return {
        "run": f"charge{secrets.token_hex(3)}",
        "accounts": accounts,
        "urls": {
            "login": reverse("login"),
            "tokens": reverse("api_tokens"),
            "home": reverse("home"),
            "new_dossier": reverse("dossier_new"),
            "committee": reverse("committee_detail", args=[committee.pk]),
            "committee_dashboard": reverse("dashboard_committee", args=[committee.pk]),
            "national_dashboard": reverse("dashboard_national"),
            "selection": reverse("call_selection", args=[committee.call_id]),
            "calls": reverse("call_list"),
            "avis_conjoint": reverse("joint_opinion", args=[joint_opinion.uuid]),
            "avis_conjoint_pdf": reverse("joint_opinion_download", args=[joint_opinion.uuid, "pdf"]),
            "api_dossiers": "/api/v1/dossiers",
            "committee_dossiers": [reverse("dossier_detail", args=[d.pk]) for d in committee.dossiers.all()],
            "notes": notes,
            "committee_export": reverse("committee_export", args=[committee.uuid]),
            "call_export": reverse("call_export", args=[committee.call.uuid]),
        },
    }


def print_table(title: str, phase: dict) -> None:
    print(f"\n{title}")
    header = f"{'page':<40}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}{'fail':>6}"
    print(header)
    print("-" * len(header))
    rows = [
        *sorted(phase["pages"].items()),
        *((f"[{k}]", f) for k, f in phase["kinds"].items()),
        ("TOTAL", phase["total"]),
    ]
    for name, f in rows:
        print(
            f"{name[:39]:<40}{f['requests']:>9}{f['requests_per_second']:>8.1f}{f['p50_ms']:>8.0f}"
            f"{f['p95_ms']:>8.0f}{f['p99_ms']:>8.0f}{f['max_ms']:>8.0f}{f['failures']:>6}"
        )
    for failure in phase["failures"]:
        print(f"FAILURE {failure['count']} × {failure['page']}: {failure['error']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of the steady and kill phases (default 60)")
    parser.add_argument("--step", type=int, default=15, help="seconds of a ramp step (default 15)")
    parser.add_argument("--users", type=int, default=50, help="simulated users with think time (default 50)")
    parser.add_argument("--ramp-max", type=int, default=64, help="most users of a ramp (default 64)")
    parser.add_argument("--think", default="0.5,2", help="seconds between a user's pages, min,max (default 0.5,2)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per instance (default 4)")
    parser.add_argument("--port", type=int, default=8700, help="nginx; the instances on the next two, moto on +9")
    parser.add_argument("--database", default="aap_load")
    parser.add_argument("--redis-db", type=int, default=13, help="the Redis database number, emptied (default 13)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop after this many requests")
    args = parser.parse_args()
    if not (
        1 <= args.duration <= 600 and 1 <= args.step <= 120 and 1 <= args.users <= 200 and 2 <= args.ramp_max <= 200
    ):
        raise SystemExit("--duration ≤ 600 s, --step ≤ 120 s, --users and --ramp-max ≤ 200: a bounded benchmark.")
    stack.nginx_binary()
    ports = {"balancer": args.port, "a": args.port + 1, "b": args.port + 2, "s3": args.port + 9}
    if busy := [f"{name} {port}" for name, port in ports.items() if not stack.port_free(port)]:
        raise SystemExit(f"Ports in use: {', '.join(busy)} (--port moves them).")

    with tempfile.TemporaryDirectory(prefix="aap-load-") as tmp:
        folder = Path(tmp)
        env = production_environment(folder, args.database)
        # Other work on the machine skews the figures: its load average is kept with them.
        load_before = [round(x, 2) for x in os.getloadavg()]
        started = time.monotonic()
        recreate_database(args.database)
        services = {}
        try:
            services["s3"], s3 = stack.object_store(folder, ports["s3"])
            services["redis"] = stack.redis(folder, args.redis_db)
            env.update(s3, REDIS_URL=f"redis://{HOST}:{stack.REDIS_PORT}/{args.redis_db}")
            os.environ.clear()
            os.environ.update(env)
            sys.path.insert(0, str(ROOT))
            os.chdir(ROOT)
            warm_up_users = 4 * args.workers
            # Enough accounts for every user a phase starts: those stopped do not always give theirs back.
            config = prepare(folder, warm_up_users + max(args.users, args.ramp_max))
            print(f"Database {args.database} ready in {time.monotonic() - started:.1f} s.", flush=True)
            (folder / "config.json").write_text(json.dumps(config))

            logs = {name: folder / f"{name}.log" for name in ("a", "b", "worker")}
            for name in ("a", "b"):
                services[name] = stack.gunicorn(ports[name], args.workers, env, logs[name])
            services["worker"] = stack.worker(env, logs["worker"])
            services["nginx"] = stack.balancer(folder, ports["balancer"], [ports["a"], ports["b"]])
            logs["nginx"] = folder / "nginx" / "error.log"
            # Each instance's first request imports the views, WeasyPrint among them: long on a busy machine.
            deadline = time.monotonic() + 300
            for name, port in (("a", ports["a"]), ("b", ports["b"]), ("nginx", ports["balancer"])):
                url = f"http://{HOST}:{port}/connexion/"
                stack.wait_for(url, lambda url=url: stack.http_ok(url), deadline, services[name], logs[name])

            figures = folder / "figures.json"
            plan = {
                "host": f"http://{HOST}:{ports['balancer']}",
                **{key: getattr(args, key) for key in ("duration", "step", "users", "ramp_max", "max_requests")},
                "think": [float(bound) for bound in args.think.split(",")],
                "warm_up_users": warm_up_users,
                "warm_up_s": 2 * args.step,
                # Instance a: its process group, master and workers.
                "kill_pgid": services["a"].pid,
                "kill_port": ports["a"],
            }
            locust_env = {
                **env,
                "AAP_LOAD_CONFIG": str(folder / "config.json"),
                "AAP_LOAD_PLAN": json.dumps(plan),
                "AAP_LOAD_RESULTS": str(figures),
            }
            print(f"locust against {plan['host']}: instances on {ports['a']} and {ports['b']}", flush=True)
            with open(folder / "locust.log", "w") as locust_log:
                run = subprocess.run(
                    [sys.executable, str(PHASES)],
                    env=locust_env,
                    cwd=ROOT,
                    timeout=3600,
                    check=False,
                    stdout=locust_log,
                    stderr=subprocess.STDOUT,
                )
            if not figures.exists():
                raise SystemExit(f"locust failed ({run.returncode}):\n{(folder / 'locust.log').read_text()[-5000:]}")
            results = json.loads(figures.read_text(encoding="utf-8"))
            results["writes"] = verify(config, results["writes"])
            results["writes"]["objects_in_s3"] = stack.stored_objects(s3)
        finally:
            for name in ("nginx", "a", "b", "worker", "s3", "redis"):
                if services.get(name) is not None:
                    stack.stop(services[name], signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        for phase in ("steady", "kill"):
            if phase in results:
                times = [results[phase][key] for key in ("started", "ended", "killed", "dead")]
                results[phase]["balancer"] = stack.balanced(folder, *times, instance=f"{HOST}:{ports['a']}")
        results["upstream_errors"] = stack.upstream_errors(folder)
        errors = {name: stack.server_errors(log) for name, log in logs.items() if name != "nginx"}
        load_after = [round(x, 2) for x in os.getloadavg()]

    results = {
        "date": date.today().isoformat(),
        "settings": {
            "users": args.users,
            "duration_s": args.duration,
            "ramp_step_s": args.step,
            "think_time_s": args.think,
            "instances": 2,
            "gunicorn_workers_per_instance": args.workers,
            "balancer": "nginx",
            "database": "PostgreSQL",
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": load_after,
        },
        "summary": summary(results),
        **results,
        "server_errors": errors,
    }
    for name in ("floor", "signed_in_floor", "saturation"):
        steps = ", ".join(f"{s['users']} → {s['total']['requests_per_second']}" for s in results[name]["steps"])
        print(f"{name} ramp (users → req/s): {steps}")
    for phase, title in (("steady", f"{args.users} users"), ("kill", f"{args.users} users, instance a killed")):
        if phase in results:
            print_table(title, results[phase])
    print("\nwrites:", json.dumps(results["writes"], ensure_ascii=False))
    print("summary:", json.dumps(results["summary"], ensure_ascii=False))
    if any(errors.values()):
        print("errors in the servers' logs:", json.dumps({k: v[:10] for k, v in errors.items()}, indent=1))
    print(f"load average before {load_before}, after {load_after}")
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"Written to {RESULTS.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
