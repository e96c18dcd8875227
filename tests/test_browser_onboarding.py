"""From the invitation to the first dossier, in a real browser: the secretariat invites a committee member and a
landlord's staff, both create their account from the e-mailed link, and the landlord fills a dossier in French
("150 000,50"), adds and takes off lines in place, is told what it typed wrong at the top of the page, joins the
documents the call asks, and submits. A world of its own, a few rows: no demo to load."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from core.models import REQUIRED_DOCUMENTS, Call, Dossier, Membership, Organisation, Public
from tests.browser import attach_documents, log_out, shot
from tests.factories import CommitteeFactory, OrganisationFactory, UserFactory, member

PASSWORD = "une phrase de passe assez longue"


@pytest.fixture
def world(transactional_db):
    """The secretariat, an open call (the documents a new call asks, a 200 000 € cap) with its committee, a landlord
    and a public."""
    secretariat = UserFactory(username="secretariat", first_name="Sam", last_name="Secrétariat")
    secretariat.set_password(PASSWORD)
    secretariat.save()
    member(secretariat, OrganisationFactory(name="Secrétariat national", kind=Organisation.Kind.NATIONAL),
           Membership.Role.SECRETARIAT)  # fmt: skip
    committee = CommitteeFactory(
        name="Provence-Alpes-Côte d'Azur",
        call__status=Call.Status.OPEN,
        call__cap_per_project=Decimal(200000),
        call__required_documents="\n".join(REQUIRED_DOCUMENTS),
        ar_hlm__name="AR Hlm PACA & Corse",
        state_service__name="DREAL PACA",
    )
    committee.call.publics.add(Public.objects.create(name="sortants de prison"))
    OrganisationFactory(name="Habitat Provence", kind=Organisation.Kind.LANDLORD)
    return committee


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Mon espace")).to_be_visible()


def invite(page: Page, email: str, organisation: str, role: str, committee: str = "") -> str:
    """The secretariat's invitation; the link of the e-mail it sends."""
    page.get_by_role("link", name="Inviter une personne").click()
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Organisme").select_option(label=organisation)
    page.get_by_label("Rôle").select_option(label=role)
    if committee:
        page.get_by_label("Comité").select_option(committee)
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.get_by_text(f"Invitation envoyée à {email}")).to_be_visible()
    (message,) = [m for m in mail.outbox if m.to == [email]]
    return re.search(r"http://\S+/invitation/\S+/", message.body).group(0)


def accept(page: Page, link: str, first_name: str, last_name: str) -> None:
    page.goto(link)
    for field, value in (("first_name", first_name), ("last_name", last_name), ("password", PASSWORD),
                         ("password_again", PASSWORD)):  # fmt: skip
        page.locator(f"#id_{field}").fill(value)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_text("Votre compte est créé.")).to_be_visible()


def add_line(page: Page, table: str, index: int) -> None:
    """A table's "Ajouter une ligne": the new line comes in place, its first field focused."""
    page.locator(f"#{table}-add").click()
    expect(page.locator(f"#{table}-lines tr").nth(index).locator("select, input").first).to_be_focused()


