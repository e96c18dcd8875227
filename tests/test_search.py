"""Search across calls: French-aware matching, excerpts, and nothing a reader may not see."""

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import Dossier, Membership
from core.permissions import Access
from demo.setup import demo_setup
from search import engine, views
from search.engine import search
from search.index import reindex
from search.models import SearchEntry
from search.text import excerpt, fold_keeping_ligatures, terms
from tests.access import LOGIN, check_refusal, text
from tests.factories import DossierFactory, OpinionFactory, OrganisationFactory

URL = reverse("search")


def found(user, query: str) -> set[str]:
    return {result.dossier.title for result in search(Access(user), query, limit=100)[0]}


def numbers(user, query: str) -> set[int]:
    return {result.dossier.number for result in search(Access(user), query, limit=100)[0]}


# Matching ---------------------------------------------------------------------------------------


def test_folding_keeps_every_offset():
    assert fold_keeping_ligatures("Ménages « ÉLOIGNÉS » ﬁn") == "menages « eloignes » ﬁn"


@pytest.mark.parametrize(
    ("query", "prefixes"),
    [
        ("autisme", ["autis"]),
        ("Autistes", ["autis"]),
        ("troubles autistiques", ["troubl", "autis"]),
        ("l'évaluation des GEM", ["evalu", "gem"]),
        ("sociaux", ["socia"]),
        ("", []),
        ("le la de", []),
    ],
)
def test_query_terms(query, prefixes):
    assert terms(query) == prefixes


def test_excerpt_marks_the_matches_and_escapes_the_rest():
    fields = [["Résumé", "Rien ici."], ["Questions soulevées", "<b>Des</b> personnes AUTISTES et l'autisme."]]
    label, passage = excerpt(fields, terms("autisme"))
    assert label == "Questions soulevées"
    assert passage == "&lt;b&gt;Des&lt;/b&gt; personnes <mark>AUTISTES</mark> et l&#x27;<mark>autisme</mark>."


def test_excerpt_of_a_long_text_is_a_passage_around_the_first_match():
    long_text = "début " * 100 + "les femmes victimes de violences " + "suite " * 100
    _, passage = excerpt([["Résumé", long_text]], terms("violence"))
    assert passage.startswith("… ") and passage.endswith(" …")
    assert "<mark>violences</mark>" in passage
    assert len(passage) < 400


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_query_gives_safe_prefixes(query):
    for prefix in terms(query):
        assert re.fullmatch(r"\w+", prefix)
        assert prefix == fold_keeping_ligatures(prefix)


# The seed ---------------------------------------------------------------------------------------


@pytest.fixture
def seeded(db):
    """The demo: the seed's seven projects, published, and one account per role."""
    return {login.organisation: User.objects.get(username=login.username) for login in demo_setup()}


def test_autisme_finds_the_seeds_autism_projects(seeded):
    secretariat = User.objects.get(username="secretariat")
    assert numbers(secretariat, "autisme") == {3, 4}
    assert numbers(secretariat, "autiste") == {3, 4}
    assert numbers(secretariat, "AUTISTIQUES") == {3, 4}


def test_accents_do_not_matter(seeded):
    member = User.objects.get(username="arhlm.paca")
    assert numbers(member, "mediterranee") == numbers(member, "Méditerranée") != set()


def test_every_word_must_match(seeded):
    secretariat = User.objects.get(username="secretariat")
    assert numbers(secretariat, "autisme prison") == {4}


def test_a_landlord_finds_only_its_own_dossiers(seeded):
    carrier_of_3 = Dossier.objects.get(number=3, call__edition=4).lead_landlord
    landlord = next(user for org, user in seeded.items() if org == str(carrier_of_3))
    assert numbers(landlord, "autisme") == {3}
    stranger = next(
        user
        for org, user in seeded.items()
        if user.memberships.filter(role=Membership.Role.LANDLORD_STAFF).exists()
        and not Dossier.objects.filter(lead_landlord__name=org, number__in=[3, 4]).exists()
    )
    assert numbers(stranger, "autisme") == set()


# Who reads what ----------------------------------------------------------------------------------


