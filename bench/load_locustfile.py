"""The users of bench/load.py, which bench/load_phases.py runs: each logs in through the login form, then browses
the pages of its role, writes on dossier threads and asks for exports.

AAP_LOAD_CONFIG names the accounts (one per simulated user, by role, with a generated password and an API token)
and the URLs of the database load.py built. Requests are named by page, so that the figures come out per page, and
each name has a kind (page, document, write...), so that they also come out per kind.
"""

import json
import os
import random
import re
import time
import uuid
from pathlib import Path

import gevent
from gevent.event import Event
from locust import HttpUser, constant, events, task

CONFIG = json.loads(Path(os.environ["AAP_LOAD_CONFIG"]).read_text(encoding="utf-8"))
PLAN = json.loads(os.environ.get("AAP_LOAD_PLAN", "{}"))
URLS = CONFIG["urls"]
RUN = CONFIG["run"]
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STYLESHEET = re.compile(r'href="(/static/[^"]+\.css)"')
FILTERS = {
    "etat": ["", "avis_signe", "depose"],
    "avis": ["", "favorable", "reserve"],
    "rang": ["", "P1", "P2", "aucun"],
    "tri": ["", "projet", "bailleur", "etat"],
}
# Seconds a user reads a page before the next: set by each phase.
THINK = [0.0, 0.0]
# The accounts not in use, by role: a user takes one as it starts and gives it back as it stops.
FREE = {role: list(accounts) for role, accounts in CONFIG["accounts"].items()}
# What the figures are split by; a name not listed is a page.
KINDS: dict[str, str] = {}
# Every write the users were told succeeded, and every failed request with its times, for load.py to check.
WRITES: dict[str, list] = {"message": [], "note": [], "export": []}
FAILED: list[dict] = []
STOP = Event()
CURRENT = {"requests": 0, "phase": ""}


@events.request.add_listener
def _on_request(request_type, name, response_time, exception=None, start_time=None, **kwargs):
    """Failed requests with their start and end, to tell those in flight when an instance died; and the request
    budget: once spent, the run stops whatever the time left."""
    if exception is not None:
        start = start_time or time.time() - response_time / 1000
        FAILED.append(
            {
                "phase": CURRENT["phase"],
                "page": f"{request_type} {name}",
                "error": str(exception)[:200],
                "start": start,
                "end": start + response_time / 1000,
            }
        )
    CURRENT["requests"] += 1
    if CURRENT["requests"] >= PLAN.get("max_requests", 100_000):
        STOP.set()


