"""After the decision: the agreement, its payments, the reports, and who may do each."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from core.formats import euros
from core.models import BudgetLine, Decision, Dossier, DossierStrand, PaymentTranche, Report
from core.services.followup import (
    FollowupRefused,
    agreement_create,
    remaining,
    report_review,
    report_save,
    tranche_pay,
)
from core.workflow import ActionRefused
from tests.access import A_TITLE, LOGIN, check_refusal, text

State = Dossier.State
ROLES = [
    "anonymous", "landlord", "other_landlord", "member", "member_in_conflict", "other_committee_member",
    "secretariat", "observer", "other_committee_observer",
]  # fmt: skip
TRANCHES = [
    {"amount": Decimal("60000"), "condition": "À la signature"},
    {"amount": Decimal("40000.50"), "condition": "Sur bilan"},
]


@pytest.fixture
def retained(cast):
    dossier = cast.dossier
    Dossier.objects.filter(pk=dossier.pk).update(state=State.RETAINED, duration_years=2)
    Decision.objects.create(
        dossier=dossier, outcome="retenu", amount_granted=Decimal("100000.50"), notified_at="2019-01-10T10:00Z"
    )
    DossierStrand.objects.create(dossier=dossier, strand="acces", year=1, households=6)
    dossier.refresh_from_db()
    return cast


def agree(cast, tranches=TRANCHES, amount=Decimal("100000.50")):
    return agreement_create(
        dossier=cast.dossier,
        amount=amount,
        signed_on=None,
        starts_on=date(2019, 3, 1),
        ends_on=date(2021, 2, 28),
        tranches=tranches,
        by=cast.users["secretariat"],
    )


def test_agreement_tranches_and_what_remains(retained):
    agreement = agree(retained)
    assert Dossier.objects.get(pk=retained.dossier.pk).state == State.UNDER_AGREEMENT
    assert remaining(agreement) == Decimal("100000.50")
    first = agreement.tranches.get(order=1)
    secretariat = retained.users["secretariat"]
    tranche_pay(tranche=first, paid_on=date(2019, 3, 15), by=secretariat)
    assert remaining(agreement) == Decimal("40000.50")
    with pytest.raises(ActionRefused, match="Versée"):
        tranche_pay(tranche=first, paid_on=date(2019, 3, 16), by=secretariat)
    with pytest.raises(FollowupRefused, match="futur"):
        tranche_pay(tranche=agreement.tranches.get(order=2), paid_on=date(2999, 1, 1), by=secretariat)
    with pytest.raises(ActionRefused, match="secrétariat national"):
        tranche_pay(tranche=agreement.tranches.get(order=2), paid_on=date(2019, 4, 1), by=retained.users["landlord"])


@pytest.mark.parametrize(
    "tranches, amount, message",
    [
        (TRANCHES[:1], Decimal("100000.50"), "doivent faire le montant"),
        (TRANCHES, Decimal("200000"), "dépasse le montant accordé"),
    ],
)
def test_agreement_refusals_write_nothing(retained, tranches, amount, message):
    with pytest.raises(FollowupRefused, match=message):
        agree(retained, tranches, amount)
    assert not PaymentTranche.objects.exists()
    assert Dossier.objects.get(pk=retained.dossier.pk).state == State.RETAINED


def report(cast, year=1, final=False, submit=True):
    return report_save(
        dossier=cast.dossier,
        year=year,
        is_final=final,
        values={"entries_into_housing": 4, "evictions_avoided": 2, "transfers": 1, "comment": ""},
        households={"acces": 6},
        spend={"fnavdl": Decimal("30000")},
        submit=submit,
        by=cast.users["landlord"],
    )


def test_reports_until_the_final_evaluation_closes_the_dossier(retained):
    agree(retained)
    with pytest.raises(FollowupRefused, match="pas de bilan pour l'année 3"):
        report(retained, year=3)
    first = report(retained)
    assert Dossier.objects.get(pk=retained.dossier.pk).state == State.REPORTING
    assert first.households.get().households == 6 and first.spend.get().amount == Decimal("30000")
    with pytest.raises(ActionRefused, match="Transmis"):
        report(retained)
    with pytest.raises(FollowupRefused, match="Expliquez"):
        report_review(report=first, validate=False, message=" ", by=retained.users["secretariat"])
    report_review(report=first, validate=False, message="Il manque les dépenses.", by=retained.users["secretariat"])
    assert Report.objects.get(pk=first.pk).state == Report.State.RETURNED
    report(retained)  # completed and sent again
    final = report(retained, year=2, final=True)
    report_review(report=final, validate=True, message="", by=retained.users["secretariat"])
    assert Dossier.objects.get(pk=retained.dossier.pk).state == State.CLOSED


# Who may act: the secretariat on agreements and reviews; the dossier's landlord on its reports.
AGREEMENT = {role: 403 for role in ROLES} | {
    "anonymous": LOGIN, "secretariat": 302,
    # 404 to whoever does not see the dossier.
    "other_landlord": 404, "other_committee_member": 404, "other_committee_observer": 404,
}  # fmt: skip
REPORT = {role: 404 for role in ROLES} | {
    "anonymous": LOGIN, "landlord": 302, "member_in_conflict": 302, "member": 403, "secretariat": 403,
    "observer": 403,
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_who_makes_the_agreement(retained, login, role):
    data = {
        "amount": "100 000,50",
        "starts_on": "2019-03-01",
        "ends_on": "2021-02-28",
        "tranches-TOTAL_FORMS": "1",
        "tranches-INITIAL_FORMS": "0",
        "tranches-0-amount": "100000,50",
    }
    response = login(retained.users[role]).post(reverse("agreement_edit", args=[retained.dossier.pk]), data)
    if AGREEMENT[role] == 302:
        assert response.status_code == 302
        assert Dossier.objects.get(pk=retained.dossier.pk).state == State.UNDER_AGREEMENT
    else:
        check_refusal(response, AGREEMENT[role], secrets=(A_TITLE,))
        assert Dossier.objects.get(pk=retained.dossier.pk).state == State.RETAINED


@pytest.mark.parametrize("role", ROLES)
def test_who_reports(retained, login, role):
    agree(retained)
    data = {
        "entries_into_housing": "1",
        "evictions_avoided": "0",
        "transfers": "0",
        "households_acces": "6",
        "spend_fnavdl": "1 000,00",
        "transmettre": "1",
    }
    response = login(retained.users[role]).post(reverse("report_edit", args=[retained.dossier.pk, 1]), data)
    if REPORT[role] == 302:
        assert response.status_code == 302
        assert Report.objects.get().spend.get().amount == Decimal("1000")
    else:
        check_refusal(response, REPORT[role], secrets=() if REPORT[role] == 403 else (A_TITLE,))
        assert not Report.objects.exists()


def test_agreement_is_shown_to_the_landlord_reports_sent_to_the_dossiers_readers(retained, login):
    agree(retained)
    report(retained)
    # The dossier page links its follow-up, read on demand.
    url = reverse("dossier_followup", args=[retained.dossier.pk])
    assert f'href="{url}"' in text(
        login(retained.users["landlord"]).get(reverse("dossier_detail", args=[retained.dossier.pk]))
    )
    landlord_page = text(login(retained.users["landlord"]).get(url))
    assert "Convention et versements" in landlord_page and "Reste à verser" in landlord_page
    assert "Bilan de l'année 1 : Transmis" in landlord_page
    member_page = text(login(retained.users["member"]).get(url))
    assert "Convention et versements" not in member_page and "Reste à verser" not in member_page
    # A report sent is read by whoever sees the dossier (Access.reports), as the API lists it.
    assert "Bilan de l'année 1 : Transmis" in member_page


def test_a_renewal_shows_the_earlier_dossiers_opinion_decision_and_reports(retained, login):
    from tests.factories import DossierFactory

    agree(retained)
    report(retained)
    renewal = DossierFactory(
        lead_landlord=retained.dossier.lead_landlord, renews=retained.dossier, title="Projet renouvelé"
    )
    landlord_page = text(login(retained.users["landlord"]).get(reverse("dossier_followup", args=[renewal.pk])))
    assert "renouvelle le projet N°" in landlord_page and A_TITLE in landlord_page
    assert "Retenu, 100" in landlord_page  # the notified decision and its amount
    assert "année 1 (transmis, 4 entrées dans le logement)" in landlord_page
    # The earlier opinion is not published: the landlord may not read it.
    assert "Avis du comité : non consultable" in landlord_page


def test_a_report_is_reviewed_against_the_promise_and_returned_with_a_message(retained, login):
    agree(retained)
    dossier = retained.dossier
    DossierStrand.objects.create(dossier=dossier, strand="maintien", year=1, households=4)
    BudgetLine.objects.create(dossier=dossier, year=1, funder="fnavdl", amount=Decimal("40000"))
    BudgetLine.objects.create(dossier=dossier, year=2, funder="fnavdl", amount=Decimal("99999"))  # another year's
    first = report(retained)  # 6 households in access, 30 000 € spent of the FNAVDL
    url = reverse("report_review", args=[first.pk])
    page = login(retained.users["secretariat"]).get(url)
    assert page.status_code == 200
    rows = {
        " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for row in re.findall(r"<tr data-difference.*?</tr>", page.content.decode(), re.S)
    }
    fnavdl = f"FNAVDL {euros(Decimal(40000))} {euros(Decimal(30000))} en deçà {euros(Decimal(-10000))} (75 % du prévu)"
    assert rows == {"Maintien 4 0 en deçà -4 (0 % du prévu)", " ".join(fnavdl.split())}
    # Access (6 promised, 6 reported) shows no difference.
    assert "Accès" in page.content.decode()
    # A return without a message is the form's error; with one, it is sent back.
    secretariat = login(retained.users["secretariat"])
    response = secretariat.post(url, {"decision": "renvoyer", "message": " "})
    assert response.status_code == 400 and "Expliquez au porteur ce qui manque au bilan." in text(response)
    assert Report.objects.get(pk=first.pk).state == Report.State.SUBMITTED
    response = secretariat.post(url, {"decision": "renvoyer", "message": "Le maintien ?"})
    assert response.status_code == 302 and Report.objects.get(pk=first.pk).state == Report.State.RETURNED
    # Nothing left to review: the page says why.
    assert secretariat.get(url).status_code == 403