@pytest.fixture
def worded(cast):
    """Words that only the working copy of the opinion on A holds, and the dossiers' own words."""
    cast.dossier.opinion.questions = "Le comité s'interroge sur la colocation intergénérationnelle."
    cast.dossier.opinion.save()
    cast.dossier.summary = "Accompagnement de jeunes majeurs sortant de l'ASE."
    cast.dossier.save()
    cast.other_dossier.summary = "Accompagnement de femmes victimes de violences."
    cast.other_dossier.save()
    return cast


SEES = {
    # role: (dossiers found by the dossiers' words, whether the draft opinion's words find A)
    "landlord": ({"Projet du bailleur A"}, False),
    "other_landlord": ({"Projet du bailleur B"}, False),
    "member": ({"Projet du bailleur A", "Projet du bailleur B"}, True),
    "member_in_conflict": ({"Projet du bailleur A", "Projet du bailleur B"}, False),
    "other_committee_member": (set(), False),
    "secretariat": ({"Projet du bailleur A", "Projet du bailleur B"}, True),
    "observer": ({"Projet du bailleur A", "Projet du bailleur B"}, False),
    "other_committee_observer": (set(), False),
}


@pytest.mark.parametrize("role", SEES)
def test_results_hold_only_what_the_reader_may_see(worded, role):
    user = worded.users[role]
    dossiers, reads_draft = SEES[role]
    assert found(user, "accompagnement") == dossiers
    assert found(user, "colocations intergenerationnelles") == ({"Projet du bailleur A"} if reads_draft else set())


def test_the_published_opinion_is_found_by_those_who_read_it(worded, published):
    worded.dossier.opinion.questions = "Texte réécrit après la publication."
    worded.dossier.opinion.save()
    landlord, conflicted = worded.users["landlord"], worded.users["member_in_conflict"]
    for reader in (landlord, conflicted):
        assert found(reader, "intergenerationnelle") == {"Projet du bailleur A"}
        assert found(reader, "réécrit") == set()
    assert found(worded.users["member"], "réécrit") == {"Projet du bailleur A"}
    assert found(worded.users["member"], "intergenerationnelle") == set()


def test_an_expert_finds_only_the_dossiers_sent_to_them(worded):
    from core.models import ExpertRequest
    from tests.factories import UserFactory, member

    expert = member(UserFactory(username="expert"), OrganisationFactory(), Membership.Role.EXPERT)
    assert found(expert, "accompagnement") == set()
    ExpertRequest.objects.create(
        dossier=worded.other_dossier, expert=expert, question="Votre avis ?", requested_by=worded.users["member"]
    )
    assert found(expert, "accompagnement") == {"Projet du bailleur B"}


def test_a_landlords_draft_is_its_own(cast):
    DossierFactory(
        committee=cast.committee,
        lead_landlord=cast.dossier.lead_landlord,
        title="Pension de famille",
        state=Dossier.State.DRAFT,
    )
    assert found(cast.users["landlord"], "pension") == {"Pension de famille"}
    for role in ("member", "observer", "other_landlord"):
        assert found(cast.users[role], "pension") == set()


# Keeping the index current ---------------------------------------------------------------------


def test_the_index_follows_every_change(cast):
    member, dossier = cast.users["member"], cast.dossier
    dossier.title = "Habitat inclusif"
    dossier.save()
    assert found(member, "inclusif") == {"Habitat inclusif"}
    dossier.partners.add(OrganisationFactory(name="Moissons Nouvelles"))
    assert found(member, "moisson") == {"Habitat inclusif"}
    dossier.partners.clear()
    assert found(member, "moisson") == set()
    dossier.delete()
    assert found(member, "inclusif") == set()


def test_rebuilding_gives_the_same_entries(cast, published):
    def entries():
        return sorted(SearchEntry.objects.values_list("dossier_id", "audience", "text", "fields"))

    before = entries()
    SearchEntry.objects.all().delete()
    assert reindex() == Dossier.objects.count()
    assert entries() == before


# The page ---------------------------------------------------------------------------------------


