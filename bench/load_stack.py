"""The services bench/load.py runs on the loopback, as a deployment runs them on its machines: the S3 store (moto
in server mode), Redis, two gunicorn instances behind nginx, one task worker.

Each is a child process with a log file of its own in the run's temporary folder; gunicorn instances are process
groups of their own, so that one can be killed whole, master and workers, as a crashed machine is.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REDIS_PORT = 6379
BUCKET = "aap-load"
REGION = "eu-west-3"


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((HOST, port)) == 0


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if not found:
        raise SystemExit("nginx is missing: ./scripts/bootstrap load installs it (Debian's package nginx).")
    return found


def spawn(command: list[str], log: Path, env: dict[str, str], own_group: bool = False) -> subprocess.Popen:
    with open(log, "w") as log_file:
        return subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=own_group
        )


def wait_for(what: str, ready, deadline: float, process: subprocess.Popen, log: Path) -> None:
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if ready():
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            last = str(error)
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-3000:]
    raise SystemExit(f"{what} did not answer ({last}, exit code {process.poll()}):\n{tail}")


def http_ok(url: str) -> bool:
    """200 from the page, as the TLS-terminating proxy would ask for it."""
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status == 200


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """SIGTERM is gunicorn's and the worker's graceful shutdown (running requests and tasks end first); SIGQUIT is
    nginx's, which also writes out its buffered access log."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def object_store(folder: Path, port: int) -> tuple[subprocess.Popen, dict[str, str]]:
    """moto's S3 on the loopback with an empty bucket; returns the server and the app's environment for it."""
    log = folder / "moto.log"
    server = spawn([sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)], log, dict(os.environ))
    endpoint = f"http://{HOST}:{port}"
    wait_for("moto", lambda: answers(port), time.monotonic() + 30, server, log)
    env = {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "aap-load",
        "AWS_SECRET_ACCESS_KEY": "aap-load-secret",
        "AWS_S3_REGION_NAME": REGION,
    }
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return server, env


