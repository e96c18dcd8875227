"""Who may act on the committee's opinions and read its pages: every role of the cast, on each URL and action.

Each table says, for one URL, what each role gets: DONE (the action is carried out, then a redirect),
LOGIN (anonymous: redirected to the login page), 200, or the status of the refusal (403, 404).
"""

import re
import uuid

import pytest
from django.urls import reverse

from core.models import Dossier, ExpertRequest, JointOpinion, Membership, Opinion, OpinionSignature
from core.permissions import Access
from core.services.joint_opinions import snapshot_digest
from core.services.opinions import opinion_sign
from front import committees
from tests import access
from tests.access import A_DRAFT, A_TITLE, B_DRAFT, B_TITLE, DONE, LOGIN, check_redirect, text
from tests.factories import DossierFactory, OpinionFactory, OrganisationFactory, UserFactory, member

# Each project's title and the remarks of its opinion: what must not leak to those who may not read it.
PROJECTS = {A_TITLE: A_DRAFT, B_TITLE: B_DRAFT}

NEW_OPINION = {
    "verdict": "reserve",
    "questions": "Questions revues par le comité.",
    "remarks": "Remarques revues par le comité.",
    "retained": "on",
    "rank": "P2",
}
OPINION_FIELDS = ("verdict", "questions", "remarks", "retained", "rank", "revision")


def check_refusal(response, expected) -> None:
    """Nothing of either dossier in a refusal."""
    access.check_refusal(response, expected, (*PROJECTS, *PROJECTS.values()))


def opinion_values(dossier) -> dict:
    return Opinion.objects.filter(dossier=dossier).values(*OPINION_FIELDS).get()


def listed_titles(response) -> set[str]:
    """The projects in the committee page's table (the publication checks also name projects)."""
    (rows,) = re.findall(r"<tbody>(.*?)</tbody>", text(response), flags=re.S)
    return {title for title in PROJECTS if title in rows}


@pytest.fixture
def signed(cast, signatories):
    """Both opinions signed by both institutions: the committee may publish."""
    for dossier in (cast.dossier, cast.other_dossier):
        for signer in signatories.values():
            opinion_sign(dossier=dossier, by=signer)
    return cast


# role -> what a POST on dossier A's opinion (save or sign) gets
OPINION_ACTION = {
    "anonymous": LOGIN,
    "landlord": 403,
    "other_landlord": 404,
    "member": DONE,
    "member_in_conflict": 403,
    "other_committee_member": 404,
    "secretariat": 403,
    "observer": 403,
    "other_committee_observer": 404,
}


@pytest.mark.parametrize("role", OPINION_ACTION)
def test_opinion_edit(cast, login, role):
    expected = OPINION_ACTION[role]
    before = opinion_values(cast.dossier)
    response = login(cast.users[role]).post(
        reverse("opinion_edit", args=[cast.dossier.pk]), {**NEW_OPINION, "revision": before["revision"]}
    )
    if expected == DONE:
        check_redirect(response, reverse("dossier_detail", args=[cast.dossier.pk]))
        assert opinion_values(cast.dossier) == {**NEW_OPINION, "retained": True, "revision": before["revision"] + 1}
    else:
        check_refusal(response, expected)
        assert opinion_values(cast.dossier) == before


@pytest.mark.parametrize("role", OPINION_ACTION)
def test_opinion_sign(cast, login, role):
    expected = OPINION_ACTION[role]
    response = login(cast.users[role]).post(reverse("opinion_sign", args=[cast.dossier.pk]))
    signatures = OpinionSignature.objects.filter(opinion__dossier=cast.dossier)
    if expected == DONE:
        check_redirect(response, reverse("dossier_detail", args=[cast.dossier.pk]))
        # The cast's member belongs to the committee's State service.
        assert [(s.institution, s.signed_by) for s in signatures] == [
            (cast.committee.institutions[1], cast.users["member"])
        ]
    else:
        check_refusal(response, expected)
        assert not signatures.exists()


def test_a_member_outside_the_two_institutions_does_not_sign(cast, login):
    outsider = member(
        UserFactory(), OrganisationFactory(name="Action Logement"), Membership.Role.COMMITTEE_MEMBER, cast.committee
    )
    response = login(outsider).post(reverse("opinion_sign", args=[cast.dossier.pk]))
    assert response.status_code == 403
    assert not OpinionSignature.objects.exists()


def test_member_in_conflict_signs_the_other_dossier_for_its_institution(cast, login):
    response = login(cast.users["member_in_conflict"]).post(reverse("opinion_sign", args=[cast.other_dossier.pk]))
    check_redirect(response, reverse("dossier_detail", args=[cast.other_dossier.pk]))
    signature = OpinionSignature.objects.get()
    assert (signature.opinion.dossier, signature.institution) == (cast.other_dossier, cast.committee.institutions[0])


