"""The regional workflow with the keyboard only (RGAA 7.3, 10.7, 12.8): a landlord drafts and submits a dossier, a
committee member writes, saves and signs its opinion. No click: Tab, Shift+Tab, arrows, Enter, Space and typing,
and after every move the focused element must show that it has the focus."""

import re
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from core.models import (
    REQUIRED_DOCUMENTS,
    BudgetLine,
    Committee,
    Dossier,
    DossierStrand,
    Organisation,
    Public,
    Territory,
)
from core.services.attachments import attachment_join
from core.services.dossiers import dossier_create, dossier_submit
from tests.browser import pdf

# Whether the focused element shows it: an outline on it or on its ::before (DSFR's enlarged links draw it there),
# a box-shadow it has only when focused, or — for DSFR's checkboxes and radios, whose input is transparent — the
# outline drawn on its label's ::before.
FOCUS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return {visible: false, element: 'body'};
    const outlined = style => style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
        && style.outlineColor !== 'transparent' && style.outlineColor !== 'rgba(0, 0, 0, 0)';
    const style = getComputedStyle(el);
    let visible = outlined(style) || outlined(getComputedStyle(el, '::before'));
    if (!visible && style.boxShadow !== 'none') {
        const twin = el.cloneNode(false);
        twin.removeAttribute('id');
        el.after(twin);
        visible = getComputedStyle(twin).boxShadow !== style.boxShadow;
        twin.remove();
    }
    if (!visible && (el.type === 'checkbox' || el.type === 'radio') && el.labels.length)
        visible = outlined(getComputedStyle(el.labels[0], '::before'));
    const box = el.getBoundingClientRect();
    return {visible: visible && box.width > 0 && box.height > 0, element: el.outerHTML.slice(0, 160)};
}"""


def assert_focus_visible(page: Page) -> None:
    focus = page.evaluate(FOCUS)
    assert focus["visible"], f"The focus is not visible on {focus['element']}"


def focused(page: Page, selector: str) -> bool:
    return page.evaluate("selector => document.activeElement.matches(selector)", selector)


def tab_to(page: Page, selector: str, *, limit: int = 200, back: bool = False) -> None:
    """Press Tab (Shift+Tab: back) until the element matching `selector` has the focus, checking the focus is seen at
    each step."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        assert_focus_visible(page)
        if focused(page, selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def fill(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def choose(page: Page, selector: str, value: str) -> None:
    """Pick an option of a closed select with the arrow keys, as a keyboard user does."""
    tab_to(page, selector)
    pick(page, value)


def pick(page: Page, value: str) -> None:
    """Pick an option of the focused select with the arrow keys."""
    page.keyboard.press("Home")
    for _ in range(50):
        if page.evaluate("() => document.activeElement.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"No option {value!r} in the focused select")


def add_line(page: Page, table: str, row: int) -> None:
    """A table's "Ajouter une ligne", with the keyboard: the focus goes to the new line's first field."""
    tab_to(page, f"#{table}-add")
    page.keyboard.press("Enter")
    expect(page.locator(f"#{table}-lines tr").nth(row).locator("select, input").first).to_be_focused()
    assert_focus_visible(page)


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/connexion/")
    if not focused(page, "#id_username"):  # the field has autofocus
        tab_to(page, "#id_username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert_focus_visible(page)
    page.keyboard.type("demo-aap-2018")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Mon espace")).to_be_visible()
    page.goto(f"{base}/dossiers/")
    expect(page.get_by_role("heading", name="Dossiers")).to_be_visible()


def skip_to_content(page: Page) -> None:
    """The first Tab reaches the skip link; Enter moves the keyboard's starting point into the main content."""
    page.keyboard.press("Tab")
    assert_focus_visible(page)
    assert focused(page, "a[href='#content']"), "The skip link is not the first stop"
    page.keyboard.press("Enter")


def test_landlord_drafts_and_submits_with_the_keyboard(server, demo, page: Page):
    base = server.url
    committee = Committee.objects.get(call__status="ouvert")
    log_in(page, base, "logirem")

    skip_to_content(page)
    tab_to(page, "a[href='/dossiers/nouveau/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Nouveau dossier")).to_be_visible()
    choose(page, "#id_committee", str(committee.pk))
    fill(page, "#id_title", "Habiter et rester chez soi")
    # Shift+Tab goes back the same way: the order of the fields is the order of the page.
    page.keyboard.press("Shift+Tab")
    assert_focus_visible(page)
    assert focused(page, "#id_landlord")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # submits the form from its last field

    expect(page.get_by_role("heading", name="brouillon")).to_be_visible()
    dossier = Dossier.objects.get(title="Habiter et rester chez soi")
    fill(page, "#id_summary", "Accompagner douze ménages vers et dans le logement.")
    fill(page, "#id_duration_years", "2")
    fill(page, "#id_households_total", "12")
    tab_to(page, "input[name=publics]")
    page.keyboard.press("Space")
    fill(page, "#id_new_partners", "Association Toit Commun")
    # A table has one empty line; "Ajouter une ligne" adds one in place and moves the focus to its first field.
    for row, year in ((0, "1"), (1, "2")):
        if row:
            add_line(page, "strands", row)
            pick(page, "acces")
        else:
            choose(page, f"#id_strands-{row}-strand", "acces")
        fill(page, f"#id_strands-{row}-year", year)
        fill(page, f"#id_strands-{row}-households", "6")
    fill(page, "#id_territories-0-department", "13")
    fill(page, "#id_territories-0-commune", "Marseille")
    for row, year in ((0, "1"), (1, "2")):
        if row:
            add_line(page, "budget", row)
            page.keyboard.type(year)
        else:
            fill(page, f"#id_budget-{row}-year", year)
        choose(page, f"#id_budget-{row}-funder", "fsi")
        fill(page, f"#id_budget-{row}-amount", "40000")
    fill(page, "#id_evaluation_plan", "Bilan annuel en comité de suivi.")
    tab_to(page, "button[type=submit]:not([name])")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Habiter et rester chez soi")).to_be_visible()
    # The documents the call asks: from the form's page, each file chosen with the keyboard; the focus goes to what
    # htmx says it did, then on to the next.
    # Playwright takes the browser's file choosers once a listener asks for them: asked before the keys that open
    # them, else the first may open before it does.
    page.on("filechooser", lambda chooser: None)
    tab_to(page, f"a[href='/dossiers/{dossier.pk}/modifier/#pieces']")
    page.keyboard.press("Enter")
    # Tabbing on before the form's page has loaded would start from the page being left.
    expect(page).to_have_url(re.compile(rf"/dossiers/{dossier.pk}/modifier/#pieces$"))
    expect(page.locator("#id_document_type")).to_be_visible()
    for number, document in enumerate(REQUIRED_DOCUMENTS, 1):
        assert page.locator("#id_document_type").input_value() == document  # the first still missing
        tab_to(page, "#id_file")
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Space")
        chooser.value.set_files(files=[pdf(f"piece-{number}.pdf", document)])
        tab_to(page, "form[data-action='dossier.attach'] button[type=submit]")
        page.keyboard.press("Enter")
        expect(page.get_by_role("status").filter(has_text=f"« piece-{number}.pdf » ajoutée")).to_be_focused()
    tab_to(page, f"a[href='/dossiers/{dossier.pk}/']", back=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Habiter et rester chez soi")).to_be_visible()
    # The button opens the confirmation's modal, which takes the focus; its own button submits.
    tab_to(page, "button[aria-controls='confirm-submit']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Déposer le projet")).to_be_visible()
    tab_to(page, f"form[action='/dossiers/{dossier.pk}/deposer/'] button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Dossier déposé : le comité régional en est averti")).to_be_visible()
    dossier.refresh_from_db()
    assert dossier.state == Dossier.State.SUBMITTED
    assert dossier.households_total == 12
    assert dossier.publics.count() == 1
    assert sorted(dossier.budget_lines.values_list("year", "funder", "amount")) == [
        (1, "fsi", Decimal(40000)),
        (2, "fsi", Decimal(40000)),
    ]


def submitted_dossier(committee: Committee) -> Dossier:
    """A complete dossier on the open call, submitted by its landlord."""
    landlord = Organisation.objects.get(name__iexact="Logirem")
    author = User.objects.get(username="logirem")
    dossier = dossier_create(committee=committee, lead_landlord=landlord, title="Habiter et rester chez soi", by=author)
    dossier.summary, dossier.evaluation_plan = "Accompagner douze ménages.", "Bilan annuel."
    dossier.duration_years, dossier.households_total = 1, 12
    dossier.save()
    dossier.publics.set([Public.objects.first()])
    Territory.objects.create(dossier=dossier, department="13")
    DossierStrand.objects.create(dossier=dossier, strand="acces", year=1, households=12)
    BudgetLine.objects.create(dossier=dossier, year=1, funder=BudgetLine.Funder.FNAVDL, amount=Decimal(40000))
    for document in REQUIRED_DOCUMENTS:
        upload = SimpleUploadedFile("piece.pdf", f"%PDF-1.4 {document}".encode())
        attachment_join(dossier=dossier, upload=upload, document_type=document, by=author)
    return dossier_submit(dossier=dossier, by=author)


def test_committee_member_writes_saves_and_signs_the_opinion_with_the_keyboard(server, demo, page: Page):
    base = server.url
    committee = Committee.objects.get(call__status="ouvert")
    dossier = submitted_dossier(committee)
    log_in(page, base, "arhlm.paca")

    skip_to_content(page)
    tab_to(page, f"a[href='/comites/{committee.pk}/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=committee.name)).to_be_visible()
    # A filter applies as soon as it changes (htmx): the table is replaced, the focus stays on the filter.
    choose(page, "#id_etat", Dossier.State.SUBMITTED)
    expect(page).to_have_url(re.compile("etat=depose"))
    assert focused(page, "#id_etat")
    assert_focus_visible(page)
    tab_to(page, f"a[href='/dossiers/{dossier.pk}/']")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Rédiger l'avis")).to_be_visible()
    # In a radio group, Tab reaches one radio and the arrows move the choice.
    tab_to(page, "input[name=verdict]")
    for _ in range(5):
        if focused(page, "input[value=reserve]"):
            break
        page.keyboard.press("ArrowRight")
        assert_focus_visible(page)
    page.keyboard.press("Space")
    fill(page, "#id_questions", "Quel lien avec les CMP du territoire ?")
    fill(page, "#id_remarks", "Un projet utile, au budget à préciser.")
    tab_to(page, "#id_retained")
    page.keyboard.press("Space")
    choose(page, "#id_rank", "P2")
    tab_to(page, f"form[action='/dossiers/{dossier.pk}/avis/'] button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Avis enregistré (révision 1).")).to_be_visible()

    skip_to_content(page)
    tab_to(page, f"form[action='/dossiers/{dossier.pk}/avis/signer/'] button")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Avis signé pour AR Hlm PACA & Corse.")).to_be_visible()
    opinion = Dossier.objects.get(pk=dossier.pk).opinion
    assert (opinion.verdict, opinion.retained, opinion.rank) == ("reserve", True, "P2")
    assert opinion.questions == "Quel lien avec les CMP du territoire ?"
    assert list(opinion.signatures.values_list("institution__short_name", flat=True)) == ["AR Hlm PACA & Corse"]


def test_focus_check_sees_a_hidden_focus(page: Page):
    """The check itself: a page that removes the focus outline fails it, DSFR's own styles pass it."""
    page.set_content("<style>button:focus { outline: none; }</style><button>Sans contour</button><a href='#'>Lien</a>")
    page.keyboard.press("Tab")
    assert not page.evaluate(FOCUS)["visible"]
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS)["visible"]
