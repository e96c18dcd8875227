"""axe-core on every main page of the demo, as the role that uses it: no serious or critical violation (RGAA).

AXE_REPORT=FILE appends each page's violations of every impact to FILE (JSON lines), for the audit's counts."""

import json
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser import log_in, pdf
from tests.scene import INVITATION_KEY, ROLE_INVITATION_KEY, Scene

AXE_SOURCE = (Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js").read_text()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = {"serious", "critical"}
WIDTHS = (1280, 390)

RUN_AXE = """async (tags) => {
    const result = await axe.run(document, {runOnly: tags, resultTypes: ['violations']});
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        targets: v.nodes.map(n => n.target.join(' ')),
    }));
}"""


def _filter_committee(page: Page) -> None:
    """Apply one filter: htmx swaps the table in place, which is what the page then shows."""
    page.get_by_label("Avis", exact=True).select_option("favorable")
    expect(page).to_have_url(re.compile(r"avis=favorable"))
    expect(page.locator("#dossiers tbody tr").first).to_be_visible()


def _invalid_opinion(page: Page) -> None:
    """Save the opinion without a verdict: the form comes back with its errors."""
    page.get_by_label("Questions soulevées").fill("")
    page.locator("input[name=verdict]:checked").evaluate("radio => { radio.checked = false; }")
    page.get_by_role("button", name="Enregistrer l'avis").click()
    expect(page.locator("#verdict-messages .fr-message--error")).to_be_visible()


def _invalid_invitation(page: Page) -> None:
    """Send the invitation form empty: it comes back with its errors."""
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.locator("#id_email-messages .fr-message--error")).to_be_visible()


def _weak_password(page: Page) -> None:
    """Choose a password the validators refuse: the page says why."""
    for field, value in (("first_name", "Nadia"), ("last_name", "Membre"), ("password", "court"),
                         ("password_again", "court")):  # fmt: skip
        page.locator(f"#id_{field}").fill(value)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#id_password-messages .fr-message--error").first).to_be_visible()


def _refused_draft(page: Page) -> None:
    """Save the draft with an amount that cannot be read: the error summary at the top, focused."""
    page.locator("#id_budget-0-year").fill("1")
    page.locator("#id_budget-0-amount").fill("cent euros")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("#erreurs")).to_be_focused()


def _lines_and_documents(page: Page) -> None:
    """Add a line and take it off, in place; join a document, in place, and open its "Remplacer"."""
    page.locator("#budget-add").click()
    expect(page.locator("#id_budget-1-year")).to_be_focused()
    page.get_by_role("button", name="Retirer la ligne 2 — Budget").click()
    expect(page.locator("#budget-status")).to_have_text("Ligne 2 retirée.")
    # A file of its own at each width: the dossier takes a file once.
    width = page.viewport_size["width"]
    page.locator("#id_file").set_input_files(files=[pdf(f"budget-{width}.pdf", f"budget {width}")])
    page.get_by_role("button", name="Joindre la pièce").click()
    expect(page.get_by_role("status").filter(has_text=f"« budget-{width}.pdf » ajoutée")).to_be_focused()
    page.locator("#pieces summary").last.click()


def _load_exchanges(page: Page) -> None:
    """Open the exchanges on the dossier page: htmx loads them in place, and the focus moves to them."""
    page.get_by_role("link", name="Afficher les échanges sur le dossier").click()
    expect(page.get_by_text("Pouvez-vous préciser le budget ?")).to_be_visible()
    expect(page.locator("#section-exchanges")).to_be_focused()


@dataclass(frozen=True)
class Visit:
    """Who opens the page ("landlord" stands for the scene's landlord), its URL name and arguments, what to do first."""

    username: str | None
    url: str
    args: Callable[[Scene], list] = lambda scene: []
    prepare: Callable[[Page], None] | None = None


