"""The users of bench/load.py: each logs in through the login form, then browses the pages of its role.

Run by bench/load.py, which sets AAP_LOAD_CONFIG (accounts, API tokens and the URLs of the database it
built) and AAP_LOAD_MAX_REQUESTS. Requests are named by page, so that the figures come out per page.
"""

import json
import os
import random
import re
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task

CONFIG = json.loads(Path(os.environ["AAP_LOAD_CONFIG"]).read_text(encoding="utf-8"))
URLS = CONFIG["urls"]
MAX_REQUESTS = int(os.environ.get("AAP_LOAD_MAX_REQUESTS", "20000"))
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STYLESHEET = re.compile(r'href="(/static/[^"]+\.css)"')
FILTERS = {
    "etat": ["", "avis_signe", "depose"],
    "avis": ["", "favorable", "reserve"],
    "rang": ["", "P1", "P2", "aucun"],
    "tri": ["", "projet", "bailleur", "etat"],
}

_run = {"sent": 0, "environment": None}


@events.init.add_listener
def _keep_environment(environment, **kwargs):
    _run["environment"] = environment


@events.request.add_listener
def _bounded(**kwargs):
    """Stop the whole run once the request budget is spent, whatever the duration left."""
    _run["sent"] += 1
    if _run["sent"] == MAX_REQUESTS:
        gevent.spawn(_run["environment"].runner.quit)


def _figures(entry) -> dict:
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "requests_per_second": round(entry.total_rps, 2),
        "p50_ms": entry.get_response_time_percentile(0.50),
        "p95_ms": entry.get_response_time_percentile(0.95),
        "p99_ms": entry.get_response_time_percentile(0.99),
        "max_ms": round(entry.max_response_time or 0, 1),
    }


@events.quitting.add_listener
def _write_results(environment, **kwargs):
    """The final figures, once every user has stopped, for bench/load.py to print and keep."""
    stats = environment.stats
    results = {
        "pages": {f"{entry.method} {entry.name}": _figures(entry) for entry in stats.entries.values()},
        "total": _figures(stats.total),
        "failures": [
            {"page": f"{error.method} {error.name}", "error": str(error.error), "count": error.occurrences}
            for error in stats.errors.values()
        ],
    }
    Path(os.environ["AAP_LOAD_RESULTS"]).write_text(json.dumps(results, indent=2), encoding="utf-8")


class Role(HttpUser):
    abstract = True
    role = ""
    # Seconds a user reads a page before the next; "0,0" measures the server's capacity instead.
    wait_time = between(*(float(bound) for bound in os.environ.get("AAP_LOAD_THINK", "0.5,2").split(",")))

    def on_start(self):
        account = CONFIG["accounts"][self.role]
        self.token = account["token"]
        # What the TLS-terminating proxy adds in production; gunicorn trusts it from 127.0.0.1 only.
        self.client.headers.update({"X-Forwarded-Proto": "https"})
        page = self.get(URLS["login"], "login (form)")
        csrf = CSRF_INPUT.search(page.text or "")
        with self.client.post(
            URLS["login"],
            data={
                "csrfmiddlewaretoken": csrf.group(1) if csrf else "",
                "username": account["username"],
                "password": account["password"],
                "next": URLS["home"],
            },
            # Django checks the Referer of a secure POST against the host, as a browser sends it over HTTPS.
            headers={"Referer": f"https://{self.host.split('://', 1)[1]}{URLS['login']}"},
            name="login (post)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or response.headers.get("Location") != URLS["home"]:
                response.failure(f"login refused: HTTP {response.status_code}")
        self._plain_http_cookies()

    def _plain_http_cookies(self):
        """The browser behind the proxy speaks HTTPS and sends its Secure cookies back; this client speaks
        HTTP on the loopback, so the flag is dropped from the cookies it keeps (sessions are renewed on
        every response)."""
        for cookie in self.client.cookies:
            cookie.secure = False

    def get(self, url: str, name: str, expect: bytes | None = None, **kwargs):
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True, **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code} {response.headers.get('Location', '')}")
            elif expect is not None and expect not in response.content:
                response.failure(f"expected {expect!r} missing")
        self._plain_http_cookies()
        return response

    @task(4)
    def home(self):
        response = self.get(URLS["home"], "home", b"Mon espace")
        stylesheet = STYLESHEET.search(response.text or "")
        # A browser fetches the stylesheet with its first page; later ones come from its cache.
        if stylesheet and random.random() < 0.2:
            self.get(stylesheet.group(1), "static (css, WhiteNoise)")

    @task(2)
    def api_dossiers(self):
        self.get(URLS["api_dossiers"], "API dossiers", b'"items"', headers={"Authorization": f"Bearer {self.token}"})

    def avis_conjoint(self):
        self.get(URLS["avis_conjoint"], "avis conjoint (published)", b"PROJET")

    def avis_conjoint_pdf(self):
        # WeasyPrint: seconds of CPU, so once in a while.
        if random.random() < 0.25:
            self.get(URLS["avis_conjoint_pdf"], "avis conjoint PDF", b"%PDF-")


class Landlord(Role):
    weight = 3
    role = "landlord"

    @task(4)
    def dossier(self):
        self.get(random.choice(URLS["landlord_dossiers"]), "dossier")

    @task(2)
    def published(self):
        self.avis_conjoint()

    @task(1)
    def new_dossier_form(self):
        self.get(URLS["new_dossier"], "new dossier (form)")

    @task(1)
    def pdf(self):
        self.avis_conjoint_pdf()


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
