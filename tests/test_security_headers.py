"""Security headers on every page, and a browser that reports no Content Security Policy violation."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from core.models import Committee, Dossier
from tests.browser import log_in, log_out

# A listener added before any page script runs: it reports each violation to the test.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolation(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.mark.parametrize("user", ["anonymous", "secretariat", "landlord"])
def test_pages_carry_the_security_headers(cast, login, user):
    client = login(cast.users[user])
    pages = [reverse("login"), reverse("password_reset")]
    if user != "anonymous":
        pages += [reverse("home"), reverse("dossier_detail", args=[cast.dossier.pk]), reverse("api_tokens")]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        csp = policy(response)
        assert csp["default-src"] == ["'self'"]
        assert csp["script-src"] == ["'self'"], "no inline script, no eval, nothing from elsewhere"
        assert csp["style-src"] == ["'self'"]
        assert csp["img-src"] == ["'self'", "data:"]
        assert csp["object-src"] == ["'none'"]
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["form-action"] == ["'self'"]
        assert csp["base-uri"] == ["'self'"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_refusals_and_errors_carry_the_policy_too(cast, login):
    client = login(cast.users["other_landlord"])
    for response in (client.get(reverse("dossier_detail", args=[cast.dossier.pk])), client.get("/nulle-part/")):
        assert response.status_code in (403, 404)
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_api_docs_page_needs_no_exception(cast, login):
    """ninja's Swagger UI loads its script from a static file and its settings as JSON: the strict policy
    holds there too (the browser test below opens it), so no view relaxes it."""
    client = login(cast.users["secretariat"])
    for url in ("/api/v1/docs", "/api/v1/openapi.json"):
        csp = policy(client.get(url))
        assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]


def test_no_template_has_inline_script_or_event_handler():
    """Every template the pages use: the project's, and the django-dsfr blocks they extend."""
    import re
    from pathlib import Path

    import dsfr

    root = Path(__file__).resolve().parent.parent
    templates = [p for p in root.glob("**/templates/**/*.html") if ".venv" not in p.parts]
    templates += [Path(dsfr.__file__).parent / "templates" / "dsfr" / name for name in ("base.html", "global_js.html")]
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")|<style|\son[a-z]+=|\sstyle=")
    offenders = [f"{path}: {m.group()}" for path in templates for m in inline.finditer(path.read_text())]
    assert offenders == []


@pytest.fixture
def violations(page: Page) -> list[str]:
    """Every CSP violation the browser reports, from events and from the console."""
    found: list[str] = []

    def report(text: str) -> None:
        found.append(text)

    def console(message) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    page.expose_function("cspViolation", report)
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", console)
    return found


def test_the_demo_pages_raise_no_csp_violation(server, demo, settings, page: Page, violations):
    # The real login stack, throttling included.
    settings.AXES_ENABLED = True
    base = server.url
    committee = Committee.objects.get(call__edition=4)
    dossier = Dossier.objects.filter(committee=committee).order_by("number").first()

    page.goto(f"{base}/connexion/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    expect(page.get_by_role("heading", name="Mot de passe oublié")).to_be_visible()

    log_in(page, base, "secretariat")
    # DSFR's script ran: it marks the document once started.
    expect(page.locator("html[data-fr-js='true']")).to_have_count(1)
    pages = [
        "/",
        f"/dossiers/{dossier.pk}/",
        f"/comites/{committee.pk}/tableau-de-bord/",
        "/tableau-de-bord/",
        "/appels/",
        f"/appels/{committee.call_id}/",
        f"/appels/{committee.call_id}/selection/",
        "/compte/jetons/",
        "/api/v1/docs",
    ]
    for url in pages:
        response = page.goto(f"{base}{url}")
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
        assert violations == [], url
    # Swagger UI renders, and runs a request, under the same policy.
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    page.locator(".opblock-summary").first.click()
    page.get_by_role("button", name="Try it out").first.click()
    page.get_by_role("button", name="Execute").first.click()
    expect(page.locator(".responses-table .response-col_status").first).to_be_visible()
    assert violations == []

    # The published avis conjoint, on screen and as its print view.
    page.goto(f"{base}/comites/{committee.pk}/")
    page.get_by_role("link", name="Version 1", exact=True).click()
    expect(page.get_by_role("link", name="Télécharger en PDF")).to_be_visible()
    page.goto(page.url + "impression/")
    page.wait_for_load_state("networkidle")
    assert violations == []

    # The htmx filters still apply in place.
    page.goto(f"{base}/comites/{committee.pk}/")
    page.get_by_label("Avis", exact=True).select_option("defavorable")
    expect(page.get_by_text("Aucun dossier ne correspond à ces filtres.")).to_be_visible()
    assert "avis=defavorable" in page.url
    page.get_by_label("Avis", exact=True).select_option("")
    expect(page.get_by_role("link", name=dossier.title)).to_be_visible()
    log_out(page)

    log_in(page, base, "logirem")
    page.goto(f"{base}/dossiers/nouveau/")
    page.wait_for_load_state("networkidle")
    assert violations == []
