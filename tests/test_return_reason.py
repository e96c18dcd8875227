"""Reasons shown where they apply, until they are dealt with: why a dossier was returned as incomplete, why a report was
sent back, why a signature was cleared."""

from django.core import mail
from django.urls import reverse

from core.models import Dossier, Notification, Report
from core.services.dossiers import dossier_return_incomplete
from core.services.followup import report_review
from tests.test_followup import agree, report, retained  # noqa: F401 (fixture)
from tests.test_opinions import save, sign_both


def test_the_reason_of_a_return_shows_on_the_dossier_until_it_is_submitted_again(cast, login):
    dossier_return_incomplete(dossier=cast.dossier, by=cast.users["member"], message="Il manque le budget de 2020.")
    page = login(cast.users["landlord"]).get(reverse("dossier_detail", args=[cast.dossier.pk])).content.decode()
    assert "renvoyé au porteur comme incomplet" in page and "« Il manque le budget de 2020. »" in page
    Dossier.objects.filter(pk=cast.dossier.pk).update(state=Dossier.State.SUBMITTED)
    page = login(cast.users["landlord"]).get(reverse("dossier_detail", args=[cast.dossier.pk])).content.decode()
    assert "Il manque le budget de 2020." not in page


def test_the_reason_a_report_was_sent_back_shows_until_it_is_sent_again(retained, login):  # noqa: F811
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


def test_a_cleared_signature_is_shown_and_told_to_its_institution_until_it_signs_again(
    cast, signatories, login, django_capture_on_commit_callbacks
):
    editor, other = cast.users["member"], signatories[cast.committee.institutions[0]]
    for user in (editor, other):
        user.email = f"{user.username}@example.org"
        user.save()
    save(cast.dossier, editor, 1)
    sign_both(signatories, cast.dossier)
    with django_capture_on_commit_callbacks(execute=True):
        save(cast.dossier, editor, 2, remarks="Un projet utile, dont le budget a changé.")
    # The AR Hlm is told, in the application and by e-mail; the State's service, whose member edited, is not.
    assert [m.to for m in mail.outbox] == [[other.email]] and "Signature effacée" in mail.outbox[0].subject
    assert Notification.objects.filter(user=other).count() == 1 and not Notification.objects.filter(user=editor)
    url = reverse("dossier_detail", args=[cast.dossier.pk])
    page = login(other).get(url).content.decode()
    assert f'data-cleared="{cast.committee.institutions[0].pk}"' in page and "Signature effacée le" in page
    assert f'data-cleared="{cast.committee.institutions[1].pk}"' in page
    home = login(other).get(reverse("home")).content.decode()
    assert "Signature effacée :" in home
    # Signed again: nothing is shown for that institution any more; the other one's still is, until it signs.
    sign_both({cast.committee.institutions[0]: other}, cast.dossier)
    page = login(other).get(url).content.decode()
    assert f'data-cleared="{cast.committee.institutions[0].pk}"' not in page
    assert f'data-cleared="{cast.committee.institutions[1].pk}"' in page
    assert "Signature effacée :" not in login(other).get(reverse("home")).content.decode()
