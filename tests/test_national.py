"""The national secretariat: calls, committees, the selection and its decisions, and who may do what."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import REQUIRED_DOCUMENTS, SMILEYS, BudgetLine, Call, Committee, Decision, Dossier, Membership, Opinion
from core.permissions import Access
from core.services import calls
from core.services.decisions import DecisionRefused, decision_record, decisions_notify, decisions_record_many
from core.services.selection import ALERTS_PER_KIND, PER_PAGE, selection, selection_page
from core.workflow import ActionRefused
from tests.access import A_TITLE, LOGIN, check_refusal, text
from tests.factories import CommitteeFactory, DossierFactory, OpinionFactory


def as_secretariat(cast) -> Access:
    return Access(cast.users["secretariat"])


State = Dossier.State
ROLES = [
    "anonymous", "landlord", "other_landlord", "member", "member_in_conflict", "other_committee_member",
    "secretariat", "observer", "other_committee_observer",
]  # fmt: skip
# The secretariat acts, everyone else is refused (who reads the national pages: test_url_matrix.py).
WRITE = {role: 403 for role in ROLES} | {"anonymous": LOGIN, "secretariat": 200}
# On a dossier: 404 to whoever does not see it.
UNSEEN = {"other_landlord": 404, "other_committee_member": 404, "other_committee_observer": 404}
WRITE_ON_DOSSIER = WRITE | UNSEEN


@pytest.fixture
def signed(cast):
    """Both dossiers have a signed opinion and ask the programme for half their expenses; the call has a cap and an
    envelope."""
    call = cast.committee.call
    call.cap_per_project, call.national_envelope = Decimal("100000"), Decimal("150000")
    call.save()
    for dossier, amount in ((cast.dossier, "90000.50"), (cast.other_dossier, "120000")):
        BudgetLine.objects.create(dossier=dossier, year=1, funder="fnavdl", amount=Decimal(amount))
        # As much again from the landlord's own funds: the fund covers half the expenses, the call's default limit.
        BudgetLine.objects.create(dossier=dossier, year=1, funder="fonds_propres", amount=Decimal(amount))
    Dossier.objects.filter(pk__in=[cast.dossier.pk, cast.other_dossier.pk]).update(state=State.OPINION_SIGNED)
    return cast


@pytest.mark.parametrize("role", ROLES)
def test_only_the_secretariat_decides(signed, login, role):
    url = reverse("decision_edit", args=[signed.dossier.pk])
    response = login(signed.users[role]).post(url, {"outcome": "retenu", "amount_granted": "80000"})
    if WRITE_ON_DOSSIER[role] == 200:
        assert response.status_code == 302
        assert Decision.objects.get(dossier=signed.dossier).amount_granted == Decimal("80000")
    else:
        check_refusal(response, WRITE_ON_DOSSIER[role], secrets=(A_TITLE,))
        assert not Decision.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_only_the_secretariat_sets_up_calls(cast, login, role):
    response = login(cast.users[role]).post(
        reverse("call_new"), {"title": "6e appel", "edition": 6, "year": 2020, "max_duration_years": 3}
    )
    assert Call.objects.filter(edition=6).exists() is (WRITE[role] == 200)
    if WRITE[role] != 200:
        check_refusal(response, WRITE[role], secrets=())


def test_a_new_call_asks_the_usual_documents_and_the_secretariat_edits_them(cast, login):
    client = login(cast.users["secretariat"])
    form = text(client.get(reverse("call_new")))
    assert all(document in form for document in REQUIRED_DOCUMENTS)
    values = {"title": "6e appel", "edition": 6, "year": 2020, "max_duration_years": 3}
    documents = "Budget prévisionnel détaillé\n\n  Plan de   financement \nBudget prévisionnel détaillé"
    client.post(reverse("call_new"), values | {"required_documents": documents})
    call = Call.objects.get(edition=6)
    assert call.documents() == ["Budget prévisionnel détaillé", "Plan de financement"]
    assert "Plan de financement" in text(client.get(reverse("call_detail", args=[call.pk])))
    response = client.post(reverse("call_edit", args=[call.pk]), values | {"required_documents": "autre document"})
    assert response.status_code == 400
    assert "« Autre document » est le type de toute pièce que la liste ne nomme pas" in text(response)


def test_a_call_is_set_up_then_opened(cast, login):
    client = login(cast.users["secretariat"])
    client.post(
        reverse("call_new"),
        {
            "title": "6e appel",
            "edition": 6,
            "year": 2020,
            "max_duration_years": 3,
            "cap_per_project": "200000",
            "national_envelope": "5000000",
            "strands": ["acces", "maintien"],
        },
    )
    call = Call.objects.get(edition=6)
    assert call.strands == ["acces", "maintien"] and call.status == Call.Status.DRAFT

    response = client.post(reverse("call_advance", args=[call.pk]), {"status": "ouvert"}, follow=True)
    assert "Créez au moins un comité régional" in text(response)
    client.post(
        reverse("committee_new", args=[call.pk]),
        {"region": "76", "ar_hlm_name": "AR Hlm Occitanie", "state_service_name": "DREAL Occitanie",
         "envelope": "1 200 000"},
    )  # fmt: skip
    committee = Committee.objects.get(call=call)
    assert (committee.name, str(committee.institutions[0]), str(committee.institutions[1]), committee.envelope) == (
        "Occitanie",
        "AR Hlm Occitanie",
        "DREAL Occitanie",
        Decimal("1200000"),
    )
    response = client.post(
        reverse("committee_new", args=[call.pk]),
        {"region": "76", "ar_hlm_name": "x", "state_service_name": "y"},
        follow=True,
    )
    assert "déjà un comité pour la région Occitanie" in text(response)

    client.post(
        reverse("member_new", args=[committee.pk]),
        {"username": cast.users["member"].username, "institution": committee.institutions[1].pk},
    )
    assert Membership.objects.filter(committee=committee, user=cast.users["member"]).exists()
    assert "enveloppe régionale : 1\u202f200\u202f000 €" in text(client.get(reverse("call_detail", args=[call.pk])))
    response = client.post(
        reverse("member_new", args=[committee.pk]), {"username": "personne", "institution": "0"}, follow=True
    )
    assert "Aucun utilisateur actif avec cet identifiant." in text(response)

    client.post(reverse("call_advance", args=[call.pk]), {"status": "ouvert"})
    assert Call.objects.get(pk=call.pk).status == Call.Status.OPEN
    response = client.post(reverse("call_advance", args=[call.pk]), {"status": "preparation"}, follow=True)
    assert "ne peut pas passer à « En préparation »" in text(response)


COMMITTEE = {"region": "76", "name": "Comité Sud", "ar_hlm_name": "AR Hlm Occitanie", "state_service_name": "DREAL"}


def test_a_committee_named_as_another_of_the_call_is_refused(cast, login):
    client = login(cast.users["secretariat"])
    url = reverse("committee_new", args=[cast.committee.call_id])
    client.post(url, COMMITTEE)
    response = client.post(url, COMMITTEE | {"region": "93"}, follow=True)
    assert response.status_code == 200
    assert "L'appel a déjà un comité nommé « Comité Sud »." in text(response)
    assert cast.committee.call.committees.filter(name="Comité Sud").count() == 1


def test_a_committee_created_meanwhile_is_refused(cast, login, monkeypatch):
    """Two secretaries at once: both pass the checks, the second meets the database's constraint."""
    call = cast.committee.call
    institution = calls._institution

    def after_the_other(name, kind):
        Committee.objects.get_or_create(call=call, region="76", name="Occitanie")
        return institution(name, kind)

    monkeypatch.setattr(calls, "_institution", after_the_other)
    client = login(cast.users["secretariat"])
    response = client.post(reverse("committee_new", args=[call.pk]), COMMITTEE, follow=True)
    assert "Un comité pour cette région ou nommé « Comité Sud » vient d'être créé." in text(response)
    assert not call.committees.filter(name="Comité Sud").exists()


