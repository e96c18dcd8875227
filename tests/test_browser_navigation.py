"""The header and footer in Chromium, as each role, on a wide screen and on a phone: DSFR's own markup, whose script
runs without an error on every page; the main navigation each role is given; the mobile menu, which reaches the
account's links and "Se déconnecter"."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from core.models import Committee, Dossier
from tests.browser import WIDTHS, log_in, script_errors

# Each role's main pages (URL names and arguments, from the demo) and the main navigation it is given.
PAGES = {
    "logirem": [("home", []), ("dossier_new", []), ("dossier_detail", ["paca-1"]), ("api_tokens", [])],
    "arhlm.paca": [
        ("home", []),
        ("committee_detail", ["paca"]),
        ("committee_publication", ["paca"]),
        ("dashboard_committee", ["paca"]),
        ("dossier_detail", ["paca-1"]),
    ],
    "expert.fondation": [("home", [])],
    "secretariat": [
        ("home", []),
        ("call_list", []),
        ("call_detail", ["call"]),
        ("call_selection", ["call"]),
        ("dashboard_national", []),
    ],
    None: [("login", []), ("accessibility", []), ("legal_notice", []), ("personal_data", [])],
}


def _expected_navigation(username: str | None) -> list[str]:
    """A member's menus name each committee it sits on with its call's year, the latest call first; whoever may import
    a past avis conjoint (the secretariat, a co-chairing institution's member) has its link last."""
    committees = Committee.objects.filter(memberships__user__username=username).select_related("call")
    return {
        "logirem": ["Accueil", "Nouveau dossier"],
        "arhlm.paca": ["Accueil"]
        + [str(c) for c in sorted(committees, key=lambda c: (-c.call.year, -c.call_id))]
        + ["Importer un avis conjoint"],
        "expert.fondation": ["Accueil"],
        "secretariat": ["Accueil", "Appels à projets", "Tableau de bord national", "Importer un avis conjoint"],
        None: [],
    }[username]


def _url(name: str, args: list) -> str:
    paca = Committee.objects.get(call__edition=4)
    values = {"paca": paca.pk, "paca-1": Dossier.objects.get(committee=paca, number=1).pk, "call": paca.call_id}
    return reverse(name, args=[values[a] for a in args])


def _navigation(page: Page) -> list[str]:
    return [
        text.strip()
        for text in page.locator("#navigation .fr-nav__list > .fr-nav__item > :is(a, button)").all_text_contents()
    ]


@pytest.mark.parametrize("username", PAGES, ids=lambda u: u or "anonyme")
def test_header_navigation_and_mobile_menu_without_script_error(username, server, demo, page: Page):
    errors = script_errors(page)
    expected = _expected_navigation(username)
    if username:
        log_in(page, server.url, username)
    for width in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": 900})
        for name, args in PAGES[username]:
            page.goto(server.url + _url(name, args))
            # DSFR's script has started, and has copied the tools' links into the mobile menu.
            expect(page.locator("html")).to_have_attribute("data-fr-js", "true")
            assert not errors, f"{name} at {width} px: {errors}"
            footer = page.get_by_role("contentinfo")
            for link in ("Accessibilité : non conforme", "Mentions légales", "Données personnelles"):
                expect(footer.get_by_role("link", name=link)).to_be_visible()
        assert _navigation(page) == expected
        menu = page.get_by_role("button", name="Menu", exact=True)
        if width == WIDTHS["large"]:
            expect(menu).to_be_hidden()
            if expected:
                expect(page.get_by_role("navigation", name="Menu principal")).to_be_visible()
            continue
        # On a phone, the tools and the navigation are behind the menu button.
        logout = page.get_by_role("button", name="Se déconnecter")
        if username:
            expect(logout).to_be_hidden()
        menu.click()
        dialog = page.locator("#modal-menu")
        expect(dialog).to_be_visible()
        for label in expected:
            expect(dialog.locator(".fr-nav__list").get_by_text(label, exact=True)).to_be_visible()
        if username:
            expect(dialog.get_by_role("link", name="Jetons d'API")).to_be_visible()
            dialog.get_by_role("button", name="Se déconnecter").click()
            expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
        else:
            expect(dialog.get_by_role("link", name="Se connecter")).to_be_visible()
        assert not errors, errors
