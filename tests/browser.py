"""What the browser tests share: a live server of their own, the demo, logging in and out, screenshots."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import FilePayload, Page, expect
from pytest_django.live_server_helper import LiveServer

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
WIDTHS = {"large": 1280, "phone": 390}


# Playwright's sync API keeps an asyncio loop running in the test thread from its start to its stop, and while a
# loop runs Django keeps the thread's database connections apart from those opened before (asgiref's
# thread-critical Local). A connection left open on either side outlives the session unseen, and PostgreSQL
# refuses to drop a test database that has a session: under pytest-xdist, tests that use the database run after
# the browser tests. So the connections are closed as they go out of sight.
@pytest.fixture(scope="session")
def _connections_closed_before_playwright():
    connections.close_all()


@pytest.fixture(scope="session")
def playwright(_connections_closed_before_playwright, playwright):
    """pytest-playwright's, started after the connections opened so far are closed, and closing those opened
    while it ran before it stops."""
    yield playwright
    connections.close_all()


@pytest.fixture
def server(transactional_db):
    """A live server for this test only: stopped, its connections closed, before the test database goes."""
    live = LiveServer("localhost")
    yield live
    live.stop()


@pytest.fixture
def demo(transactional_db, settings):
    settings.DEMO = True
    call_command("demo", stdout=io.StringIO())
    SCREENSHOTS.mkdir(exist_ok=True)


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill("demo-aap-2018")
    page.get_by_role("button", name="Se connecter").click()
    # The workspace first, then the list of dossiers the tests start from.
    expect(page.get_by_role("heading", name="Mon espace")).to_be_visible()
    page.get_by_role("link", name="Tous mes dossiers").click()
    expect(page.get_by_role("heading", name="Dossiers")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()


def agree(page: Page, starts_on: str, ends_on: str, tranches: list[tuple[str, str]], signed_on: str = "") -> None:
    """From a retained dossier's page: its agreement made for the period, paid in the tranches given, each an amount
    and its condition."""
    page.get_by_role("link", name="Établir la convention").click()
    if signed_on:
        page.get_by_label("Signée le").fill(signed_on)
    page.get_by_label("Début").fill(starts_on)
    page.get_by_label("Fin").fill(ends_on)
    for index, (amount, condition) in enumerate(tranches):
        page.locator(f"#id_tranches-{index}-amount").fill(amount)
        page.locator(f"#id_tranches-{index}-condition").fill(condition)
    page.get_by_role("button", name="Enregistrer la convention").click()


def script_errors(page: Page) -> list[str]:
    """The errors the page's scripts log or throw from now on, as they come."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def shot(page: Page, name: str) -> None:
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def pdf(name: str, text: str) -> FilePayload:
    """A small PDF, distinct by its text: a dossier takes a file once."""
    return {"name": name, "mimeType": "application/pdf", "buffer": f"%PDF-1.4\n% {text}\n%%EOF\n".encode()}


def attach_documents(page: Page, documents: list[str] | None = None) -> None:
    """From the dossier form's page: a PDF for each document (those a new call asks), joined as htmx answers in
    place."""
    # Imported here: this module is a plugin of the test suite, loaded before Django is set up.
    from core.models import REQUIRED_DOCUMENTS

    for number, document in enumerate(documents or REQUIRED_DOCUMENTS, 1):
        page.locator("#id_document_type").select_option(document)
        page.locator("#id_file").set_input_files(files=[pdf(f"piece-{number}.pdf", document)])
        page.get_by_role("button", name="Joindre la pièce").click()
        expect(page.get_by_role("status").filter(has_text=f"« piece-{number}.pdf » ajoutée")).to_be_visible()