def test_a_call_saved_meanwhile_with_the_same_edition_is_a_form_error(cast, login, monkeypatch):
    check = calls.check

    def after_the_other(by, action, call):
        Call.objects.get_or_create(edition=600, defaults={"title": "Autre appel", "year": 2020})
        return check(by, action, call)

    monkeypatch.setattr(calls, "check", after_the_other)
    response = login(cast.users["secretariat"]).post(
        reverse("call_new"), {"title": "Appel 600", "edition": 600, "year": 2020, "max_duration_years": 3}
    )
    assert response.status_code == 400
    assert "Un autre appel vient d'être enregistré avec l'édition 600." in text(response)
    assert not Call.objects.filter(title="Appel 600").exists()


def test_selection_totals_and_alerts(signed):
    result = selection(signed.committee.call, as_secretariat(signed))
    assert result.requested == Decimal("210000.50")
    (region,) = result.regions
    assert (region.committee, region.dossiers, region.requested) == (signed.committee, 2, Decimal("210000.50"))
    page = selection_page(signed.committee.call, as_secretariat(signed), result, None, 1)
    assert [(d.pk, d.requested) for d in page] == [
        (signed.dossier.pk, Decimal("90000.50")),
        (signed.other_dossier.pk, Decimal("120000")),
    ]
    assert any("Projet du bailleur B" in alert and "plafond" in alert for alert in result.alerts)
    assert not any("enveloppe" in alert for alert in result.alerts)

    decision_record(
        dossier=signed.dossier,
        outcome="retenu",
        amount_granted=Decimal("90000.50"),
        conditions="",
        by=signed.users["secretariat"],
    )
    decision_record(
        dossier=signed.other_dossier,
        outcome="retenu",
        amount_granted=Decimal("100000"),
        conditions="",
        by=signed.users["secretariat"],
    )
    result = selection(signed.committee.call, as_secretariat(signed))
    assert result.granted == Decimal("190000.50")
    assert (result.regions[0].granted, result.regions[0].to_notify) == (Decimal("190000.50"), 2)
    assert any("dépassent l'enveloppe nationale" in alert for alert in result.alerts)