# role -> status of the committee page, and the projects whose draft verdict it shows
COMMITTEE_PAGE = {
    "anonymous": (LOGIN, set()),
    "landlord": (404, set()),
    "other_landlord": (404, set()),
    "member": (200, {A_TITLE, B_TITLE}),
    "member_in_conflict": (200, {B_TITLE}),
    "other_committee_member": (404, set()),
    "secretariat": (200, {A_TITLE, B_TITLE}),
    "observer": (200, set()),
    "other_committee_observer": (404, set()),
}


@pytest.mark.parametrize("role", COMMITTEE_PAGE)
def test_committee_page(cast, login, role):
    status, verdicts_shown = COMMITTEE_PAGE[role]
    client = login(cast.users[role])
    page = reverse("committee_detail", args=[cast.committee.pk])
    response, favourable = client.get(page), client.get(page, {"avis": "favorable"})
    if status != 200:
        check_refusal(response, status)
        check_refusal(favourable, status)
        return
    assert response.status_code == favourable.status_code == 200
    assert listed_titles(response) == set(PROJECTS)
    # Both drafts are favourable: the filter finds those whose verdict the role may read, and no other.
    assert listed_titles(favourable) == verdicts_shown
    count = f"Favorable : {len(verdicts_shown)}" if verdicts_shown else "Aucun avis consultable."
    assert count in text(response)
    assert A_DRAFT not in text(response)


def committee_page(client, committee) -> str:
    """The committee page's text, without its CSRF token (which changes from one request to the next)."""
    body = text(client.get(reverse("committee_detail", args=[committee.pk])))
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)


# Changes to dossier A's draft opinion: only those who may read the draft should notice them.
DRAFT_CHANGES = {
    "signed by one institution": lambda cast: opinion_sign(dossier=cast.dossier, by=cast.users["member"]),
    "retained though unfavourable, as the admin allows": lambda cast: Opinion.objects.filter(
        dossier=cast.dossier
    ).update(verdict="defavorable", retained=True, rank="P1"),
}


@pytest.mark.parametrize("change", DRAFT_CHANGES)
@pytest.mark.parametrize("role", ["member_in_conflict", "observer"])
def test_committee_page_ignores_a_draft_the_role_may_not_read(cast, login, role, change):
    client = login(cast.users[role])
    before = committee_page(client, cast.committee)
    DRAFT_CHANGES[change](cast)
    assert committee_page(client, cast.committee) == before


def numbers_listed(response) -> list[str]:
    return re.findall(r"<tr>\s*<td>(\d+)</td>", text(response))


def test_committee_page_pages_its_dossiers_and_keeps_the_filters(cast, login):
    for _ in range(55):
        OpinionFactory(dossier=DossierFactory(committee=cast.committee, lead_landlord=cast.dossier.lead_landlord))
    client = login(cast.users["member"])
    page = reverse("committee_detail", args=[cast.committee.pk])
    first = client.get(page, {"tri": "projet"})
    assert len(numbers_listed(first)) == committees.PER_PAGE
    assert "Dossiers 1 à 50 affichés, sur 57 correspondant aux filtres et 57 au comité" in text(first)
    # The counts are of the whole committee, not of the page.
    assert "57 dossiers par état" in text(first)
    assert "?tri=projet&amp;page=2" in first.content.decode()
    second = client.get(page, {"tri": "projet", "page": "2"})
    assert len(numbers_listed(second)) == 7
    assert len(set(numbers_listed(first) + numbers_listed(second))) == 57
    # A page past the end shows the last one, a page that is not a number the first.
    assert numbers_listed(client.get(page, {"tri": "projet", "page": "99"})) == numbers_listed(second)
    assert numbers_listed(client.get(page, {"tri": "projet", "page": "x"})) == numbers_listed(first)


# role -> status of the publication page: the checks and the draft avis conjoint are the committee's
PUBLICATION_PAGE = {
    "anonymous": LOGIN,
    "landlord": 404,
    "other_landlord": 404,
    "member": 200,
    "member_in_conflict": 200,
    "other_committee_member": 404,
    "secretariat": 200,
    "observer": 403,
    "other_committee_observer": 404,
}


@pytest.mark.parametrize("role", PUBLICATION_PAGE)
def test_publication_page(cast, login, role):
    expected = PUBLICATION_PAGE[role]
    response = login(cast.users[role]).get(reverse("committee_publication", args=[cast.committee.pk]))
    if expected != 200:
        check_refusal(response, expected)
        return
    body = text(response)
    assert response.status_code == 200
    assert "Projet N°" in body and "bloquant" in body
    assert A_DRAFT not in body and B_DRAFT not in body
    # Only members publish; a member in conflict is told that it does not see the state of that opinion.
    assert ("Publier l'avis conjoint" in body) == (role != "secretariat")
    in_conflict = f"Projet N°{cast.dossier.number} : en conflit d'intérêts"
    assert (in_conflict in body) == (role == "member_in_conflict")


# role -> what a POST to publish the committee's avis conjoint gets, its opinions being signed
PUBLISH = {
    "anonymous": LOGIN,
    "landlord": 404,
    "other_landlord": 404,
    "member": DONE,
    "member_in_conflict": DONE,
    "other_committee_member": 404,
    "secretariat": 403,
    "observer": 403,
    "other_committee_observer": 404,
}