PAGES = {
    "connexion": Visit(None, "login"),
    "accueil-porteur": Visit("landlord", "home"),
    "accueil-arhlm": Visit("arhlm.paca", "home"),
    "accueil-dreal": Visit("dreal.paca", "home"),
    "accueil-secretariat": Visit("secretariat", "home"),
    "accueil-expert": Visit("expert.fondation", "home"),
    "dossiers-porteur": Visit("landlord", "dossier_list"),
    "dossiers-arhlm": Visit("arhlm.paca", "dossier_list"),
    "notifications": Visit("arhlm.paca", "notification_list"),
    "dossier-nouveau": Visit("landlord", "dossier_new"),
    "dossier-brouillon-modifier": Visit("landlord", "dossier_edit", lambda s: [s.draft.pk]),
    "dossier-brouillon-erreurs": Visit("landlord", "dossier_edit", lambda s: [s.draft.pk], _refused_draft),
    "dossier-brouillon-lignes-pieces": Visit("landlord", "dossier_edit", lambda s: [s.draft.pk], _lines_and_documents),
    "dossier-brouillon-porteur": Visit("landlord", "dossier_detail", lambda s: [s.draft.pk]),
    "dossier-porteur": Visit("landlord", "dossier_detail", lambda s: [s.funded.pk]),
    "dossier-suivi-porteur": Visit("landlord", "dossier_followup", lambda s: [s.funded.pk]),
    "comite-filtre": Visit("arhlm.paca", "committee_detail", lambda s: [s.paca.pk], _filter_committee),
    "dossier-comite": Visit("arhlm.paca", "dossier_detail", lambda s: [s.asked.pk]),
    "dossier-comite-echanges": Visit("arhlm.paca", "dossier_detail", lambda s: [s.asked.pk], _load_exchanges),
    "dossier-echanges": Visit("arhlm.paca", "dossier_exchanges", lambda s: [s.asked.pk]),
    "dossier-historique": Visit("arhlm.paca", "dossier_history", lambda s: [s.asked.pk]),
    "avis-formulaire-erreurs": Visit("dreal.paca", "dossier_detail", lambda s: [s.decidable.pk], _invalid_opinion),
    "dossier-expert": Visit("expert.fondation", "dossier_detail", lambda s: [s.asked.pk]),
    "avis-conjoint-publie": Visit("landlord", "joint_opinion", lambda s: [s.paca.joint_opinions.get().uuid]),
    "avis-conjoint-impression": Visit(
        "arhlm.paca", "joint_opinion_print", lambda s: [s.paca.joint_opinions.get().uuid]
    ),
    "appels": Visit("secretariat", "call_list"),
    "appel": Visit("secretariat", "call_detail", lambda s: [s.paca.call_id]),
    "appel-nouveau": Visit("secretariat", "call_new"),
    "selection-nationale": Visit("secretariat", "call_selection", lambda s: [s.paca.call_id]),
    "decision": Visit("secretariat", "decision_edit", lambda s: [s.decidable.pk]),
    "decisions-groupees": Visit("secretariat", "call_decide_many", lambda s: [s.paca.call_id]),
    "donnees-subventions": Visit(None, "grants_index"),
    "tableau-de-bord-national": Visit("secretariat", "dashboard_national"),
    "tableau-de-bord-comite": Visit("arhlm.paca", "dashboard_committee", lambda s: [s.paca.pk]),
    "dossier-suivi-secretariat": Visit("secretariat", "dossier_followup", lambda s: [s.funded.pk]),
    "convention": Visit("secretariat", "agreement_edit", lambda s: [s.retained.pk]),
    "bilan": Visit("landlord", "report_edit", lambda s: [s.funded.pk, 1]),
    "bilan-examen": Visit("secretariat", "report_review", lambda s: [s.funded.reports.get(is_final=True).pk]),
    "jetons-api": Visit("landlord", "api_tokens"),
    "profil": Visit("landlord", "profile"),
    "comptes-secretariat": Visit("secretariat", "account_list"),
    "comptes-porteur": Visit("landlord", "account_list"),
    "invitation-nouvelle-erreurs": Visit("secretariat", "invitation_new", prepare=_invalid_invitation),
    "invitation-accepter": Visit(None, "invitation_accept", lambda s: [INVITATION_KEY]),
    "invitation-mot-de-passe-refuse": Visit(None, "invitation_accept", lambda s: [INVITATION_KEY], _weak_password),
    "invitation-compte-existant": Visit("dreal.paca", "invitation_accept", lambda s: [ROLE_INVITATION_KEY]),
    "invitation-compte-existant-connexion": Visit(None, "invitation_accept", lambda s: [ROLE_INVITATION_KEY]),
    "invitation-autre-compte": Visit("arhlm.paca", "invitation_accept", lambda s: [ROLE_INVITATION_KEY]),
    "import-avis-conjoint": Visit("secretariat", "import_new"),
    "import-revue": Visit("secretariat", "import_detail", lambda s: [s.archive.uuid]),
    "import-refuse": Visit("secretariat", "import_detail", lambda s: [s.refused.uuid]),
    "accessibilite": Visit(None, "accessibility"),
    "mentions-legales": Visit(None, "legal_notice"),
    "donnees-personnelles": Visit("landlord", "personal_data"),
    "403": Visit("landlord", "call_list"),  # the national pages are not a landlord's
    "404": Visit("landlord", "dossier_detail", lambda s: [999999]),
}


