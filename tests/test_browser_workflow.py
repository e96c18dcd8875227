"""The whole regional workflow in a real browser, through the demo's pages, as its users would do it."""

from playwright.sync_api import Page, expect

from core.models import Committee, Dossier, JointOpinion
from tests.browser import attach_documents, log_in, log_out, shot


def test_landlord_submits_committee_signs_twice_publishes_landlord_reads(server, demo, page: Page):
    base = server.url
    committee = Committee.objects.get(call__status="ouvert")

    # The landlord drafts and submits.
    log_in(page, base, "logirem")
    page.get_by_role("main").get_by_role("link", name="Nouveau dossier").click()
    page.get_by_label("Appel à projets et comité régional").select_option(str(committee.pk))
    page.get_by_label("Nom du projet").fill("Habiter et rester chez soi")
    page.get_by_role("button", name="Créer le brouillon").click()
    page.get_by_label("Résumé").fill("Accompagner douze ménages vers et dans le logement.")
    page.get_by_label("Durée (années)").fill("2")
    page.get_by_label("Nombre total de ménages accompagnés").fill("12")
    page.get_by_text("locataires en grande précarité").click()
    # An existing partner is picked from the list; a new one is named.
    page.get_by_label("Partenaires opérateurs").select_option(label="SOLiHA Provence")
    page.get_by_label("Nouveaux partenaires").fill("Association Toit Commun")
    # Each table has one empty line; a second is added in place.
    for table in ("strands", "budget"):
        page.get_by_role("button", name="Ajouter une ligne").and_(page.locator(f"#{table}-add")).click()
        expect(page.locator(f"#id_{table}-1-year")).to_be_visible()
    for row, year in ((0, "1"), (1, "2")):
        page.locator(f"#id_strands-{row}-strand").select_option("acces")
        page.locator(f"#id_strands-{row}-year").fill(year)
        page.locator(f"#id_strands-{row}-households").fill("6")
        page.locator(f"#id_budget-{row}-year").fill(year)
        page.locator(f"#id_budget-{row}-funder").select_option("fsi")
        page.locator(f"#id_budget-{row}-amount").fill("40000")
    page.locator("#id_territories-0-department").fill("13")
    page.locator("#id_territories-0-commune").fill("Marseille")
    page.get_by_label("Modalités d'évaluation").fill("Bilan annuel en comité de suivi.")
    shot(page, "01-landlord-draft")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    # The documents the call asks, joined from the form's page.
    page.get_by_role("link", name="Joindre, remplacer ou supprimer des pièces").click()
    attach_documents(page)
    page.get_by_role("link", name="Retour au dossier").click()
    # The submission asks first, in a DSFR modal: who will be told, counted by the policies.
    page.get_by_role("button", name="Déposer le dossier").click()
    dialog = page.get_by_role("dialog", name="Déposer le projet")
    expect(dialog.get_by_text("membres du comité")).to_be_visible()
    shot(page, "02-landlord-submit-confirmation")
    dialog.get_by_role("button", name="Confirmer le dépôt").click()
    expect(page.get_by_text("Dossier déposé : le comité régional en est averti")).to_be_visible()
    shot(page, "02-landlord-submitted")
    dossier = Dossier.objects.get(title="Habiter et rester chez soi")
    log_out(page)

    # The AR Hlm member writes the opinion and signs it.
    log_in(page, base, "arhlm.paca")
    page.goto(f"{base}/comites/{committee.pk}/")
    page.get_by_role("link", name="Habiter et rester chez soi").click()
    page.get_by_text("Réservé", exact=True).click()
    page.get_by_label("Questions soulevées").fill("Quel lien avec les CMP du territoire ?")
    page.get_by_label("Remarques / avis global").fill("Un projet utile, au budget à préciser.")
    page.get_by_text("Dossier retenu").click()
    page.get_by_label("Rang de classement parmi les dossiers retenus").select_option("P2")
    page.get_by_role("button", name="Enregistrer l'avis").click()
    expect(page.get_by_text("Avis enregistré (révision 1).")).to_be_visible()
    page.get_by_role("button", name="Signer l'avis pour AR Hlm PACA & Corse").click()
    expect(page.get_by_text("Avis signé pour AR Hlm PACA & Corse.")).to_be_visible()
    shot(page, "03-arhlm-signed")
    log_out(page)

    # The DREAL member signs and publishes.
    log_in(page, base, "dreal.paca")
    page.goto(f"{base}/dossiers/{dossier.pk}/")
    page.get_by_role("button", name="Signer l'avis pour DREAL PACA").click()
    expect(page.get_by_text("Avis signé", exact=True)).to_be_visible()
    page.goto(f"{base}/comites/{committee.pk}/")
    # Filters apply as soon as they change (htmx), without reloading the page.
    page.get_by_label("Avis", exact=True).select_option("defavorable")
    expect(page.get_by_text("Aucun dossier ne correspond à ces filtres.")).to_be_visible()
    assert "avis=defavorable" in page.url
    page.get_by_label("Avis", exact=True).select_option("reserve")
    expect(page.get_by_role("link", name="Habiter et rester chez soi")).to_be_visible()
    shot(page, "04-committee")
    page.get_by_role("link", name="Publication de l'avis conjoint").click()
    expect(page.get_by_text("l'avis conjoint peut être publié")).to_be_visible()
    shot(page, "04-committee-ready")
    page.get_by_role("button", name="Publier l'avis conjoint").click()
    page.get_by_role("dialog").get_by_role("button", name="Confirmer la publication").click()
    expect(page.get_by_text("Avis conjoint publié : version 1.")).to_be_visible()
    shot(page, "05-published")
    log_out(page)
    assert JointOpinion.objects.get(committee=committee).content["projects"][0]["rank"] == "P2"

    # The landlord reads the published opinion.
    log_in(page, base, "logirem")
    page.goto(f"{base}/dossiers/{dossier.pk}/")
    page.get_by_role("link", name="Avis conjoint publié, version 1").click()
    expect(page.get_by_role("rowheader", name="PROJET N°1")).to_be_visible()
    expect(page.get_by_text("Un projet utile, au budget à préciser.")).to_be_visible()
    expect(page.get_by_text("Rang de classement parmi les dossiers retenus : P2")).to_be_visible()
    shot(page, "06-landlord-reads")
