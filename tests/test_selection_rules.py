"""The call's rules at the selection (issue #21): their figures and boundaries, warning or blocking, the notification
refused while a blocking one fails, the call form that sets them, the page that shows them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core import selection_rules
from core.formats import percent
from core.models import BudgetLine, Call, Decision, Dossier, Organisation
from core.permissions import Access
from core.selection_rules import Retained, hlm_share, refusal, rule_checks
from core.services.decisions import decision_record, decisions_notify
from core.workflow import ActionRefused, allows, blocked
from tests.access import text
from tests.factories import DossierFactory, OrganisationFactory

NBSP = "\u00a0"
State = Dossier.State


def _dossier(hlm: bool) -> Retained:
    return Retained(1, "Projet", 1, "Comité", Decimal(0), Decimal(0), hlm)


@pytest.mark.parametrize(
    ("carried", "total", "ok", "figure"),
    [
        (3, 10, True, "3 sur 10 (30 %)"),
        (300, 1000, True, "300 sur 1000 (30 %)"),
        (299, 1000, False, "299 sur 1000 (29,9 %)"),
        (8, 41, False, "8 sur 41 (19,5 %)"),
        (0, 0, True, "0 sur 0"),
    ],
)
def test_the_hlm_share_to_the_boundary(carried, total, ok, figure):
    call = Call(hlm_share_min=30)
    dossiers = [_dossier(hlm=True) for _ in range(carried)] + [_dossier(hlm=False) for _ in range(total - carried)]
    check = hlm_share(call, dossiers)
    assert (check.ok, check.figure.replace(NBSP, " ")) == (ok, figure.replace("1000", f"1{chr(0x202F)}000"))
    assert not check.blocking and not check.refuses


def test_the_hlm_share_message_says_the_figures():
    call = Call(hlm_share_min=30, hlm_share_mode="bloquant")
    check = hlm_share(call, [_dossier(hlm=True)] * 8 + [_dossier(hlm=False)] * 33)
    assert check.message == (
        f"Part des dossiers portés ou co-portés par un organisme Hlm : 8 sur 41 (19,5{NBSP}%), minimum 30{NBSP}%"
    )
    assert check.refuses
    assert hlm_share(Call(hlm_share_min=None), []) is None


def test_percent_is_french_and_rounded_away_from_the_limit():
    from decimal import ROUND_CEILING, ROUND_FLOOR

    assert percent(Decimal(800) / 41) == f"19,5{NBSP}%"
    assert percent(30) == f"30{NBSP}%"
    assert percent(Decimal("29.96"), ROUND_FLOOR) == f"29,9{NBSP}%"
    assert percent(Decimal("50.001"), ROUND_CEILING) == f"50,1{NBSP}%"


@pytest.fixture
def retained(cast):
    """Both dossiers retained, each with a budget of 100 000 € of which the programme asks half."""
    call = cast.committee.call
    for dossier in (cast.dossier, cast.other_dossier):
        BudgetLine.objects.create(dossier=dossier, year=1, funder="fnavdl", amount=Decimal("50000"))
        BudgetLine.objects.create(dossier=dossier, year=1, funder="fonds_propres", amount=Decimal("50000"))
        Dossier.objects.filter(pk=dossier.pk).update(state=State.OPINION_SIGNED)
        decision_record(dossier=dossier, outcome="retenu", amount_granted=Decimal("50000"), conditions="",
                        by=cast.users["secretariat"])  # fmt: skip
    call.refresh_from_db()
    return call


def _checks(call) -> dict:
    return {(check.rule, check.committee): check for check in rule_checks(call)}


def test_hlm_bodies_is_is_hlm_as_a_filter(db):
    kinds, forms = Organisation.Kind, Organisation.LegalForm
    # Every kind with every legal form the database allows it (the Hlm forms are a landlord's).
    allowed = [
        (k, f)
        for k in kinds.values
        for f in ["", *forms.values]
        if k == kinds.LANDLORD or f not in Organisation.HLM_FORMS
    ]
    made = [OrganisationFactory(kind=kind, legal_form=form) for kind, form in allowed]
    assert set(Organisation.objects.filter(Organisation.hlm_bodies())) == {o for o in made if o.is_hlm}


def test_a_dossier_counts_as_hlm_when_led_or_co_carried_by_an_hlm_body(cast, retained):
    a, b = cast.dossier, cast.other_dossier
    association = OrganisationFactory(kind=Organisation.Kind.ASSOCIATION)
    sem = OrganisationFactory(kind=Organisation.Kind.LANDLORD, legal_form=Organisation.LegalForm.SEM)
    esh = OrganisationFactory(kind=Organisation.Kind.LANDLORD, legal_form=Organisation.LegalForm.ESH)
    Dossier.objects.filter(pk=a.pk).update(lead_landlord=association)
    Dossier.objects.filter(pk=b.pk).update(lead_landlord=sem)
    a.co_landlords.set([esh])
    b.co_landlords.set([association, sem])

    def flags():
        return {row.number: row.hlm for row in selection_rules.retained(retained)}

    assert flags() == {a.number: True, b.number: False}
    a.co_landlords.set([sem])
    Dossier.objects.filter(pk=b.pk).update(lead_landlord=esh)
    assert flags() == {a.number: False, b.number: True}
    # One row per dossier, whatever its co-carriers and budget lines.
    assert [row.granted for row in selection_rules.retained(retained)] == [Decimal("50000")] * 2


def test_the_fund_share_is_at_most_half_of_the_expenses(cast, retained):
    check = _checks(retained)[("fund_share", None)]
    assert check.ok and check.figure == f"au plus 50{NBSP}%" and check.limit == f"maximum 50{NBSP}%"
    Decision.objects.filter(dossier=cast.dossier).update(amount_granted=Decimal("50001"))
    check = _checks(retained)[("fund_share", None)]
    assert not check.ok
    assert f"1 dossier sur 2 au-delà (n°{cast.dossier.number} « Projet du bailleur A »" in check.figure
    assert f"50,1{NBSP}%" in check.figure


def test_the_cap_and_the_regional_envelope(cast, retained):
    retained.cap_per_project = Decimal("50000")
    retained.save()
    cast.committee.envelope = Decimal("100000")
    cast.committee.save()
    checks = _checks(retained)
    assert checks[("cap", None)].ok and checks[("envelope", cast.committee)].ok
    assert checks[("envelope", cast.committee)].message == (
        f"Enveloppe régionale, {cast.committee.name} : 100\u202f000 € accordés, enveloppe 100\u202f000 €"
    )
    Decision.objects.filter(dossier=cast.dossier).update(amount_granted=Decimal("50000.01"))
    checks = _checks(retained)
    assert not checks[("cap", None)].ok and not checks[("envelope", cast.committee)].ok
    assert "50\u202f000,01 €" in checks[("cap", None)].figure


def test_a_warning_lets_the_decisions_be_notified(cast, retained):
    Organisation.objects.filter(pk=cast.other_dossier.lead_landlord_id).update(kind="association")
    retained.hlm_share_min = 60
    retained.save()
    assert not _checks(retained)[("hlm_share", None)].ok and refusal(retained) is None
    secretariat = cast.users["secretariat"]
    assert allows(Access(secretariat), "call.notify_decisions", retained)
    assert len(decisions_notify(call=retained, by=secretariat).done) == 2


def test_a_blocking_rule_refuses_the_notification_with_its_figures(cast, retained, login):
    Organisation.objects.filter(pk=cast.other_dossier.lead_landlord_id).update(kind="association")
    retained.hlm_share_min, retained.hlm_share_mode = 60, "bloquant"
    retained.save()
    secretariat = cast.users["secretariat"]
    reason = blocked(Access(secretariat), "call.notify_decisions", retained)
    assert reason == (
        "Une règle bloquante de l'appel n'est pas respectée : Part des dossiers portés ou co-portés par un organisme "
        f"Hlm : 1 sur 2 (50{NBSP}%), minimum 60{NBSP}%."
    )
    with pytest.raises(ActionRefused, match="Une règle bloquante"):
        decisions_notify(call=retained, by=secretariat)
    client = login(secretariat)
    response = client.post(reverse("call_notify", args=[retained.pk]))
    assert response.status_code == 403 and "1 sur 2 (50" in text(response)
    assert not Decision.objects.exclude(notified_at=None).exists()
    # The page shows each rule with its figures, and why the button is disabled.
    page = text(client.get(reverse("call_selection", args=[retained.pk])))
    assert "Non respectée, bloquante" in page and f"minimum 60{NBSP}%" in page
    assert "Les décisions ne peuvent pas être notifiées" in page and 'data-action="call.notify_decisions"' not in page
    # The rule held again, the notification goes.
    DossierFactory(committee=cast.committee)  # neither retained nor counted
    retained.hlm_share_min = 50
    retained.save()
    assert len(decisions_notify(call=retained, by=secretariat).done) == 2


def test_the_rules_are_not_shown_to_who_does_not_read_recorded_decisions(cast, retained, login):
    page = text(login(cast.users["observer"]).get(reverse("call_selection", args=[retained.pk])))
    assert "Règles de l'appel" not in page


def test_the_call_form_saves_the_rules(cast, login):
    client = login(cast.users["secretariat"])
    form = text(client.get(reverse("call_new")))
    assert "Part minimale de dossiers Hlm (%)" in form and 'value="30"' in form and 'value="50"' in form
    values = {"title": "6e appel", "edition": 6, "year": 2020, "max_duration_years": 3}
    rules = {"hlm_share_min": "25", "hlm_share_mode": "bloquant", "fund_share_max": "40", "envelope_mode": "bloquant"}
    assert client.post(reverse("call_new"), values | rules).status_code == 302
    call = Call.objects.get(edition=6)
    assert (call.hlm_share_min, call.hlm_share_mode, call.fund_share_max) == (25, "bloquant", 40)
    assert (call.fund_share_mode, call.cap_mode, call.envelope_mode) == ("avertissement", "avertissement", "bloquant")
    response = client.post(reverse("call_edit", args=[call.pk]), values | {"hlm_share_min": "130"})
    assert response.status_code == 400 and "100" in text(response)


def test_the_decision_warns_over_the_fund_share(cast, retained):
    from core.services.decisions import amount_warnings

    dossier = Dossier.objects.get(pk=cast.dossier.pk)
    assert amount_warnings(dossier, Decimal("50000")) == []
    # Over what it asked (50 000 €), and over half of its expenses.
    asked, warning = amount_warnings(dossier, Decimal("60000"))
    assert "dépasse le montant demandé" in asked and warning == (
        f"Le montant accordé (60\u202f000 €) couvre 60{NBSP}% des dépenses du projet (100\u202f000 €), au-delà des "
        f"50{NBSP}% que l'appel permet."
    )
    retained.fund_share_max = None
    retained.save()
    assert amount_warnings(Dossier.objects.get(pk=cast.dossier.pk), Decimal("60000")) == [asked]


def test_without_a_blocking_rule_set_the_notification_reads_nothing(cast, retained, django_assert_num_queries):
    retained.hlm_share_min, retained.fund_share_max, retained.cap_per_project = 99, 1, Decimal(1)
    with django_assert_num_queries(0):
        assert refusal(retained) is None  # every rule fails, as a warning
    # A blocking mode on a rule the call does not set blocks nothing either.
    retained.hlm_share_min, retained.hlm_share_mode = None, "bloquant"
    with django_assert_num_queries(0):
        assert refusal(retained) is None
    retained.cap_mode = "bloquant"
    assert refusal(retained).startswith("Une règle bloquante de l'appel n'est pas respectée : Plafond par projet")