def test_decisions_are_seen_once_notified(signed, login, django_capture_on_commit_callbacks):
    signed.users["landlord"].email = "porteur@example.org"
    signed.users["landlord"].save()
    secretariat = signed.users["secretariat"]
    with pytest.raises(DecisionRefused, match="montant accordé"):
        decision_record(dossier=signed.dossier, outcome="retenu", amount_granted=None, conditions="", by=secretariat)
    decision_record(
        dossier=signed.dossier,
        outcome="retenu",
        amount_granted=Decimal("80000"),
        conditions="Bilan annuel",
        by=secretariat,
    )
    landlord = login(signed.users["landlord"])
    assert "Décision nationale" not in text(landlord.get(reverse("dossier_detail", args=[signed.dossier.pk])))

    with django_capture_on_commit_callbacks(execute=True):
        decisions_notify(call=signed.committee.call, by=secretariat)
    assert Dossier.objects.get(pk=signed.dossier.pk).state == State.RETAINED
    assert [m.to for m in mail.outbox] == [["porteur@example.org"]]
    assert "80\u202f000 €" in mail.outbox[0].body
    page = text(landlord.get(reverse("dossier_detail", args=[signed.dossier.pk])))
    assert "Décision nationale" in page and "Bilan annuel" in page

    with pytest.raises(ActionRefused, match="Notifiée"):
        decision_record(
            dossier=signed.dossier, outcome="non_retenu", amount_granted=None, conditions="", by=secretariat
        )
    assert decisions_notify(call=signed.committee.call, by=secretariat).done == []


def test_a_deferred_dossier_gets_a_new_decision(signed):
    secretariat = signed.users["secretariat"]
    decision_record(
        dossier=signed.dossier, outcome="ajourne", amount_granted=Decimal("5"), conditions="", by=secretariat
    )
    assert Decision.objects.get().amount_granted is None
    decisions_notify(call=signed.committee.call, by=secretariat)
    decision_record(
        dossier=signed.dossier, outcome="retenu", amount_granted=Decimal("70000"), conditions="", by=secretariat
    )
    decisions_notify(call=signed.committee.call, by=secretariat)
    assert Dossier.objects.get(pk=signed.dossier.pk).state == State.RETAINED


def test_decision_form_errors_are_french(signed, login):
    response = login(signed.users["secretariat"]).post(
        reverse("decision_edit", args=[signed.dossier.pk]), {"outcome": "retenu", "amount_granted": "-3"}
    )
    assert response.status_code == 400
    assert "Un montant ne peut pas être négatif." in text(response)
    assert not Decision.objects.exists()


def add_signed(committee, count: int, amount=1000) -> None:
    for _ in range(count):
        dossier = DossierFactory(committee=committee, state=State.OPINION_SIGNED)
        OpinionFactory(dossier=dossier)
        BudgetLine.objects.create(dossier=dossier, year=1, funder="fsi", amount=amount)