class Floor(HttpUser):
    """A first visit: the login page, anonymous; every middleware runs, no query, the base template."""

    wait_time = constant(0)
    ready = True

    @task
    def login_form(self):
        with self.client.get(URLS["login"], name="login (form)", allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200 or b'name="password"' not in r.content:
                r.failure(f"HTTP {r.status_code}")


class Role(HttpUser):
    abstract = True
    role = ""
    ready = False

    def wait_time(self):
        return random.uniform(*THINK)

    def on_start(self):
        if not FREE[self.role]:
            raise SystemExit(f"No {self.role} account left: load.py creates too few.")
        self.account = FREE[self.role].pop()
        self.origin = "https://" + self.host.split("://", 1)[1]
        page = self.get(URLS["login"], "login (form)", kind="login")
        csrf = CSRF_INPUT.search(page.text or "")
        with self.client.post(
            URLS["login"],
            data={
                "csrfmiddlewaretoken": csrf.group(1) if csrf else "",
                "username": self.account["username"],
                "password": self.account["password"],
                "next": URLS["home"],
            },
            headers={"Referer": self.origin + URLS["login"]},
            name="login (post)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or response.headers.get("Location") != URLS["home"]:
                response.failure(f"login refused: HTTP {response.status_code}")
        KINDS["login (post)"] = "login"
        self._plain_http_cookies()
        self.ready = True

    def on_stop(self):
        FREE[self.role].append(self.account)

    def _plain_http_cookies(self):
        """The browser behind the proxy speaks HTTPS and sends its Secure cookies back; this client speaks
        HTTP on the loopback, so the flag is dropped from the cookies it keeps (sessions are renewed on
        every response)."""
        for cookie in self.client.cookies:
            cookie.secure = False

    def get(self, url: str, name: str, expect: bytes | None = None, kind: str = "page", **kwargs):
        KINDS[name] = kind
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True, **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code} {response.headers.get('Location', '')}")
            elif expect is not None and expect not in response.content:
                response.failure(f"expected {expect!r} missing")
        self._plain_http_cookies()
        return response

    def post(self, url: str, name: str, data: dict, referer: str, redirect: str) -> str | None:
        """The form sent as a browser sends it; the Location the app redirected to, if it is the one expected
        (the user is told it worked), else None and a failure."""
        KINDS[name] = "write"
        # Django rotates the CSRF secret at login. A form carries it masked; Django takes it as the cookie holds it too.
        data = {"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""), **data}
        headers = {"Referer": self.origin + referer}
        with self.client.post(
            url, data=data, headers=headers, name=name, allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "")
            told_ok = response.status_code in {301, 302, 303} and location.startswith(redirect)
            if not told_ok:
                response.failure(f"HTTP {response.status_code} {location}")
        self._plain_http_cookies()
        return location if told_ok else None

    def write_on_thread(self, kind: str, post_url: str, exchanges_url: str):
        """A message or a note with a marker of its own; told it is saved, the user reads the thread again,
        through whichever instance answers."""
        marker = f"{RUN}-{kind}-{uuid.uuid4().hex[:12]}"
        sent_at = time.time()
        if self.post(post_url, kind, {"body": f"Test de charge {marker}"}, exchanges_url, exchanges_url):
            WRITES[kind].append({"marker": marker, "at": sent_at, "phase": CURRENT["phase"]})
            self.get(exchanges_url, f"exchanges (after a {kind})", marker.encode())

    def export(self, ask_url: str, from_page: str):
        """Asks for an export, watches its progress as the page's htmx does (every second), downloads it."""
        sent_at = time.time()
        page = self.post(ask_url, "export (ask)", {"format": random.choice(["xlsx", "csv"])}, from_page, "/exports/")
        if page is None:
            return
        WRITES["export"].append({"uuid": page.rstrip("/").rsplit("/", 1)[-1], "at": sent_at, "phase": CURRENT["phase"]})
        self.get(page, "export (page)")
        for _ in range(60):
            progress = self.get(page, "export (progress, htmx)", kind="poll", headers={"HX-Request": "true"})
            if b"/fichier/" in progress.content or progress.status_code != 200:
                break
            gevent.sleep(1)
        else:
            KINDS["export (ready in 60 s)"] = "write"
            events.request.fire(
                request_type="GET",
                name="export (ready in 60 s)",
                response_time=60_000,
                response_length=0,
                exception=Exception("not ready after 60 s"),
                context={},
                start_time=time.time() - 60,
            )
            return
        if progress.status_code == 200:
            self.get(f"{page}fichier/", "export (file)", kind="document")

    @task(4)
    def home(self):
        response = self.get(URLS["home"], "home", b"Mon espace")
        stylesheet = STYLESHEET.search(response.text or "")
        # A browser fetches the stylesheet with its first page; later ones come from its cache.
        if stylesheet and random.random() < 0.2:
            self.get(stylesheet.group(1), "static (css, WhiteNoise)", kind="static")

    @task(2)
    def api_dossiers(self):
        headers = {"Authorization": f"Bearer {self.account['token']}"}
        self.get(URLS["api_dossiers"], "API dossiers", b'"items"', kind="api", headers=headers)

    def avis_conjoint(self):
        self.get(URLS["avis_conjoint"], "avis conjoint (published)", b"PROJET")

    def avis_conjoint_pdf(self):
        # WeasyPrint: seconds of CPU, so once in a while.
        if random.random() < 0.25:
            self.get(URLS["avis_conjoint_pdf"], "avis conjoint PDF", b"%PDF-", kind="document")


class Landlord(Role):
    weight = 3
    role = "landlord"

    @task(4)
    def dossier(self):
        self.get(random.choice(self.account["dossiers"]), "dossier")

    @task(2)
    def published(self):
        self.avis_conjoint()

    @task(1)
    def new_dossier_form(self):
        self.get(URLS["new_dossier"], "new dossier (form)")

    @task(1)
    def pdf(self):
        self.avis_conjoint_pdf()

    @task(1)
    def message(self):
        self.write_on_thread("message", *random.choice(self.account["threads"]))


class CommitteeMember(Role):
    weight = 2
    role = "member"

    @task(4)
    def committee(self):
        filters = {name: random.choice(values) for name, values in FILTERS.items()}
        query = "&".join(f"{name}={value}" for name, value in filters.items() if value)
        self.get(f"{URLS['committee']}?{query}", "committee (filters)")

    @task(4)
    def dossier(self):
        self.get(random.choice(URLS["committee_dossiers"]), "dossier")

    @task(2)
    def published(self):
        self.avis_conjoint()

    @task(1)
    def dashboard(self):
        self.get(URLS["committee_dashboard"], "dashboard (committee)", b"<svg")

    @task(1)
    def pdf(self):
        self.avis_conjoint_pdf()

    @task(1)
    def note(self):
        self.write_on_thread("note", *random.choice(URLS["notes"]))

    @task(1)
    def export_committee(self):
        self.export(URLS["committee_export"], URLS["committee"])


class Secretariat(Role):
    weight = 1
    role = "secretariat"

    @task(3)
    def selection(self):
        self.get(URLS["selection"], "national selection")

    @task(2)
    def dashboard(self):
        self.get(URLS["national_dashboard"], "dashboard (national)", b"<svg")

    @task(2)
    def committee(self):
        self.get(URLS["committee"], "committee (filters)")

    @task(2)
    def dossier(self):
        self.get(random.choice(URLS["committee_dossiers"]), "dossier")

    @task(1)
    def calls(self):
        self.get(URLS["calls"], "calls")

    @task(1)
    def export_call(self):
        self.export(URLS["call_export"], URLS["selection"])


class SignedInFloor(Role):
    """The floor of a signed-in user: the lightest page there is, its API tokens (one query of its own). The
    session, the user, its memberships and the header's navigation are read as on every page."""

    role = "landlord"

    @task
    def tokens(self):
        self.get(URLS["tokens"], "API tokens (signed-in floor)")


ROLES = [Landlord, CommitteeMember, Secretariat]