def test_the_page_shows_highlighted_excerpts(worded, login):
    response = login(worded.users["member"]).get(URL, {"q": "VIOLENCE"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 dossier trouvé" in body
    assert "<mark>violences</mark>" in body
    assert reverse("dossier_detail", args=[worded.other_dossier.pk]) in body


def test_the_page_escapes_what_dossiers_hold(cast, login):
    cast.dossier.title = "<script>alert('x')</script> Logement d'abord"
    cast.dossier.save()
    body = login(cast.users["member"]).get(URL, {"q": "logement"}).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;" in body


def test_the_page_says_when_nothing_is_found(worded, login):
    response = login(worded.users["landlord"]).get(URL, {"q": "femmes victimes"})
    assert "Aucun des dossiers que vous pouvez consulter ne correspond à « femmes victimes »" in text(response)
    assert "Projet du bailleur B" not in text(response)


def test_an_account_without_a_role_finds_nothing(worded, login):
    response = login(User.objects.create_user("sans.role")).get(URL, {"q": "accompagnement"})
    assert response.status_code == 200
    assert "Aucun des dossiers que vous pouvez consulter ne correspond à « accompagnement »" in text(response)


def test_the_page_needs_an_account(cast, client):
    check_refusal(client.get(URL, {"q": "projet"}), LOGIN, ["Projet du bailleur"])


def test_results_come_by_pages(cast, login):
    for n in range(23):
        DossierFactory(committee=cast.committee, title=f"Colocation solidaire {n}", summary="colocation")
    client = login(cast.users["secretariat"])
    assert text(client.get(URL, {"q": "colocation"})).count("Colocation solidaire") == 20
    second = text(client.get(URL, {"q": "colocation", "page": "2"}))
    assert "page 2 sur 2" in second and second.count("Colocation solidaire") == 3
    assert "page 2 sur 2" in text(client.get(URL, {"q": "colocation", "page": "999"}))
    assert "page 1 sur 2" in text(client.get(URL, {"q": "colocation", "page": "-1"}))


# Bounded work: a cap on the matches ranked --------------------------------------------------------


@pytest.fixture
def cap(monkeypatch):
    """A cap of 25 matches (1 000 in production), shown by the page as it would be."""
    monkeypatch.setattr(engine, "CANDIDATES", 25)
    monkeypatch.setattr(views, "CANDIDATES", 25)
    return 25


def colocations(committee, count: int) -> list[Dossier]:
    return [
        DossierFactory(committee=committee, title=f"Colocation solidaire {n}", summary="colocation")
        for n in range(count)
    ]


def test_over_the_cap_the_page_says_more_and_still_pages(cast, cap, login):
    dossiers = colocations(cast.committee, 30)
    client = login(cast.users["secretariat"])
    first = text(client.get(URL, {"q": "colocation"}))
    assert "Plus de 25 dossiers trouvés pour « colocation » — page 1 sur 2" in first
    assert "ajoutez un mot pour affiner la recherche" in first
    second = text(client.get(URL, {"q": "colocation", "page": "2"}))
    assert "page 2 sur 2" in second
    assert "page 2 sur 2" in text(client.get(URL, {"q": "colocation", "page": "999"}))
    shown = re.findall(r"Colocation solidaire \d+", first + second)
    assert len(shown) == len(set(shown)) == cap
    # The candidates are the most recently indexed: the last dossiers written.
    assert set(shown) == {dossier.title for dossier in dossiers[-cap:]}


def test_under_the_cap_the_count_is_exact(cast, cap, login):
    colocations(cast.committee, cap)
    assert f"{cap} dossiers trouvés pour « colocation »" in text(
        login(cast.users["secretariat"]).get(URL, {"q": "colocation"})
    )


def test_the_cap_counts_only_what_the_reader_may_read(cast, cap):
    """Matches in another committee neither take the reader's places under the cap nor show."""
    elsewhere = DossierFactory(title="Colocation ailleurs").committee
    colocations(elsewhere, 30)
    mine = DossierFactory(committee=cast.committee, title="Colocation du comité", summary="colocation")
    colocations(elsewhere, 30)
    member = search(Access(cast.users["member"]), "colocation")
    assert ([result.dossier for result in member.results], member.total, member.more) == ([mine], 1, False)
    assert search(Access(cast.users["secretariat"]), "colocation").more


def test_the_best_candidates_come_first(cast, cap):
    colocations(cast.committee, 5)
    DossierFactory(committee=cast.committee, title="Colocation, colocation", summary="Une colocation de jeunes.")
    colocations(cast.committee, 5)
    results = search(Access(cast.users["secretariat"]), "colocation").results
    assert results[0].dossier.title == "Colocation, colocation"


# Queries per request ------------------------------------------------------------------------------


def _queries(client, query: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, {"q": query}).status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", ["member", "secretariat"])
def test_queries_do_not_grow_with_the_results(cast, cap, login, role):
    client = login(cast.users[role])
    _queries(client, "colocation")  # the session's first request writes it
    DossierFactory(committee=cast.committee, title="Colocation 1")
    one = _queries(client, "colocation")
    for n in range(10):
        OpinionFactory(dossier=DossierFactory(committee=cast.committee, title=f"Colocation {n + 2}"))
    eleven = _queries(client, "colocation")
    colocations(cast.committee, 40)
    over_the_cap = _queries(client, "colocation")
    assert "Plus de 25 dossiers" in text(client.get(URL, {"q": "colocation"}))
    assert one == eleven == over_the_cap <= 12


# The stored vector (PostgreSQL) -----------------------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the stored tsvector is PostgreSQL's; SQLite indexes the text in its FTS5 table (search/migrations/0001)",
)


def stale_vectors() -> int:
    """Entries whose stored vector is not to_tsvector('french', text), the GIN-indexed column engine.py queries."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM search_searchentry "
            "WHERE vector IS NULL OR vector != to_tsvector('french'::regconfig, COALESCE(text, ''))"
        )
        return cursor.fetchone()[0]


@postgresql_only
def test_the_stored_vector_follows_every_write(cast):
    assert SearchEntry.objects.exists() and stale_vectors() == 0
    cast.dossier.title = "Habitat inclusif"
    cast.dossier.save()
    cast.dossier.opinion.questions = "Quelle colocation intergénérationnelle ?"
    cast.dossier.opinion.save()
    cast.dossier.partners.add(OrganisationFactory(name="Moissons Nouvelles"))
    DossierFactory(committee=cast.committee, title="Pension de famille")
    assert stale_vectors() == 0
    entry = SearchEntry.objects.get(dossier=cast.dossier, audience=SearchEntry.Audience.COMMITTEE)
    assert {"inclus", "intergenerationnel", "moisson"} <= set(re.findall(r"'(\w+)'", entry.vector))
    SearchEntry.objects.update(vector=None)
    reindex()
    assert stale_vectors() == 0


@postgresql_only
def test_postgresql_searches_the_stored_vector_through_its_gin_index(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_searchentry'")
        indexes = dict(cursor.fetchall())
    assert "USING gin (vector)" in indexes["search_entry_vector"]
    assert "search_entry_french" not in indexes  # the expression index it replaces


@postgresql_only
@pytest.mark.parametrize("walked", [0, 7, 1000])
def test_a_wide_readers_candidates_do_not_depend_on_how_far_the_walk_goes(cast, cap, monkeypatch, walked):
    """Past the newest WALKED entries, the older matches come from the GIN index: the same candidates, in the
    same order, whether the walk covers none, some or all of them."""
    dossiers = colocations(cast.committee, 30)
    DossierFactory(committee=cast.committee, title="Colocation étudiante", summary="colocation étudiante")
    monkeypatch.setattr(engine, "WALKED", walked)
    secretariat = Access(cast.users["secretariat"])
    found = search(secretariat, "colocation", limit=cap)
    assert (found.total, found.more) == (cap, True)
    # The newest readable matches: the last dossiers written (the student one last).
    assert {result.dossier.title for result in found.results} == {
        dossier.title for dossier in dossiers[-(cap - 1) :]
    } | {"Colocation étudiante"}
    both = search(secretariat, "colocation étudiante")
    assert [result.dossier.title for result in both.results] == ["Colocation étudiante"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=60))
def test_any_query_gets_a_page(cast, client, query):
    client.force_login(cast.users["member"])
    assert client.get(URL, {"q": query}).status_code == 200
