"""Who sees what on the dossier pages: every role of DESIGN §2, on each URL."""

import html
import re

import pytest
from django.urls import reverse

from core.models import JointOpinion
from core.services.joint_opinions import snapshot_digest

DRAFT = "Brouillon de l'avis sur A"


def text(response) -> str:
    return html.unescape(response.content.decode())


# role -> (status of dossier A's page, whether the committee's working opinion is shown)
DOSSIER_PAGE = {
    "anonymous": (302, False),
    "landlord": (200, False),
    "other_landlord": (404, False),
    "member": (200, True),
    "member_in_conflict": (200, False),
    "other_committee_member": (404, False),
    "secretariat": (200, True),
    "observer": (200, False),
    "other_committee_observer": (404, False),
}


@pytest.mark.parametrize("role", DOSSIER_PAGE)
def test_dossier_page(cast, login, role):
    status, shows_draft = DOSSIER_PAGE[role]
    response = login(cast.users[role]).get(reverse("dossier_detail", args=[cast.dossier.pk]))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    body = text(response)
    assert (DRAFT in body) is shows_draft
    if status == 404:
        assert "Projet du bailleur A" not in body


def test_member_in_conflict_is_told_why(cast, login):
    response = login(cast.users["member_in_conflict"]).get(reverse("dossier_detail", args=[cast.dossier.pk]))
    assert "conflit d'intérêts" in text(response)


def test_member_in_conflict_reads_the_other_dossiers_opinion(cast, login):
    response = login(cast.users["member_in_conflict"]).get(reverse("dossier_detail", args=[cast.other_dossier.pk]))
    assert "Brouillon de l'avis sur B" in text(response)


# role -> titles listed on the home page
HOME = {
    "landlord": {"Projet du bailleur A"},
    "other_landlord": {"Projet du bailleur B"},
    "member": {"Projet du bailleur A", "Projet du bailleur B"},
    "member_in_conflict": {"Projet du bailleur A", "Projet du bailleur B"},
    "other_committee_member": set(),
    "secretariat": {"Projet du bailleur A", "Projet du bailleur B"},
    "observer": {"Projet du bailleur A", "Projet du bailleur B"},
    "other_committee_observer": set(),
}


@pytest.mark.parametrize("role", HOME)
def test_home_lists_what_the_role_may_see(cast, login, role):
    body = text(login(cast.users[role]).get(reverse("dossier_list")))
    listed = {title for title in ("Projet du bailleur A", "Projet du bailleur B") if title in body}
    assert listed == HOME[role]
    # Before publication, verdicts are for the committee and the secretariat only.
    assert ("Favorable" in body) is (role in {"member", "member_in_conflict", "secretariat"})


def _publish(committee, remarks: str) -> None:
    content = {
        "call": committee.call.title,
        "region": committee.name,
        "dossiers_received": 2,
        "instructed_on": "2018-11-13",
        "projects": [
            {
                "number": d.number,
                "title": d.title,
                "landlord": str(d.lead_landlord),
                "verdict": "reserve",
                "questions": "Questions publiées",
                "remarks": remarks,
                "rank": None,
            }
            for d in committee.dossiers.all()
        ],
    }
    JointOpinion.objects.create(
        committee=committee,
        version=1,
        source=JointOpinion.Source.PUBLISHED,
        content=content,
        sha256=snapshot_digest(content),
    )


@pytest.mark.parametrize("role", ["landlord", "observer", "member_in_conflict"])
def test_published_version_is_shown_not_the_later_draft(cast, login, role):
    _publish(cast.committee, "Texte publié")
    body = text(login(cast.users[role]).get(reverse("dossier_detail", args=[cast.dossier.pk])))
    assert "Texte publié" in body
    assert "Avis réservé" in body
    assert DRAFT not in body


def test_home_runs_a_constant_number_of_queries(cast, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import DossierFactory, OpinionFactory

    client = login(cast.users["member_in_conflict"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("dossier_list")).status_code == 200
        return len(queries)

    # The first request after logging in also writes the session (then at most once a minute).
    client.get(reverse("dossier_list"))
    before = count()
    for _ in range(12):
        OpinionFactory(dossier=DossierFactory(committee=cast.committee))
    _publish(cast.committee, "Texte publié")
    assert count() == before


def test_home_lists_fifty_dossiers_a_page(cast, login):
    from front.dossiers import HOME_PER_PAGE
    from tests.factories import DossierFactory

    for _ in range(HOME_PER_PAGE):
        DossierFactory(committee=cast.committee)
    client = login(cast.users["secretariat"])
    first, second = client.get(reverse("dossier_list")), client.get(reverse("dossier_list"), {"page": 2})
    links = re.compile(r'href="/dossiers/(\d+)/"')
    assert len(set(links.findall(text(first)))) == HOME_PER_PAGE
    assert len(set(links.findall(text(second)))) == 2
    assert set(links.findall(text(first))).isdisjoint(links.findall(text(second)))
    # The committee's count is all its dossiers, not those of the page.
    assert f"{HOME_PER_PAGE + 2} dossiers" in text(first)
    assert f"Dossiers 51 à 52 sur {HOME_PER_PAGE + 2}." in text(second)