@pytest.mark.parametrize("role", PUBLISH)
def test_committee_publish(signed, login, role):
    expected, committee = PUBLISH[role], signed.committee
    response = login(signed.users[role]).post(reverse("committee_publish", args=[committee.pk]))
    if expected == DONE:
        joint_opinion = JointOpinion.objects.get(committee=committee)
        check_redirect(response, reverse("joint_opinion", args=[joint_opinion.uuid]))
        assert (joint_opinion.version, joint_opinion.published_by) == (1, signed.users[role])
        assert joint_opinion.sha256 == snapshot_digest(joint_opinion.content)
        assert re.fullmatch(r"[0-9a-f]{64}", joint_opinion.sha256)
        assert [p["title"] for p in joint_opinion.content["projects"]] == [A_TITLE, B_TITLE]
    else:
        check_refusal(response, expected)
        assert not JointOpinion.objects.exists()


def test_publishing_again_without_change_is_refused(signed, login):
    client = login(signed.users["member"])
    url = reverse("committee_publish", args=[signed.committee.pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("committee_publication", args=[signed.committee.pk]), 302)]
    assert "Rien n'a changé depuis la version 1 publiée." in text(response)
    assert list(JointOpinion.objects.values_list("version", flat=True)) == [1]


# role -> status of the published avis conjoint (version 1), and the projects it shows
JOINT_OPINION = {
    "anonymous": (LOGIN, set()),
    "landlord": (200, {A_TITLE}),
    "other_landlord": (200, {B_TITLE}),
    "member": (200, {A_TITLE, B_TITLE}),
    "member_in_conflict": (200, {A_TITLE, B_TITLE}),
    "other_committee_member": (404, set()),
    "secretariat": (200, {A_TITLE, B_TITLE}),
    "observer": (200, {A_TITLE, B_TITLE}),
    "other_committee_observer": (404, set()),
}


@pytest.mark.parametrize("role", JOINT_OPINION)
def test_joint_opinion(published, login, role):
    status, shown = JOINT_OPINION[role]
    version = published.committee.joint_opinions.get(version=1)
    response = login(published.users[role]).get(reverse("joint_opinion", args=[version.uuid]))
    if status != 200:
        check_refusal(response, status)
        return
    assert response.status_code == 200
    body = text(response)
    assert {title for title in PROJECTS if title in body} == shown
    assert {title for title, remarks in PROJECTS.items() if remarks in body} == shown


def test_an_unknown_joint_opinion_is_not_found(published, login):
    response = login(published.users["member"]).get(reverse("joint_opinion", args=[uuid.uuid4()]))
    assert response.status_code == 404


@pytest.mark.parametrize("link", ["lead_landlord", "co_landlords", "partners"])
def test_a_member_reads_every_draft_unless_its_organisation_is_linked_to_one_of_the_committee(cast, link):
    """The committee page reads drafts without a test per dossier when reads_every_draft() says so."""
    organisation = OrganisationFactory()
    user = member(UserFactory(), organisation, Membership.Role.COMMITTEE_MEMBER, cast.committee)
    elsewhere = DossierFactory()
    here = DossierFactory(committee=cast.committee)
    for dossier in (elsewhere, here):
        if link == "lead_landlord":
            dossier.lead_landlord = organisation
            dossier.save()
        else:
            getattr(dossier, link).add(organisation)
        # Linked to a dossier of another committee only: no conflict here.
        assert Access(user).reads_every_draft(cast.committee.pk) == (dossier is elsewhere)
    assert not Access(user).reads_every_draft(elsewhere.committee_id)
    assert Access(cast.users["secretariat"]).reads_every_draft(cast.committee.pk)
    assert not Access(cast.users["observer"]).reads_every_draft(cast.committee.pk)


def test_a_dossier_is_seen_alone_as_in_the_list(cast):
    """sees() (one dossier's check) and dossiers() (a UNION for narrow readers) say the same, role by role."""
    co_carried = DossierFactory(committee=cast.committee, state=Dossier.State.DRAFT)
    co_carried.co_landlords.add(cast.dossier.lead_landlord)
    DossierFactory(committee=cast.committee, state=Dossier.State.DRAFT)  # nobody's but its landlord's
    DossierFactory(state=Dossier.State.CLOSED)  # another committee's
    expert = member(UserFactory(), OrganisationFactory(), Membership.Role.EXPERT)
    ExpertRequest.objects.create(
        dossier=cast.other_dossier, expert=expert, question="?", requested_by=cast.users["member"]
    )
    readers = {**cast.users, "expert": expert, "no_role": UserFactory()}
    del readers["anonymous"]
    seen = {}
    for role, user in readers.items():
        access = Access(user)
        seen[role] = set(access.dossiers().values_list("pk", flat=True))
        assert seen[role] == set(Dossier.objects.filter(access.sees()).values_list("pk", flat=True)), role
    a, b = cast.dossier.pk, cast.other_dossier.pk
    assert (seen["landlord"], seen["member"], seen["expert"], seen["no_role"]) == (
        {a, co_carried.pk},
        {a, b},
        {b},
        set(),
    )
