"""The header's main navigation for each role: what the workflow and Access grant, and every link it gives opens."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory, member


def _navigation(client) -> list[tuple[str, list[str]]]:
    """The navigation of the home page: each item's label, and a menu's links."""
    html = client.get(reverse("home")).content.decode()
    nav = re.search(r'<nav class="fr-nav" id="navigation".*?</nav>', html, re.S)
    if nav is None:
        return []
    items = []
    for item in re.findall(
        r'<li class="fr-nav__item">(.*?)</li>\s*(?=<li class="fr-nav__item">|</ul>\s*</nav>)', nav[0], re.S
    ):
        label = re.search(r"<(?:a|button)[^>]*>([^<]*)<", item)[1]
        links = re.findall(r'<a class="fr-nav__link" href="([^"]+)"', item)
        items.append((label, links))
    return items


def _labels(client) -> list[str]:
    return [label for label, _ in _navigation(client)]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("landlord", ["Accueil", "Nouveau dossier"]),
        ("member", ["Accueil", "{committee}"]),
        # In conflict on a dossier, a member still reads its committee; as its landlord's staff, it starts dossiers.
        ("member_in_conflict", ["Accueil", "Nouveau dossier", "{committee}"]),
        ("other_committee_member", ["Accueil", "{elsewhere}"]),
        ("secretariat", ["Accueil", "Appels à projets", "Tableau de bord national", "Importer un avis conjoint"]),
        ("observer", ["Accueil", "Appels à projets", "Tableau de bord national"]),
        ("other_committee_observer", ["Accueil", "{elsewhere}"]),
    ],
)
def test_each_role_is_given_its_navigation(cast, login, role, expected):
    user = cast.users[role]
    elsewhere = next(m.committee for m in cast.users["other_committee_member"].memberships.all())
    names = {"committee": str(cast.committee), "elsewhere": str(elsewhere)}
    assert _labels(login(user)) == [label.format(**names) for label in expected]


def test_an_expert_and_a_user_without_role_reach_only_the_home_page(cast, login):
    expert = member(UserFactory(), cast.committee.institutions[0], "expert")
    assert _labels(login(expert)) == ["Accueil"]
    # No membership yet: nothing to navigate to.
    assert _labels(login(UserFactory())) == []
    assert _navigation(login(None)) == []


@pytest.mark.parametrize("role", ["landlord", "member", "member_in_conflict", "secretariat", "observer",
                                  "other_committee_observer"])  # fmt: skip
def test_every_link_of_the_navigation_opens(cast, login, role):
    client = login(cast.users[role])
    html = client.get(reverse("home")).content.decode()
    urls = re.findall(r'class="fr-nav__link" href="([^"]+)"', html)
    assert urls
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_a_committee_menu_offers_the_publication_to_its_members_only(cast, login):
    publication = reverse("committee_publication", args=[cast.committee.pk])
    member_links = dict(_navigation(login(cast.users["member"])))[str(cast.committee)]
    assert publication in member_links
    other = cast.users["other_committee_observer"]
    observer_links = [url for _, links in _navigation(login(other)) for url in links]
    assert not any("publication" in url for url in observer_links)


def test_the_current_page_is_marked(cast, login):
    client = login(cast.users["secretariat"])
    html = client.get(reverse("call_list")).content.decode()
    assert re.search(r'href="/appels/" target="_self" aria-current="page">Appels à projets<', html)
    assert 'aria-current="page">Accueil<' not in html


def test_the_new_call_button_shows_its_label(cast, login):
    """In a DSFR button group without --icon-left, an icon button shows only its icon: a 40 px "+"."""
    html = login(cast.users["secretariat"]).get(reverse("call_list")).content.decode()
    group = re.search(r'<ul class="([^"]*)">\s*<li><a class="fr-btn fr-icon-add-line[^>]*>Nouvel appel</a>', html)
    assert "fr-btns-group--icon-left" in group[1].split()
