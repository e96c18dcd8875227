"""The REST API: every role of the cast on each endpoint, the filters and the pagination.

Each table says, for one endpoint, what each role gets: 401 (anonymous), 404 (refused without
revealing the object), or what it reads.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.tokens import token_create
from core.models import Call, Committee, Decision, Dossier, JointOpinion, Opinion, Public, Report
from core.permissions import Access
from core.services.joint_opinions import committee_snapshot, snapshot_digest
from tests.access import A_DRAFT, A_TITLE, B_DRAFT, B_TITLE
from tests.factories import DossierFactory, OpinionFactory

PUBLISHED_A = "Brouillon de l'avis sur A"  # what version 1 of the avis conjoint froze
CORRECTION = "Correction en cours, non publiée"


@pytest.fixture
def api(cast, client):
    """GET as one role of the cast, with a personal token (none for the anonymous)."""
    secrets = {role: token_create(user=user, name="tests")[1] for role, user in cast.users.items() if user}

    def get(role: str, path: str, **params):
        headers = {"Authorization": f"Bearer {secrets[role]}"} if role in secrets else {}
        return client.get(f"/api/v1{path}", params, headers=headers)

    return get


def elsewhere(cast) -> Committee:
    return Committee.objects.exclude(pk=cast.committee.pk).get()


def titles(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {d["title"] for d in response.json()["items"]}


def check_refusal(response, status: int) -> None:
    assert response.status_code == status
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    for secret in (A_TITLE, B_TITLE, A_DRAFT, B_DRAFT, CORRECTION):
        assert secret not in response.content.decode()


# role -> the dossiers listed
DOSSIER_LIST = {
    "anonymous": 401,
    "landlord": {A_TITLE},
    "other_landlord": {B_TITLE},
    "member": {A_TITLE, B_TITLE},
    "member_in_conflict": {A_TITLE, B_TITLE},
    "other_committee_member": set(),
    "secretariat": {A_TITLE, B_TITLE},
    "observer": {A_TITLE, B_TITLE},
    "other_committee_observer": set(),
}


@pytest.mark.parametrize("role", DOSSIER_LIST)
def test_dossier_list(cast, api, role):
    expected = DOSSIER_LIST[role]
    response = api(role, "/dossiers")
    if expected == 401:
        check_refusal(response, 401)
    else:
        assert titles(response) == expected


# role -> dossier A's page in the API
DOSSIER_DETAIL = {
    "anonymous": 401,
    "landlord": 200,
    "other_landlord": 404,
    "member": 200,
    "member_in_conflict": 200,
    "other_committee_member": 404,
    "secretariat": 200,
    "observer": 200,
    "other_committee_observer": 404,
}


@pytest.mark.parametrize("role", DOSSIER_DETAIL)
def test_dossier_detail(cast, api, role):
    response = api(role, f"/dossiers/{cast.dossier.pk}")
    if DOSSIER_DETAIL[role] == 200:
        assert response.status_code == 200
        body = response.json()
        assert (body["title"], body["lead_landlord"]["name"], body["state"]) == (A_TITLE, "Bailleur A", "instruction")
        assert A_DRAFT not in response.content.decode()
    else:
        check_refusal(response, DOSSIER_DETAIL[role])


def test_a_draft_dossier_is_its_landlords_alone(cast, api):
    draft = DossierFactory(committee=cast.committee, lead_landlord=cast.dossier.lead_landlord, state="brouillon")
    assert api("landlord", f"/dossiers/{draft.pk}").status_code == 200
    assert api("secretariat", f"/dossiers/{draft.pk}").status_code == 200
    for role in ("member", "observer", "other_landlord"):
        check_refusal(api(role, f"/dossiers/{draft.pk}"), 404)


# role -> dossier A's opinion before publication: the draft, or 404
OPINION_UNPUBLISHED = {
    "anonymous": 401,
    "landlord": 404,
    "other_landlord": 404,
    "member": A_DRAFT,
    "member_in_conflict": 404,
    "other_committee_member": 404,
    "secretariat": A_DRAFT,
    "observer": 404,
    "other_committee_observer": 404,
}


@pytest.mark.parametrize("role", OPINION_UNPUBLISHED)
def test_opinion_before_publication(cast, api, role):
    expected = OPINION_UNPUBLISHED[role]
    response = api(role, f"/dossiers/{cast.dossier.pk}/opinion")
    if isinstance(expected, int):
        check_refusal(response, expected)
    else:
        assert response.json() == {
            "verdict": "favorable",
            "rank": "P1",
            "questions": "Questions du comité.",
            "remarks": expected,
            "published_version": None,
        }


# role -> (remarks read, published version) once version 1 is published and the committee corrects the draft
OPINION_PUBLISHED = {
    "anonymous": 401,
    "landlord": (PUBLISHED_A, 1),
    "other_landlord": 404,
    "member": (CORRECTION, None),
    "member_in_conflict": (PUBLISHED_A, 1),
    "other_committee_member": 404,
    "secretariat": (CORRECTION, None),
    "observer": (PUBLISHED_A, 1),
    "other_committee_observer": 404,
}


@pytest.mark.parametrize("role", OPINION_PUBLISHED)
def test_opinion_after_publication(published, api, role):
    Opinion.objects.filter(dossier=published.dossier).update(remarks=CORRECTION)
    expected = OPINION_PUBLISHED[role]
    response = api(role, f"/dossiers/{published.dossier.pk}/opinion")
    if isinstance(expected, int):
        check_refusal(response, expected)
    else:
        body = response.json()
        assert (body["remarks"], body["published_version"]) == expected
        if expected[1] is not None:
            assert CORRECTION not in response.content.decode()


def test_a_member_in_conflict_never_reads_the_draft_through_the_api(cast, api):
    for path in (f"/dossiers/{cast.dossier.pk}/opinion", f"/dossiers/{cast.dossier.pk}", "/dossiers"):
        assert A_DRAFT not in api("member_in_conflict", path).content.decode()
    # Filtering on the rank reveals nothing either: B's draft is readable, A's is not.
    assert titles(api("member_in_conflict", "/dossiers", rank="P1")) == {B_TITLE}


# role -> committees listed, "here" for the cast's committee, "elsewhere" for the other one
COMMITTEE_LIST = {
    "anonymous": 401,
    "landlord": {"here"},
    "other_landlord": {"here"},
    "member": {"here"},
    "member_in_conflict": {"here"},
    "other_committee_member": {"elsewhere"},
    "secretariat": {"here", "elsewhere"},
    "observer": {"here", "elsewhere"},
    "other_committee_observer": {"elsewhere"},
}


@pytest.mark.parametrize("role", COMMITTEE_LIST)
def test_committee_and_call_lists(cast, api, role):
    expected = COMMITTEE_LIST[role]
    names = {"here": cast.committee, "elsewhere": elsewhere(cast)}
    committees, calls = api(role, "/committees"), api(role, "/calls")
    if expected == 401:
        check_refusal(committees, 401)
        check_refusal(calls, 401)
        return
    assert {c["id"] for c in committees.json()["items"]} == {names[n].pk for n in expected}
    # Both calls are in preparation: each role sees those of the committees it reads.
    assert {c["id"] for c in calls.json()["items"]} == {names[n].call_id for n in expected}


def test_an_open_call_is_listed_to_everyone(cast, api):
    Call.objects.filter(pk=elsewhere(cast).call_id).update(status=Call.Status.OPEN)
    assert {c["id"] for c in api("landlord", "/calls").json()["items"]} == {
        cast.committee.call_id,
        elsewhere(cast).call_id,
    }


# role -> the projects each reads in the published avis conjoint of the cast's committee
JOINT_OPINIONS = {
    "anonymous": 401,
    "landlord": {A_TITLE},
    "other_landlord": {B_TITLE},
    "member": {A_TITLE, B_TITLE},
    "member_in_conflict": {A_TITLE, B_TITLE},
    "other_committee_member": 404,
    "secretariat": {A_TITLE, B_TITLE},
    "observer": {A_TITLE, B_TITLE},
    "other_committee_observer": 404,
}


@pytest.mark.parametrize("role", JOINT_OPINIONS)
def test_joint_opinions(published, api, role):
    Opinion.objects.filter(dossier=published.dossier).update(remarks=CORRECTION)
    expected = JOINT_OPINIONS[role]
    response = api(role, f"/committees/{published.committee.pk}/joint-opinions")
    if isinstance(expected, int):
        check_refusal(response, expected)
        return
    (version,) = response.json()["items"]
    assert version["version"] == 1 and len(version["sha256"]) == 64
    assert {p["title"] for p in version["content"]["projects"]} == expected
    assert CORRECTION not in response.content.decode()


def test_joint_opinions_of_an_unknown_committee(cast, api):
    check_refusal(api("secretariat", "/committees/999999/joint-opinions"), 404)


# role -> (before notification, after) for dossier A's decision
DECISION = {
    "anonymous": (401, 401),
    "landlord": (404, 200),
    "other_landlord": (404, 404),
    "member": (404, 200),
    "member_in_conflict": (404, 200),
    "other_committee_member": (404, 404),
    "secretariat": (200, 200),
    "observer": (404, 200),
    "other_committee_observer": (404, 404),
}


@pytest.mark.parametrize("role", DECISION)
def test_decision(cast, api, role):
    path = f"/dossiers/{cast.dossier.pk}/decision"
    assert api("secretariat", path).status_code == 404
    decision = Decision.objects.create(dossier=cast.dossier, outcome="retenu", amount_granted=120000)
    for expected in DECISION[role]:
        response = api(role, path)
        if expected == 200:
            assert (response.json()["outcome"], response.json()["amount_granted"]) == ("retenu", "120000.00")
        else:
            check_refusal(response, expected)
        decision.notified_at = timezone.now()
        decision.save()


# role -> years of dossier A's reports read (year 1 is still a draft, year 2 is sent)
REPORTS = {
    "anonymous": 401,
    "landlord": [1, 2],
    "other_landlord": 404,
    "member": [2],
    "member_in_conflict": [1, 2],
    "other_committee_member": 404,
    "secretariat": [1, 2],
    "observer": [2],
    "other_committee_observer": 404,
}


@pytest.mark.parametrize("role", REPORTS)
def test_reports(cast, api, role):
    Report.objects.create(dossier=cast.dossier, year=1)
    sent = Report.objects.create(dossier=cast.dossier, year=2, state="transmis", entries_into_housing=4)
    sent.households.create(strand="acces", households=6)
    expected = REPORTS[role]
    response = api(role, f"/dossiers/{cast.dossier.pk}/reports")
    if isinstance(expected, int):
        check_refusal(response, expected)
    else:
        items = response.json()["items"]
        assert [r["year"] for r in items] == expected
        assert items[-1]["households"] == [{"strand": "acces", "households": 6}]


def test_filters(cast, api):
    public = Public.objects.create(name="Jeunes sortant de l'ASE")
    cast.other_dossier.publics.add(public)
    Committee.objects.filter(pk=cast.committee.pk).update(region="93")
    Dossier.objects.filter(pk=cast.other_dossier.pk).update(state="avis_signe")
    both = {A_TITLE, B_TITLE}
    cases = {
        (("call", cast.committee.call_id),): both,
        (("call", elsewhere(cast).call_id),): set(),
        (("region", "93"),): both,
        (("region", "11"),): set(),
        (("state", "avis_signe"),): {B_TITLE},
        (("landlord", cast.dossier.lead_landlord_id),): {A_TITLE},
        (("public", public.pk),): {B_TITLE},
        (("rank", "P1"),): both,
        (("rank", "P2"),): set(),
        (("updated_since", (timezone.now() - timedelta(hours=1)).isoformat()),): both,
        (("updated_since", "2999-01-01T00:00:00"),): set(),
        (("state", "instruction"), ("region", "93")): {A_TITLE},
    }
    for params, expected in cases.items():
        assert titles(api("secretariat", "/dossiers", **dict(params))) == expected, params


def test_a_co_landlord_filters_as_a_landlord(cast, api):
    cast.other_dossier.co_landlords.add(cast.dossier.lead_landlord)
    assert titles(api("secretariat", "/dossiers", landlord=cast.dossier.lead_landlord_id)) == {A_TITLE, B_TITLE}


def test_the_rank_filter_reads_only_published_ranks_for_a_landlord(cast, api):
    assert titles(api("landlord", "/dossiers", rank="P1")) == set()
    content = committee_snapshot(cast.committee)
    JointOpinion.objects.create(
        committee=cast.committee, version=1, source="publication", content=content, sha256=snapshot_digest(content)
    )
    # The committee changes its draft rank after publication: the landlord still filters on P1.
    Opinion.objects.filter(dossier=cast.dossier).update(rank="P3")
    assert titles(api("landlord", "/dossiers", rank="P1")) == {A_TITLE}
    assert titles(api("landlord", "/dossiers", rank="P3")) == set()
    assert titles(api("member", "/dossiers", rank="P3")) == {A_TITLE}


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"state": "inconnu"}, "« state » : valeur inconnue"),
        ({"region": "99"}, "« region » : valeur inconnue"),
        ({"rank": "P9"}, "« rank » : valeur inconnue"),
        ({"call": "abc"}, "« call » : nombre entier attendu"),
        ({"landlord": "0"}, "« landlord » : valeur au moins égale à 1"),
        ({"updated_since": "hier"}, "« updated_since » : date et heure ISO 8601"),
        ({"updated_since": "0001-01-01T00:00:00+05:00"}, "« updated_since » : date hors des limites"),
        ({"limit": "0"}, "« limit » : valeur au moins égale à 1"),
        ({"limit": "201"}, "« limit » : valeur au plus égale à 200"),
        ({"cursor": "pas-un-curseur"}, "Curseur invalide"),
        # No cursor is no parameter: an empty one is a client's mistake, not the first page.
        ({"cursor": ""}, "« cursor »"),
        # Repeated, the last value alone would be read: here an empty cursor, the first page.
        ({"cursor": ["pas-un-curseur", ""]}, "« cursor » : une seule valeur attendue"),
    ],
)
def test_bad_parameters_get_a_french_message(cast, api, params, words):
    response = api("secretariat", "/dossiers", **params)
    assert response.status_code == 422
    assert words in response.json()["detail"]


def test_bad_path_ids(cast, api):
    assert api("secretariat", "/dossiers/0").status_code == 422
    assert api("secretariat", f"/dossiers/{2**64}").status_code == 422
    check_refusal(api("secretariat", "/dossiers/987654"), 404)


@pytest.fixture
def many(cast):
    """25 more dossiers in the committee, with co-landlords and opinions, so that pages are full."""
    # Numbered after the cast's own, which the factory's sequence numbers as far as this process has counted.
    first = max(cast.dossier.number, cast.other_dossier.number) + 1
    for number in range(first, first + 25):
        dossier = DossierFactory(committee=cast.committee, lead_landlord=cast.dossier.lead_landlord, number=number)
        dossier.co_landlords.add(cast.other_dossier.lead_landlord)
        OpinionFactory(dossier=dossier)
    return cast


@pytest.mark.parametrize("role", ["secretariat", "landlord", "other_landlord", "member_in_conflict"])
def test_a_cursor_walk_returns_every_visible_dossier_once(many, api, role):
    seen, cursor = [], None
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        body = api(role, "/dossiers", **params).json()
        seen += [d["id"] for d in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == sorted(set(seen))
    assert set(seen) == set(Access(many.users[role]).dossiers().values_list("pk", flat=True))


@pytest.mark.parametrize("role", ["secretariat", "member_in_conflict", "landlord"])
@pytest.mark.parametrize("limit", [3, 200])
def test_a_page_costs_the_same_number_of_queries(many, published, api, django_assert_max_num_queries, role, limit):
    # token, its last use, memberships, the page and its three many-to-many; for the rank filter, the
    # conflicts and the published versions.
    with django_assert_max_num_queries(10):
        response = api(role, "/dossiers", limit=limit, rank="P1")
    assert response.status_code == 200 and response.json()["items"]
