import pytest
from django.urls import reverse

from core.models import Dossier, DossierStrand
from core.services.opinions import opinion_save
from core.services.timeline import dossier_timeline
from tests.access import A_TITLE, B_TITLE, LOGIN, check_refusal, text
from tests.factories import OrganisationFactory


def test_edits_of_the_dossier_and_its_parts_name_who_and_what(cast):
    landlord = cast.users["landlord"]
    dossier = Dossier.objects.get(pk=cast.dossier.pk)
    dossier.summary = "Nouveau résumé"
    dossier._history_user = landlord
    dossier.save()
    strand = DossierStrand(dossier=dossier, strand="acces", year=1, households=4)
    strand._history_user = landlord
    strand.save()

    events = dossier_timeline(dossier, with_opinion=False)
    edit = next(e for e in events if e.title == "Dossier modifié")
    assert edit.user == landlord and edit.details == ["résumé"]
    households = next(e for e in events if e.title == "Ménages par volet")
    assert households.details == ["ajout : Accès, année 1 : 4 ménages"]
    assert events[0].at >= events[-1].at


def _reserve(cast):
    """The committee member rewrites dossier A's opinion as reserved; returns the member."""
    member = cast.users["member"]
    opinion_save(
        dossier=cast.dossier,
        by=member,
        expected_revision=cast.dossier.opinion.revision,
        verdict="reserve",
        questions="Q",
        remarks="R",
        retained=False,
        rank="",
    )
    return member


@pytest.mark.parametrize("with_opinion", [True, False])
def test_the_opinions_drafting_only_for_those_who_read_drafts(cast, with_opinion):
    member = _reserve(cast)
    events = dossier_timeline(cast.dossier, with_opinion=with_opinion)
    opinion_events = [e for e in events if e.title == "Avis du comité"]
    assert bool(opinion_events) is with_opinion
    if with_opinion:
        assert {"avis", "retenu", "rang de classement", "remarques / avis global"} <= set(opinion_events[0].details)
        assert opinion_events[0].user == member


def test_a_change_of_partners_is_named(cast):
    landlord = cast.users["landlord"]
    dossier = Dossier.objects.get(pk=cast.dossier.pk)
    dossier._history_user = landlord
    dossier.save()
    dossier.partners.add(OrganisationFactory(name="Association partenaire"))
    edits = [e for e in dossier_timeline(dossier, with_opinion=False) if e.title == "Dossier modifié"]
    assert [e.details for e in edits] == [["partenaires opérateurs"]]


# role -> what the dossier's history page (read on demand from the dossier page) gets, and whether it shows the
# opinion's drafting: the page's own rule, 404 to whoever may not see the dossier
HISTORY = {
    "anonymous": (LOGIN, False),
    "landlord": (200, False),
    "other_landlord": (404, False),
    "member": (200, True),
    "member_in_conflict": (200, False),
    "other_committee_member": (404, False),
    "secretariat": (200, True),
    "observer": (200, False),
    "other_committee_observer": (404, False),
}


@pytest.mark.parametrize("role", HISTORY)
def test_the_history_page(cast, login, role):
    expected, with_opinion = HISTORY[role]
    _reserve(cast)
    client = login(cast.users[role])
    url = reverse("dossier_history", args=[cast.dossier.pk])
    response = client.get(url)
    if expected != 200:
        check_refusal(response, expected, (A_TITLE, B_TITLE))
        return
    assert f'href="{url}"' in text(client.get(reverse("dossier_detail", args=[cast.dossier.pk])))
    assert response.status_code == 200 and "Historique" in text(response)
    assert ("Avis du comité" in text(response)) is with_opinion
    # htmx asks for the history alone, to show it in place on the dossier page.
    in_place = text(client.get(url, headers={"HX-Request": "true"}))
    assert 'id="section-timeline"' in in_place and "<html" not in in_place
