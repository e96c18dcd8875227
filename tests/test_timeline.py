import pytest

from core.models import Dossier, DossierStrand
from core.services.opinions import opinion_save
from core.services.timeline import dossier_timeline


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


@pytest.mark.parametrize("with_opinion", [True, False])
def test_the_opinions_drafting_only_for_those_who_read_drafts(cast, with_opinion):
    member = cast.users["member"]
    opinion_save(
        dossier=cast.dossier,
        by=member,
        expected_version=cast.dossier.opinion.version,
        verdict="reserve",
        questions="Q",
        remarks="R",
        retained=False,
        priority="",
    )
    events = dossier_timeline(cast.dossier, with_opinion=with_opinion)
    opinion_events = [e for e in events if e.title == "Avis du comité"]
    assert bool(opinion_events) is with_opinion
    if with_opinion:
        assert {"avis", "retenu", "rang de classement", "remarques / avis global"} <= set(opinion_events[0].details)
        assert opinion_events[0].user == member
