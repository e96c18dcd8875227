"""The national path in a real browser, on the demo's PACA 2018 call: decision, agreement, payment, report."""

from playwright.sync_api import Page, expect

from core.models import Dossier, Report
from tests.browser import agree, log_in, log_out, shot

# The link to the dossier's follow-up, a part of its page read on demand.
FOLLOWUP = "Afficher le renouvellement, la convention, les versements et les bilans"


def test_secretariat_decides_funds_and_follows_a_paca_project(server, demo, page: Page):
    base = server.url
    dossier = Dossier.objects.get(call__edition=4, number=1)

    log_in(page, base, "secretariat")
    page.get_by_role("link", name="Appels à projets et sélection nationale").click()
    page.get_by_role("link", name=dossier.call.title, exact=True).click()
    page.get_by_role("link", name="Vue nationale et décisions").click()
    expect(page.get_by_text("au-delà du plafond")).to_be_visible()  # project 5 asks more than the cap
    page.locator(f"a[href='/dossiers/{dossier.pk}/decision/']").click()
    page.get_by_text("Retenu", exact=True).click()
    page.get_by_label("Montant accordé (€)").fill("150 000")
    page.get_by_label("Conditions").fill("Bilan annuel avant le second versement.")
    page.get_by_role("button", name="Enregistrer la décision").click()
    # More than half the project's expenses: the call's rule asks the secretariat to confirm the amount.
    expect(page.get_by_text("que l'appel permet")).to_be_visible()
    page.get_by_text("Je confirme ce montant").click()
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.get_by_role("button", name="Notifier les décisions enregistrées").click()
    page.get_by_role("dialog").get_by_role("button", name="Confirmer la notification").click()
    expect(page.get_by_text("décision notifiée : les porteurs en sont avertis")).to_be_visible()
    shot(page, "11-national-decided")

    page.goto(f"{base}/dossiers/{dossier.pk}/")
    agree(
        page, "2019-03-01", "2022-02-28", [("75 000", "À la signature"), ("75 000", "Sur bilan de la première année")]
    )
    page.get_by_role("button", name="Enregistrer le versement").first.click()
    dialog = page.get_by_role("dialog", name="Enregistrer le versement de la tranche 1")
    dialog.get_by_label("Date du versement de la tranche 1").fill("2019-03-15")
    dialog.get_by_role("button", name="Confirmer le versement de la tranche 1").click()
    expect(page.get_by_text("Reste à verser : 75 000 €")).to_be_visible()
    shot(page, "12-national-paid")
    log_out(page)

    log_in(page, base, "logirem")
    page.goto(f"{base}/dossiers/{dossier.pk}/")
    expect(page.get_by_text("Retenu — 150 000 € accordés")).to_be_visible()
    # The follow-up is read on demand: htmx loads it in place.
    page.get_by_role("link", name=FOLLOWUP).click()
    page.get_by_role("link", name="le bilan de l'année 1").click()
    page.get_by_label("Entrées dans le logement").fill("4")
    page.get_by_label("Expulsions évitées").fill("2")
    page.get_by_label("Mutations réalisées").fill("1")
    page.get_by_label("Ménages accompagnés — Maintien").fill("7")
    page.get_by_label("Ménages accompagnés — Mutation").fill("2")
    page.get_by_label("Dépense — FNAVDL (€)").fill("55 000,50")
    page.get_by_role("button", name="Transmettre au secrétariat").click()
    expect(page.get_by_text("Bilan transmis au secrétariat.")).to_be_visible()
    log_out(page)

    log_in(page, base, "secretariat")
    page.goto(f"{base}/dossiers/{dossier.pk}/")
    page.get_by_role("link", name=FOLLOWUP).click()
    # Reviewed on its own page, against what the dossier promised for its first year.
    page.get_by_role("link", name="Examiner le bilan").click()
    expect(page.get_by_role("heading", name="Dépenses par financeur")).to_be_visible()
    expect(page.get_by_role("row", name="FNAVDL")).to_contain_text("55 000,50 €".replace(" ", "\u202f"))
    page.get_by_role("button", name="Valider le bilan").click()
    expect(page.get_by_text("Bilan validé.")).to_be_visible()
    expect(page.get_by_text("Bilan de l'année 1 : Validé")).to_be_visible()
    shot(page, "13-national-report-validated")
    assert Report.objects.get(dossier=dossier).spend.get().amount == 55000.50
    assert Dossier.objects.get(pk=dossier.pk).state == Dossier.State.REPORTING
