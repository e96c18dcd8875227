"""Irreversible and broadcast actions ask first (front/confirmations.py): read with GET, the action's URL is a page
that says what will happen and to whom, and changes nothing; the dossier's and the committee's pages carry the same
in a DSFR modal. The people told are those the notification will reach, as the policies name them."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from core.models import Agreement, Call, Decision, Dossier, PaymentTranche
from front.confirmations import notification, publication, submission
from tests.factories import UserFactory, member
from tests.test_drafts import complete, draft, open_call  # noqa: F401 (fixtures)


@pytest.fixture
def emails(cast):
    """Every user of the cast has an address; and the committee has a member who left (inactive): never told."""
    for user in cast.users.values():
        if user is not None:
            user.email = f"{user.username}@example.org"
            user.save()
    gone = member(UserFactory(email="gone@example.org", is_active=False), cast.committee.institutions[0],
                  "committee_member", cast.committee)  # fmt: skip
    return gone


def _told(html: str) -> int:
    return int(re.search(r"(\d+) personnes? \(", html)[1])


def test_submitting_asks_first_without_javascript_and_counts_the_committee(cast, draft, emails, login):  # noqa: F811
    complete(draft)
    client = login(cast.users["landlord"])
    url = reverse("dossier_submit", args=[draft.pk])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "Confirmer le dépôt" in html
    # The committee's two active members: member and member_conflict.
    assert _told(html) == 2 == submission(draft).told
    assert Dossier.objects.get(pk=draft.pk).state == Dossier.State.DRAFT and not mail.outbox
    # The dossier page carries the same in its modal.
    detail = client.get(reverse("dossier_detail", args=[draft.pk])).content.decode()
    assert 'id="confirm-submit"' in detail and "2 personnes (membres du comité" in detail
    # Confirmed: the form posts the action.
    client.post(url)
    assert Dossier.objects.get(pk=draft.pk).state == Dossier.State.SUBMITTED


def test_publication_counts_members_and_landlords_once_each(cast, emails, login):
    # Members of the committee: member, member_conflict; staff of the dossiers' landlords: landlord, other_landlord and
    # member_conflict again (it works for landlord A). The inactive member is not told.
    assert publication(cast.committee, 1).told == 4


def test_publish_is_disabled_while_a_check_blocks(cast, login):
    client = login(cast.users["member"])
    html = client.get(reverse("committee_publication", args=[cast.committee.pk])).content.decode()
    assert re.search(r'<button class="fr-btn" type="submit" disabled[^>]*>Publier', html)
    assert "vérifications bloquantes" in html
    # Without JavaScript, the confirmation sends back to the checks.
    response = client.get(reverse("committee_publish", args=[cast.committee.pk]))
    assert response["Location"] == reverse("committee_publication", args=[cast.committee.pk])
    assert not cast.committee.joint_opinions.exists()


def test_notifying_decisions_asks_first_and_counts_the_landlords(cast, emails, login):
    Dossier.objects.filter(pk=cast.dossier.pk).update(state=Dossier.State.OPINION_SIGNED)
    Decision.objects.create(dossier=cast.dossier, outcome="retenu", amount_granted=Decimal(1000))
    client = login(cast.users["secretariat"])
    html = client.get(reverse("call_notify", args=[cast.committee.call_id])).content.decode()
    assert "Notifier 1 décision ?" in html
    # Landlord A's staff: landlord and member_conflict.
    assert _told(html) == 2 == notification(cast.committee.call).told
    assert Decision.objects.get(dossier=cast.dossier).notified_at is None and not mail.outbox
    selection = client.get(reverse("call_selection", args=[cast.committee.call_id])).content.decode()
    assert 'id="confirm-notify"' in selection


def test_moving_a_call_forward_asks_first(cast, login):
    call = cast.committee.call
    Call.objects.filter(pk=call.pk).update(status=Call.Status.OPEN)
    client = login(cast.users["secretariat"])
    html = client.get(reverse("call_advance", args=[call.pk]) + "?status=clos").content.decode()
    assert "Plus aucun dossier ne pourra être déposé" in html and 'name="status" value="clos"' in html
    assert Call.objects.get(pk=call.pk).status == Call.Status.OPEN
    # A step the call cannot take is no page.
    assert client.get(reverse("call_advance", args=[call.pk]) + "?status=archive").status_code == 403
    assert client.get(reverse("call_advance", args=[call.pk]) + "?status=nimporte").status_code == 404


def test_recording_a_payment_asks_first_with_its_date(cast, login):
    Dossier.objects.filter(pk=cast.dossier.pk).update(state=Dossier.State.UNDER_AGREEMENT)
    agreement = Agreement.objects.create(
        dossier=cast.dossier, amount=Decimal(1000), starts_on=date(2019, 1, 1), ends_on=date(2020, 1, 1)
    )
    tranche = PaymentTranche.objects.create(agreement=agreement, order=1, amount=Decimal(400), condition="signature")
    client = login(cast.users["secretariat"])
    response = client.get(reverse("tranche_paid", args=[tranche.pk]))
    html = response.content.decode()
    assert response.status_code == 200, html[-3000:]
    assert "Il restera 600 € à verser" in html and 'type="date"' in html
    assert PaymentTranche.objects.get(pk=tranche.pk).paid_on is None
    followup = client.get(reverse("dossier_followup", args=[cast.dossier.pk])).content.decode()
    assert f'id="confirm-pay-{tranche.pk}"' in followup
