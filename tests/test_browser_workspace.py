"""From the workspace to every pending action, in Chromium, as each role, on a wide screen and on a phone: each item
of « À faire » leads, in one click, to the page where its action's button or link is shown, and no page logs a
script error."""

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import WIDTHS, log_in, script_errors, shot

# The control an item's action is taken with, where it differs from the action: a call's decisions are notified
# together from the national selection.
CONTROL = {"decision.notify": "call.notify_decisions"}

# Each role's user in the scene, and actions its workspace must list (the scene gives it at least these).
ROLES = {
    "landlord": {"dossier.submit", "report.save"},
    "arhlm.paca": {"opinion.write"},
    "expert.fondation": {"advice.give"},
    "secretariat": {"decision.record", "agreement.create", "tranche.pay", "report.validate"},
}


def _items(page: Page) -> list[tuple[str, str]]:
    """(action, link) of each item of « À faire »."""
    return [
        (item.get_attribute("data-action"), item.locator("a").first.get_attribute("href"))
        for item in page.locator("li[data-action]").all()
    ]


def _reach(page: Page, action: str) -> Locator:
    """The control the action is taken with, shown: at once, or in the confirmation modal its button opens."""
    name = CONTROL.get(action, action)
    shown = page.locator(f'[data-action~="{name}"]:visible')
    if shown.count():
        return shown.first
    modal = page.locator(f'dialog:has([data-action~="{name}"])').first
    page.locator(f'button[aria-controls="{modal.get_attribute("id")}"]:visible').first.click()
    return modal.locator(f'[data-action~="{name}"]')


@pytest.mark.parametrize("role", ROLES)
def test_every_pending_action_is_reached_from_the_workspace(role, server, scene, page: Page):
    errors = script_errors(page)
    log_in(page, server.url, scene.landlord if role == "landlord" else role)
    for name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(server.url + "/")
        items = _items(page)
        assert {action for action, _ in items} >= ROLES[role], items
        shot(page, f"espace-{role}-{width}")
        for index, (action, link) in enumerate(items):
            page.goto(server.url + "/")
            page.locator("li[data-action]").nth(index).locator("a").first.click()
            page.wait_for_url(f"**{link}")
            expect(_reach(page, action), f"{action} from {link} at {width} px").to_be_visible()
            assert not errors, f"{action} at {link}, {name}: {errors}"