def axe_violations(page: Page) -> list[dict]:
    """Inject axe-core with evaluate, which the pages' Content-Security-Policy does not govern, and run it."""
    page.evaluate(AXE_SOURCE)
    return page.evaluate(RUN_AXE, AXE_TAGS)


def _record(name: str, title: str, violations: list[dict]) -> None:
    """Counts per impact, appended to $AXE_REPORT when set: the issue asks for them before and after fixes."""
    if path := os.environ.get("AXE_REPORT"):
        counts = Counter()
        for v in violations:
            counts[v["impact"]] += len(v["targets"])
        with open(path, "a", encoding="utf-8") as report:
            report.write(json.dumps({"page": name, "title": title, "counts": counts, "violations": violations}) + "\n")


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violation(name, server, scene, page: Page):
    visit = PAGES[name]
    if visit.username is not None:
        log_in(page, server.url, scene.landlord if visit.username == "landlord" else visit.username)
    url = server.url + reverse(visit.url, args=visit.args(scene))
    # On a wide screen, then on a phone, where DSFR's header puts its links and navigation in the menu's dialog.
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        if visit.prepare:
            visit.prepare(page)
        violations = axe_violations(page)
        _record(f"{name}-{width}", page.title(), violations)
        assert_no_blocking(violations)
    # RGAA 8.6: each page's title says which page it is, not only the service's name.
    assert not page.title().startswith("aap"), page.title()


def assert_no_blocking(violations: list[dict]) -> None:
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(v['targets'])}" for v in blocking
    )


def test_server_error_page_has_no_serious_accessibility_violation(page: Page):
    """The 500 page is plain HTML, served when nothing else can be: it is checked as a file."""
    page.set_content((Path(__file__).resolve().parent.parent / "templates" / "500.html").read_text())
    violations = axe_violations(page)
    _record("500", page.title(), violations)
    assert_no_blocking(violations)


def test_committee_filters_are_announced(server, scene, page: Page):
    """The htmx filters replace the table; the count of dossiers shown is announced by a status that stays."""
    log_in(page, server.url, "arhlm.paca")
    page.goto(server.url + reverse("committee_detail", args=[scene.paca.pk]))
    status = page.get_by_role("status").filter(has_text=" sur 7")
    expect(status).to_have_text("7 dossiers affichés sur 7")
    handle = status.element_handle()
    page.get_by_label("Avis", exact=True).select_option("defavorable")
    expect(page.get_by_text("Aucun dossier ne correspond à ces filtres.")).to_be_visible()
    expect(status).to_have_text("0 dossier affiché sur 7")
    # The same element, its text changed: screen readers announce it.
    assert handle.evaluate("node => node.isConnected")
