"""Reasons shown where they apply: why a dossier was returned as incomplete, on its page, until it is submitted
again."""

from django.urls import reverse

from core.models import Dossier
from core.services.dossiers import dossier_return_incomplete


def test_the_reason_of_a_return_shows_on_the_dossier_until_it_is_submitted_again(cast, login):
    dossier_return_incomplete(dossier=cast.dossier, by=cast.users["member"], message="Il manque le budget de 2020.")
    page = login(cast.users["landlord"]).get(reverse("dossier_detail", args=[cast.dossier.pk])).content.decode()
    assert "renvoyé au porteur comme incomplet" in page and "« Il manque le budget de 2020. »" in page
    Dossier.objects.filter(pk=cast.dossier.pk).update(state=Dossier.State.SUBMITTED)
    page = login(cast.users["landlord"]).get(reverse("dossier_detail", args=[cast.dossier.pk])).content.decode()
    assert "Il manque le budget de 2020." not in page
