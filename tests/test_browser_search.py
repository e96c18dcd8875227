"""The header's search box in a real browser, on the demo."""

from playwright.sync_api import Page, expect

from tests.browser import log_in, shot


def test_a_member_finds_the_autism_projects_from_the_header(server, demo, page: Page):
    log_in(page, server.url, "arhlm.paca")
    page.get_by_role("searchbox", name="Rechercher des dossiers").fill("autisme")
    page.keyboard.press("Enter")
    expect(page.get_by_text("2 dossiers trouvés pour « autisme »")).to_be_visible()
    results = page.locator("ol.aap-results > li")
    expect(results).to_have_count(2)
    expect(results.locator("mark").first).to_be_visible()
    shot(page, "search-autisme")
    results.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