def test_invited_landlord_fills_and_submits_a_dossier(world, server, page: Page):
    base = server.url
    committee = world

    # The secretariat invites a member of the committee and a landlord's staff.
    log_in(page, base, "secretariat")
    page.goto(f"{base}/comptes/")
    member_link = invite(
        page, "nadia.membre@dreal.gouv.fr", "DREAL PACA", "Membre de comité régional", str(committee.pk)
    )
    landlord_link = invite(page, "paul.porteur@habitat-provence.fr", "Habitat Provence", "Porteur de projet (bailleur)")
    log_out(page)

    # Both create their account from the link.
    accept(page, member_link, "Nadia", "Membre")
    log_out(page)
    accept(page, landlord_link, "Paul", "Porteur")

    # The landlord starts a dossier.
    page.get_by_role("link", name="Nouveau dossier").first.click()
    page.get_by_label("Appel à projets et comité régional").select_option(str(committee.pk))
    page.get_by_label("Nom du projet").fill("Habiter et rester chez soi")
    page.get_by_role("button", name="Créer le brouillon").click()
    page.get_by_label("Résumé").fill("Accompagner douze ménages vers et dans le logement.")
    page.get_by_label("Durée (années)").fill("2")
    page.get_by_label("Nombre total de ménages accompagnés").fill("12")
    page.get_by_text("sortants de prison").click()
    # Households: the empty line, then a second one and a third, taken off again.
    page.locator("#id_strands-0-strand").select_option("acces")
    page.locator("#id_strands-0-year").fill("1")
    page.locator("#id_strands-0-households").fill("6")
    add_line(page, "strands", 1)
    page.locator("#id_strands-1-strand").select_option("acces")
    page.locator("#id_strands-1-year").fill("2")
    page.locator("#id_strands-1-households").fill("6")
    add_line(page, "strands", 2)
    page.get_by_role("button", name="Retirer la ligne 3 — Ménages accompagnés").click()
    expect(page.locator("#strands-status")).to_have_text("Ligne 3 retirée.")
    expect(page.locator("#strands-lines tr")).to_have_count(2)
    expect(page.locator("#strands-add")).to_be_focused()
    page.locator("#id_territories-0-department").fill("13")
    page.locator("#id_territories-0-commune").fill("Marseille")
    # The budget, typed in French; one amount that cannot be read.
    page.locator("#id_budget-0-year").fill("1")
    page.locator("#id_budget-0-funder").select_option("fsi")
    page.get_by_label("Intitulé, ligne 1").fill("Travailleur social")
    page.locator("#id_budget-0-amount").fill("150 000,50")
    add_line(page, "budget", 1)
    page.locator("#id_budget-1-year").fill("2")
    page.locator("#id_budget-1-funder").select_option("fnavdl")
    page.get_by_label("Intitulé, ligne 2").fill("Coordination")
    page.locator("#id_budget-1-amount").fill("quarante mille")
    page.get_by_label("Modalités d'évaluation").fill("Bilan annuel en comité de suivi.")
    page.get_by_role("button", name="Enregistrer le brouillon").click()

    # The errors at the top, focused, each a link to its field; the lines as they were, none taken off come back.
    expect(page.locator("#strands-lines tr")).to_have_count(2)
    summary = page.get_by_role("alert").filter(has_text="Le brouillon n'a pas été enregistré")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("1 erreur à corriger")
    summary.get_by_role("link", name=re.compile("Montant \\(€\\), ligne 2")).click()
    expect(page.locator("#id_budget-1-amount")).to_be_focused()
    page.locator("#id_budget-1-amount").fill("40 000")

    # The form on a wide screen and on a phone, where its tables scroll and the page does not.
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"onboarding-dossier-form-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1280, "height": 900})

    # The documents the call asks, joined in place: the fields typed stay as they are.
    attach_documents(page)
    expect(page.locator("#id_budget-1-amount")).to_have_value("40 000")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_text("Brouillon enregistré.")).to_be_visible()
    expect(page.get_by_role("cell", name="Travailleur social")).to_be_visible()

    page.get_by_role("button", name="Déposer le dossier").click()
    page.get_by_role("dialog").get_by_role("button", name="Confirmer le dépôt").click()
    expect(page.get_by_text("Dossier déposé : le comité régional en est averti")).to_be_visible()

    dossier = Dossier.objects.get(title="Habiter et rester chez soi")
    assert dossier.state == Dossier.State.SUBMITTED
    assert dossier.lead_landlord.name == "Habitat Provence"
    assert list(dossier.budget_lines.order_by("year").values_list("label", "amount")) == [
        ("Travailleur social", Decimal("150000.50")),
        ("Coordination", Decimal("40000")),
    ]
    assert list(dossier.strands.values_list("year", "households")) == [(1, 6), (2, 6)]
    assert sorted(dossier.attachments.values_list("document_type", flat=True)) == sorted(REQUIRED_DOCUMENTS)
    members = Membership.objects.filter(user__email="nadia.membre@dreal.gouv.fr", committee=committee)
    assert members.get().role == Membership.Role.COMMITTEE_MEMBER