def stored_objects(env: dict[str, str]) -> int:
    """How many objects the bucket holds: the files the app wrote there, once it writes to S3."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=env["AWS_S3_ENDPOINT_URL"],
        region_name=env["AWS_S3_REGION_NAME"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=env["AWS_STORAGE_BUCKET_NAME"])
    return sum(page.get("KeyCount", 0) for page in pages)


def redis(folder: Path, database: int) -> subprocess.Popen | None:
    """Redis at 127.0.0.1:6379, started here if nothing answers there; the run's database number is emptied first,
    since its cache would describe a database that no longer exists."""
    server = None
    if not answers(REDIS_PORT):
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("Redis is missing: ./scripts/bootstrap load installs it (Debian's package redis-server).")
        log = folder / "redis.log"
        command = [binary, "--bind", HOST, "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no"]
        server = spawn(command, log, dict(os.environ))
        wait_for("redis-server", lambda: answers(REDIS_PORT), time.monotonic() + 15, server, log)
    with socket.create_connection((HOST, REDIS_PORT), timeout=5) as connection:
        connection.sendall(f"SELECT {database}\r\nFLUSHDB\r\n".encode())
        reply = b""
        while reply.count(b"\r\n") < 2:
            reply += connection.recv(64)
    if reply != b"+OK\r\n+OK\r\n":
        raise SystemExit(f"Redis refused to empty database {database}: {reply!r}")
    return server


def gunicorn(port: int, workers: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [
        *(sys.executable, "-m", "gunicorn", "aap.wsgi:application"),
        *("--bind", f"{HOST}:{port}", "--workers", str(workers)),
        # The proxy headers are trusted from the load balancer only, on the loopback as on a private network.
        *("--forwarded-allow-ips", HOST, "--no-control-socket", "--timeout", "60"),
    ]
    return spawn(command, log, env, own_group=True)


def worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return spawn([sys.executable, "manage.py", "db_worker", "--queue-name", "*"], log, env)


def nginx_conf(prefix: Path, port: int, upstreams: list[int]) -> str:
    servers = "\n".join(f"        server {HOST}:{p} max_fails=1 fail_timeout=10s;" for p in upstreams)
    # As root, nginx's workers would run as nobody, who cannot enter this private temporary folder.
    user = "user root root;" if os.geteuid() == 0 else ""
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "\n".join(f"    {kind}_temp_path {prefix}/{kind};" for kind in kinds)
    return f"""# Written by bench/load.py: the load balancer in front of the app's instances, as a deployment has one.
{user}
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
{temp}
    # Which instance answered each request, and whether another was tried first ("first, second" in $upstream_addr).
    log_format balanced '$msec $request_method $status "$upstream_addr" "$upstream_status" $request_time $uri';
    access_log {prefix}/access.log balanced buffer=64k flush=1s;
    # The app takes files of 20 MB at most; the form around them adds a little.
    client_max_body_size 25m;
    upstream aap {{
{servers}
    }}
    server {{
        listen {HOST}:{port};
        location / {{
            proxy_pass http://aap;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # In production this server terminates TLS and would say $scheme; here it stands for it on plain HTTP.
            proxy_set_header X-Forwarded-Proto https;
            # gunicorn's sync workers close each connection: no keep-alive pool to the instances. nginx buffers the
            # answers, so a slow client never holds a worker.
            proxy_connect_timeout 2s;
            # Longer than gunicorn's 60 s timeout: gunicorn's fires first and logs which request it was.
            proxy_read_timeout 65s;
            # A request goes to the other instance when this one cannot be reached or drops the connection before
            # answering ("error"), as a deployment does when an instance dies. nginx never re-sends a POST that
            # reached an instance (non_idempotent is left out): the instance may have written it before dying, and
            # the user must be told it failed rather than have it written twice. A POST whose connection was refused
            # never reached the app and is safe to send elsewhere; nginx does. Timeouts are left out on purpose:
            # a GET that is merely slow (a PDF) sent again to the other instance doubles the work when the
            # instances are already the bottleneck.
            proxy_next_upstream error;
            proxy_next_upstream_tries 2;
        }}
    }}
}}
"""


def balancer(folder: Path, port: int, upstreams: list[int]) -> subprocess.Popen:
    prefix = folder / "nginx"
    prefix.mkdir()
    (prefix / "nginx.conf").write_text(nginx_conf(prefix, port, upstreams))
    command = [nginx_binary(), "-p", f"{prefix}/", "-c", f"{prefix}/nginx.conf", "-e", f"{prefix}/error.log"]
    return spawn(command, prefix / "stdout.log", dict(os.environ))


def balanced(
    folder: Path, since: float, until: float, killed: float | None = None, dead: float | None = None, instance: str = ""
) -> dict:
    """From nginx's access log, between two times: requests by the instance that answered them, those another
    instance answered after a first failed (retried), and nginx's own error answers (502, 504). With the times an
    instance was killed and refused connections: the requests it had in flight meanwhile, and what became of them."""
    counts: dict[str, int] = {}
    retried = errors = 0
    in_flight: Counter = Counter()
    line = re.compile(r'^(\S+) (\S+) (\d+) "([^"]*)" "([^"]*)" (\S+)')
    for text in (folder / "nginx" / "access.log").read_text(errors="replace").splitlines():
        match = line.match(text)
        if not match or not since <= float(match[1]) <= until:
            continue
        tried = [address.strip() for address in match[4].split(",")]
        counts[tried[-1]] = counts.get(tried[-1], 0) + 1
        retried += len(tried) > 1
        errors += match[3] in {"502", "504"}
        end = float(match[1])
        if killed is not None and tried[0] == instance and end - float(match[6]) <= dead and killed <= end:
            outcome = "answered by the other" if len(tried) > 1 else f"HTTP {match[3]}"
            in_flight[f"{match[2]} {outcome}"] += 1
    figures = {"by_instance": dict(sorted(counts.items())), "retried": retried, "balancer_errors": errors}
    if killed is not None:
        figures["in_flight_on_killed"] = dict(in_flight)
    return figures


def upstream_errors(folder: Path) -> dict[str, int]:
    """nginx's error log, by what went wrong with an instance: refused connections (an instance down), connections
    dropped before an answer (an instance that died with the request)."""
    text = (folder / "nginx" / "error.log").read_text(errors="replace")
    found = re.findall(r"\] \d+#\d+: \*\d+ (.+?) while ", text)
    return dict(Counter(re.sub(r"\(\d+: ", "(", error) for error in found))


def server_errors(log: Path) -> list[str]:
    """What a server logged at ERROR: Django logs every 500 with its traceback, gunicorn a worker it killed."""
    text = log.read_text(encoding="utf-8", errors="replace")
    return re.findall(r"^.*(?:Internal Server Error|Traceback|\[CRITICAL\]|WORKER TIMEOUT).*$", text, re.M)
