"""Reasons shown where they apply, until they are dealt with: why a dossier was returned as incomplete, why a report was
sent back, why a signature was cleared."""

from django.urls import reverse

from core.models import Dossier, Report
from core.services.dossiers import dossier_return_incomplete
from core.services.followup import report_review
from tests.test_followup import agree, report, retained  # noqa: F401 (fixture)


def test_the_reason_of_a_return_shows_on_the_dossier_until_it_is_submitted_again(cast, login):
    dossier_return_incomplete(dossier=cast.dossier, by=cast.users["member"], message="Il manque le budget de 2020.")
    page = login(cast.users["landlord"]).get(reverse("dossier_detail", args=[cast.dossier.pk])).content.decode()
    assert "renvoyé au porteur comme incomplet" in page and "« Il manque le budget de 2020. »" in page
    Dossier.objects.filter(pk=cast.dossier.pk).update(state=Dossier.State.SUBMITTED)
    page = login(cast.users["landlord"]).get(reverse("dossier_detail", args=[cast.dossier.pk])).content.decode()
    assert "Il manque le budget de 2020." not in page


def test_the_reason_a_report_was_sent_back_shows_until_it_is_sent_again(retained, login):
    agree(retained)
    first = report(retained)
    report_review(
        report=first, validate=False, message="Il manque les dépenses de 2020.", by=retained.users["secretariat"]
    )
    landlord = login(retained.users["landlord"])
    pages = [
        reverse("dossier_followup", args=[retained.dossier.pk]),
        reverse("report_edit", args=[retained.dossier.pk, 1]),
    ]
    for url in pages:
        assert "« Il manque les dépenses de 2020. »" in landlord.get(url).content.decode()
    # Saved as a draft, not yet dealt with: the reason stays; the landlord's own comment is left as written.
    report(retained, submit=False)
    assert "Il manque les dépenses de 2020." in landlord.get(pages[1]).content.decode()
    assert Report.objects.get(pk=first.pk).comment == ""
    report(retained)
    for url in pages:
        assert "Il manque les dépenses de 2020." not in landlord.get(url).content.decode()