def test_the_selection_page_costs_the_same_queries_for_more_dossiers(signed, login):
    client = login(signed.users["secretariat"])
    url = reverse("call_selection", args=[signed.committee.call_id])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count()  # the first request after logging in writes the session
    before = count()
    add_signed(signed.committee, PER_PAGE + 10)
    # 12, and the call's rules: the retained dossiers, their co-carriers, the committees' envelopes.
    assert count() == before <= 15


def test_the_selection_page_lists_a_page_at_a_time_region_by_region(signed, login):
    other = CommitteeFactory(call=signed.committee.call, name="Comité Bretagne", region="53")
    add_signed(signed.committee, PER_PAGE)
    add_signed(other, 3)
    client = login(signed.users["secretariat"])
    url = reverse("call_selection", args=[signed.committee.call_id])
    body = text(client.get(url))
    assert f"Dossiers 1 à {PER_PAGE} sur {PER_PAGE + 5}" in body
    assert len(re.findall(r"/decision/", body)) == PER_PAGE
    assert f"Dossiers {PER_PAGE + 1} à {PER_PAGE + 5} sur {PER_PAGE + 5}" in text(client.get(url, {"page": 2}))
    # One region: its dossiers only, and the filter kept from page to page.
    region = text(client.get(url, {"comite": other.pk}))
    assert "3 dossiers" in region and len(re.findall(r"/decision/", region)) == 3
    assert "Comité non reconnu" in text(client.get(url, {"comite": "999999"}))


def test_alerts_of_one_kind_are_summed_up_beyond_a_number(signed):
    call = signed.committee.call
    add_signed(signed.committee, ALERTS_PER_KIND + 3, amount=call.cap_per_project + 1)
    alerts = [alert for alert in selection(call, as_secretariat(signed)).alerts if "plafond" in alert]
    # The seed's project over the cap, and the new ones.
    assert len(alerts) == ALERTS_PER_KIND + 1
    assert alerts[-1] == "… et 4 autres projets demandent plus que le plafond."


@pytest.mark.parametrize("per_page", [1, 2, 7, 50])
def test_the_selection_pages_hold_each_dossier_once_region_by_region(signed, monkeypatch, per_page):
    call = signed.committee.call
    # Committees without a region come first, by name; numbers restart in each committee.
    committees = [
        CommitteeFactory(call=call, name="Comité Bretagne", region="53"),
        CommitteeFactory(call=call, name="Comité Z", region=""),
        CommitteeFactory(call=call, name="Comité A", region=""),
    ]
    for committee, size in zip(committees, (3, 2, 1), strict=True):
        add_signed(committee, size)
    monkeypatch.setattr("core.services.selection.PER_PAGE", per_page)
    result = selection(call, as_secretariat(signed))
    first = selection_page(call, as_secretariat(signed), result, None, 1)
    listed = [
        d.pk
        for number in first.paginator.page_range
        for d in selection_page(call, as_secretariat(signed), result, None, number)
    ]
    expected = Dossier.objects.filter(committee__call=call, state=State.OPINION_SIGNED)
    assert listed == list(
        expected.order_by("committee__region", "committee__name", "committee_id", "number").values_list("pk", flat=True)
    )
    assert first.paginator.count == len(listed) == 8
    one = selection_page(call, as_secretariat(signed), result, committees[1], 1)
    listed = [
        d.committee
        for number in one.paginator.page_range
        for d in selection_page(call, as_secretariat(signed), result, committees[1], number)
    ]
    assert listed == [committees[1]] * 2


def test_amounts_granted_over_the_cap_are_named(signed):
    decision_record(
        dossier=signed.other_dossier,
        outcome="retenu",
        amount_granted=Decimal("100000.01"),
        conditions="",
        by=signed.users["secretariat"],
    )
    granted = [
        alert for alert in selection(signed.committee.call, as_secretariat(signed)).alerts if "montant accordé" in alert
    ]
    assert granted == [
        f"{signed.committee.name}, projet N°{signed.other_dossier.number} « {signed.other_dossier.title} » : "
        "montant accordé au-delà du plafond (100\u202f000 €)."
    ]


