"""The regional path in a real browser, on the demo's FNAVDL 2025 call for PACA: the departments' opinions, the
advisory opinion, the committee's opinion signed by its three co-chairs, its decision notified and agreed by the
committee, and the grant published as open data by the secretariat."""

import csv
import io

from playwright.sync_api import Page, expect

from core.models import Call, Dossier
from tests.browser import agree, log_in, log_out, shot

FOUNDATION = "Fondation pour le logement des défavorisés (démonstration)"
DREETS = "DREETS Provence-Alpes-Côte d'Azur"
ADVISORY = "Une réponse attendue entre Marseille et Toulon : la fondation soutient le projet."


def sign(page: Page, base: str, dossier: Dossier, username: str, institution: str) -> None:
    """One co-chair's member signs for its institution, having read the departments' and the advisory opinions."""
    log_in(page, base, username)
    page.goto(f"{base}/dossiers/{dossier.pk}/")
    expect(page.get_by_text(ADVISORY)).to_be_visible()
    page.get_by_role("button", name=f"Signer l'avis pour {institution}").click()
    expect(page.get_by_text(f"Avis signé pour {institution}.")).to_be_visible()


def test_the_regional_committee_instructs_decides_and_agrees_a_paca_project(server, demo, page: Page):
    base = server.url
    call = Call.objects.get(process=Call.Process.REGIONAL)
    dossier = Dossier.objects.get(call=call, number=1)
    url = f"{base}/dossiers/{dossier.pk}/"
    departments = page.locator("#avis-departementaux")

    # Each department's State service gives its opinion on the dossier, which covers both.
    log_in(page, base, "ddets.13")
    # Its list holds the dossiers submitted to the committee that cover its department.
    page.get_by_role("link", name=dossier.title).click()
    expect(departments.get_by_role("heading", name="Avis des services départementaux")).to_be_visible()
    expect(departments.locator("[data-department='13']")).to_contain_text("En attente")
    # An instructor reads, and gives, its own department's opinion only.
    expect(departments.locator("[data-department='83']")).to_have_count(0)
    departments.locator("[data-department='13']").get_by_role("link", name="Donner l'avis départemental").click()
    page.get_by_text("Favorable", exact=True).click()
    page.get_by_role("button", name="Donner l'avis départemental").click()
    expect(page.get_by_text("le comité régional le lit avant de signer le sien")).to_be_visible()
    expect(departments.locator("[data-department='13']")).to_contain_text("Avis favorable")
    log_out(page)

    log_in(page, base, "ddets.83")
    page.goto(url)
    expect(departments.locator("[data-department='13']")).to_have_count(0)
    departments.locator("[data-department='83']").get_by_role("link", name="Donner l'avis départemental").click()
    page.get_by_text("Réservé", exact=True).click()
    page.get_by_label("Motifs").fill("Prévoir un référent dans chaque agence varoise du bailleur.")
    page.get_by_role("button", name="Donner l'avis départemental").click()
    expect(departments.locator("[data-department='83']")).to_contain_text("Avis réservé")
    shot(page, "21-regional-departments")
    log_out(page)

    # The foundation's member gives its advisory opinion; it signs nothing.
    log_in(page, base, "fondation.logement")
    page.goto(url)
    page.get_by_label("Votre avis sur le projet").fill(ADVISORY)
    page.get_by_role("button", name="Donner l'avis consultatif").click()
    expect(page.get_by_role("status").get_by_text(f"Avis consultatif de {FOUNDATION} enregistré.")).to_be_visible()
    expect(page.get_by_role("button", name="Signer l'avis pour", exact=False)).to_have_count(0)
    log_out(page)

    # A co-chair's member reads the departments' and the foundation's opinions, writes the committee's and signs.
    log_in(page, base, "arhlm.paca")
    page.goto(url)
    expect(departments.get_by_role("heading", name="Avis des services départementaux")).to_be_visible()
    expect(departments).to_contain_text("Prévoir un référent dans chaque agence varoise du bailleur.")
    expect(page.get_by_text(ADVISORY)).to_be_visible()
    expect(page.get_by_text("Ils seront imprimés dans l'avis conjoint.")).to_be_visible()
    page.get_by_text("Favorable", exact=True).click()
    page.get_by_label("Questions soulevées").fill("Le référent de chaque agence varoise est-il désigné ?")
    page.get_by_label("Remarques / avis global").fill("Un projet à l'échelle des deux départements.")
    page.get_by_text("Dossier retenu", exact=True).click()
    page.get_by_label("Rang de classement parmi les dossiers retenus").select_option("P1")
    page.get_by_role("button", name="Enregistrer l'avis").click()
    expect(page.get_by_text("Avis enregistré (révision 1).")).to_be_visible()
    page.get_by_role("button", name="Signer l'avis pour AR Hlm PACA & Corse").click()
    expect(page.get_by_text("Avis signé pour AR Hlm PACA & Corse.")).to_be_visible()
    log_out(page)

    # Each of the other two co-chairing institutions signs: the opinion is then final.
    sign(page, base, dossier, "dreets.paca", DREETS)
    log_out(page)
    sign(page, base, dossier, "dreal.paca", "DREAL PACA")
    expect(page.locator(".fr-badge", has_text="Avis signé")).to_be_visible()
    shot(page, "22-regional-signed")

    # On a regional call the committee's co-chairs decide, notify from the committee's page, and agree.
    page.get_by_role("link", name="Enregistrer la décision").click()
    page.get_by_text("Retenu", exact=True).click()
    page.get_by_label("Montant accordé (€)").fill("90 000")
    page.get_by_label("Conditions").fill("Désigner un référent par agence avant le premier versement.")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text("Décision enregistrée pour le projet N°1 (à notifier).")).to_be_visible()
    decisions = page.get_by_role("region", name="Décisions du comité")
    expect(decisions).to_contain_text("le comité régional décide de ses dossiers et notifie ses décisions")
    expect(decisions.locator("[data-rule]").first).to_be_visible()
    decisions.get_by_role("button", name="Notifier les décisions enregistrées").click()
    page.get_by_role("dialog").get_by_role("button", name="Confirmer la notification").click()
    expect(page.get_by_text("1 décision notifiée : les porteurs en sont avertis.")).to_be_visible()
    shot(page, "23-regional-notified")

    page.goto(url)
    expect(page.get_by_role("heading", name="Décision régionale")).to_be_visible()
    expect(page.get_by_text("Retenu — 90 000 € accordés")).to_be_visible()
    tranches = [("45 000", "À la signature"), ("45 000", "Sur bilan de la première année")]
    agree(page, "2025-12-01", "2028-11-30", tranches, signed_on="2025-11-03")
    expect(page.get_by_text("Convention enregistrée.")).to_be_visible()
    log_out(page)

    # The secretariat publishes the grant; the public reads it, without logging in.
    log_in(page, base, "secretariat")
    page.goto(f"{base}/appels/{call.pk}/")
    page.get_by_role("button", name="Publier les subventions").click()
    page.get_by_role("dialog").get_by_role("button", name="Confirmer la publication").click()
    expect(page.get_by_text("1 subvention publiée en données ouvertes.")).to_be_visible()
    log_out(page)

    page.goto(f"{base}/donnees/subventions/")
    row = page.get_by_role("row").filter(has_text=call.title)
    expect(row).to_be_visible()
    response = page.request.get(base + row.get_by_role("link", name="Télécharger").get_attribute("href"))
    assert response.ok
    rows = list(csv.DictReader(io.StringIO(response.text())))
    assert [(r["nomAttribuant"], r["nomBeneficiaire"], r["montant"], r["dateConvention"]) for r in rows] == [
        (DREETS, "LOGIREM", "90000.00", "2025-11-03")
    ]
    assert dossier.title in rows[0]["objet"]
