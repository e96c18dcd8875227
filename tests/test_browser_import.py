"""A past avis conjoint imported in a real browser: the secretariat uploads a scan (three projects, 2° askew, specks,
the third project's title smudged), the reading ends, the review flags the smudged title, which is set in place to
what the reviewer reads on the paper, the landlord the document names "Logirem" is linked to the organisation aap
knows as "SA Logirem Provence", and the import is confirmed: the dossiers and the published version hold the
corrected title and the linked landlord."""

import pytest
from playwright.sync_api import Page, expect

from core.models import ArchiveImport, Committee, Dossier, JointOpinion, Membership, Organisation
from documents.joint_opinion_content import joint_opinion_context
from documents.joint_opinion_pdf import joint_opinion_pdf
from tests.browser import shot
from tests.factories import OrganisationFactory, UserFactory, member
from tests.scans import scanned
from tests.test_documents import VARIED

PASSWORD = "une phrase de passe assez longue"


@pytest.fixture
def world(transactional_db):
    secretariat = UserFactory(username="secretariat")
    secretariat.set_password(PASSWORD)
    secretariat.save()
    member(secretariat, OrganisationFactory(name="Secrétariat national", kind=Organisation.Kind.NATIONAL),
           Membership.Role.SECRETARIAT)  # fmt: skip
    return OrganisationFactory(name="SA Logirem Provence", kind=Organisation.Kind.LANDLORD)


@pytest.fixture
def scan() -> bytes:
    """VARIED, its first project's landlord written "Logirem", printed by aap then scanned, "Trois" smudged."""
    projects = [{**VARIED["projects"][0], "landlord": "Logirem"}, *VARIED["projects"][1:]]
    return scanned(joint_opinion_pdf(joint_opinion_context({**VARIED, "projects": projects})), smudged=("Trois",))


def test_upload_review_correct_link_confirm(server, world, scan, page: Page):
    page.goto(f"{server.url}/connexion/")
    page.get_by_label("Identifiant").fill("secretariat")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Importer un avis conjoint").click()
    expect(page.get_by_role("heading", name="Importer un avis conjoint")).to_be_visible()

    page.get_by_label("Avis conjoint").set_input_files(
        files=[{"name": "avis-bretagne.pdf", "mimeType": "application/pdf", "buffer": scan}]
    )
    # The tests' tasks run at once, inside the request: the click waits for the reading (OCR, a few seconds a page, and
    # more on a busy machine), which ends on the review.
    page.get_by_role("button", name="Lire le fichier").click(timeout=180_000)
    expect(page.get_by_role("heading", name="Import de l'avis conjoint")).to_be_visible()
    expect(page.get_by_role("heading", name="1 champ à vérifier")).to_be_visible(timeout=60_000)
    assert Dossier.objects.count() == 0

    # The smudged title of project 3, read wrong and with a low confidence: corrected in place. The smileys, read
    # sure, are not offered for correction.
    title = page.get_by_label("Nom du projet, Projet N°3")
    expect(title).not_to_have_value("Trois")
    title.fill("Trois")
    expect(page.get_by_label("Avis, Projet N°2")).to_have_count(0)
    page.get_by_label("« Logirem »").select_option(label="SA Logirem Provence")
    shot(page, "import-revue")
    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_role("heading", name="Avis conjoint importé")).to_be_visible()
    shot(page, "import-confirme")

    committee = Committee.objects.get()
    dossiers = {d.number: d for d in committee.dossiers.select_related("lead_landlord", "opinion")}
    assert sorted(dossiers) == [1, 2, 3]
    assert dossiers[1].lead_landlord == world and not Organisation.objects.filter(name="Logirem").exists()
    assert dossiers[3].title == "Trois"
    assert [d.opinion.verdict for _, d in sorted(dossiers.items())] == [p["verdict"] for p in VARIED["projects"]]
    published = JointOpinion.objects.get(committee=committee)
    assert published.version == 1
    assert published.content["projects"][2]["title"] == "Trois"
    archive = ArchiveImport.objects.get()
    assert (archive.state, archive.committee) == (ArchiveImport.State.CONFIRMED, committee)
    assert archive.corrections["projects"]["3"] == {"title": "Trois"}