def _words(response) -> str:
    """The page's text as read: tags dropped, spaces of every kind as one."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def test_the_decision_is_made_seeing_the_request_the_cap_and_the_opinion(signed, login):
    url = reverse("decision_edit", args=[signed.dossier.pk])
    page = _words(login(signed.users["secretariat"]).get(url))
    assert "Montant demandé : 90 000,50 € · plafond par projet de l'appel : 100 000 €" in page
    # As the secretariat reads it (Access.can_read_opinion_draft): here, the committee's working copy.
    opinion = signed.dossier.opinion
    assert f"Avis du comité régional : {SMILEYS[opinion.verdict]} {opinion.get_verdict_display().lower()}" in page
    assert opinion.remarks in page


@pytest.mark.parametrize(
    "amount, warned",
    [
        ("90 000,50", []),
        ("95 000", ["dépasse le montant demandé (90 000,50 €)"]),
        ("120 000", ["dépasse le plafond par projet de l'appel (100 000 €)", "dépasse le montant demandé"]),
    ],
)
def test_an_amount_over_the_cap_or_the_request_is_confirmed_first(signed, login, amount, warned):
    url = reverse("decision_edit", args=[signed.dossier.pk])
    secretariat = login(signed.users["secretariat"])
    response = secretariat.post(url, {"outcome": "retenu", "amount_granted": amount})
    if not warned:
        assert response.status_code == 302 and Decision.objects.filter(dossier=signed.dossier).exists()
        return
    assert response.status_code == 400 and not Decision.objects.exists()
    page = _words(response)
    assert "Montant à vérifier" in page and all(warning in page for warning in warned)
    response = secretariat.post(url, {"outcome": "retenu", "amount_granted": amount, "confirmed": "1"})
    assert response.status_code == 302 and Decision.objects.get(dossier=signed.dossier).amount_granted > 0
    # Shown again with the recorded decision, until it is changed.
    assert "Montant à vérifier" in _words(secretariat.get(url))


def test_one_decision_for_every_p1_of_a_region_at_the_amount_each_asked(signed, login):
    committee = signed.committee
    extra = DossierFactory(committee=committee, state=State.OPINION_SIGNED, title="Un P2")
    OpinionFactory(dossier=extra, retained=True, rank="P2")
    Opinion.objects.filter(dossier__in=[signed.dossier, signed.other_dossier]).update(retained=True, rank="P1")
    url = reverse("call_decide_many", args=[committee.call_id])
    secretariat = login(signed.users["secretariat"])
    choice = {"comite": committee.pk, "avis": "P1", "outcome": "retenu", "amount": "", "conditions": "Bilan annuel."}
    # The preview: the two P1, each at what it asks; B asks more than the cap, and says so.
    page = _words(secretariat.get(url, choice))
    assert f"N°{signed.dossier.number} — {signed.dossier.title}" in page and "Un P2" not in page
    assert "dépasse le plafond par projet de l'appel (100 000 €)" in page
    # Recorded only once the amount over the cap is confirmed; B left unchecked is left alone.
    both = {**choice, "dossiers": [signed.dossier.pk, signed.other_dossier.pk]}
    assert secretariat.post(url, both).status_code == 400 and not Decision.objects.exists()
    response = secretariat.post(url, {**choice, "dossiers": [signed.dossier.pk]})
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.dossier, decision.amount_granted, decision.conditions, decision.notified_at) == (
        signed.dossier,
        Decimal("90000.50"),
        "Bilan annuel.",
        None,
    )
    response = secretariat.post(url, {**both, "confirmed": "1"})
    assert response.status_code == 302 and Decision.objects.count() == 2


def _decide_many(cast, ids: list[int]):
    return decisions_record_many(call=cast.committee.call, dossier_ids=ids, outcome="non_retenu", amount=None,
                                 conditions="", by=cast.users["secretariat"])  # fmt: skip


def test_decisions_for_many_are_all_or_nothing(signed, login):
    Dossier.objects.filter(pk=signed.other_dossier.pk).update(state=State.SUBMITTED)  # not yet decidable
    with pytest.raises(DecisionRefused, match=f"Projet N°{signed.other_dossier.number}"):
        _decide_many(signed, [signed.dossier.pk, signed.other_dossier.pk])
    assert not Decision.objects.exists()
    # A forged id of another call's dossier is refused too.
    other = DossierFactory(state=State.OPINION_SIGNED)
    with pytest.raises(DecisionRefused, match="Choisissez des dossiers de cet appel"):
        _decide_many(signed, [signed.dossier.pk, other.pk])
