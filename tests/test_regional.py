"""A call's process (Call.process): on a regional decision's call, the committee decides, notifies and agrees; the
secretariat reads and follows. The national selection's rules stay in test_national.py; every action for every role
on a regional call's dossiers is in tests/test_actions.py's world (« Comité régional »)."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from core.models import BudgetLine, Call, Committee, Decision, Dossier, RuleMode
from core.permissions import Access
from core.services import calls
from core.services.decisions import decision_clear, decision_record, decisions_notify
from core.workflow import ActionRefused
from tests.access import A_TITLE, LOGIN, check_refusal, text
from tests.factories import CommitteeFactory, DossierFactory

State = Dossier.State
REGIONAL_REFUSAL = "Sur un appel à décision régionale, chaque comité régional décide de ses dossiers"
# Who records a decision on dossier A of a regional call: the co-chairs' members not in conflict on it.
RECORDS = {
    "anonymous": LOGIN,
    "landlord": 403,
    "other_landlord": 404,
    "member": 302,
    "member_in_conflict": 403,
    "other_committee_member": 404,
    "secretariat": 403,
    "observer": 403,
    "other_committee_observer": 404,
}


@pytest.fixture
def regional(cast):
    """The cast's call decided regionally; both dossiers' opinions signed, each asking the fund for money."""
    Call.objects.filter(pk=cast.committee.call_id).update(process=Call.Process.REGIONAL, status=Call.Status.CLOSED)
    for dossier in (cast.dossier, cast.other_dossier):
        BudgetLine.objects.create(dossier=dossier, year=1, funder="fnavdl", amount=Decimal("90000"))
        # As much from the landlord's own funds: the 80 000 € granted stay within half the expenses.
        BudgetLine.objects.create(dossier=dossier, year=1, funder="fonds_propres", amount=Decimal("90000"))
    Dossier.objects.filter(pk__in=[cast.dossier.pk, cast.other_dossier.pk]).update(state=State.OPINION_SIGNED)
    cast.users["landlord"].email = "porteur@example.org"
    cast.users["landlord"].save()
    return cast


def record(cast, role: str, dossier=None, outcome="retenu") -> Decision:
    return decision_record(dossier=dossier or cast.dossier, outcome=outcome, amount_granted=Decimal("80000"),
                           conditions="", by=cast.users[role])  # fmt: skip


@pytest.mark.parametrize("role", sorted(RECORDS))
def test_on_a_regional_call_the_committee_records_the_decision(regional, login, role):
    url = reverse("decision_edit", args=[regional.dossier.pk])
    response = login(regional.users[role]).post(url, {"outcome": "retenu", "amount_granted": "80000"})
    if RECORDS[role] == 302:
        assert response["Location"] == reverse("committee_detail", args=[regional.committee.pk])
        assert Decision.objects.get(dossier=regional.dossier).decided_by == regional.users[role]
    else:
        check_refusal(response, RECORDS[role], secrets=(A_TITLE,))
        assert not Decision.objects.exists()


def test_the_secretariat_is_told_why_it_may_not_record(regional, login):
    response = login(regional.users["secretariat"]).post(
        reverse("decision_edit", args=[regional.dossier.pk]), {"outcome": "retenu", "amount_granted": "80000"}
    )
    assert response.status_code == 403
    assert "aux membres des institutions co-présidentes du comité" in text(response)
    with pytest.raises(ActionRefused, match="sur un appel à décision régionale"):
        record(regional, "secretariat")


def test_a_member_in_conflict_neither_records_nor_clears(regional):
    with pytest.raises(ActionRefused, match="hors conflit"):
        record(regional, "member_in_conflict")
    # On dossier B its organisation neither carries nor partners: it decides.
    record(regional, "member_in_conflict", regional.other_dossier)


def test_a_co_chair_member_records_notifies_and_agrees(regional, login, django_capture_on_commit_callbacks):
    member = login(regional.users["member"])
    committee_url = reverse("committee_detail", args=[regional.committee.pk])
    page = member.get(committee_url).content.decode()
    assert reverse("decision_edit", args=[regional.dossier.pk]) in page
    member.post(reverse("decision_edit", args=[regional.dossier.pk]), {"outcome": "retenu", "amount_granted": "80000"})
    page = member.get(committee_url).content.decode()
    assert 'data-action="committee.notify_decisions"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = member.post(reverse("committee_notify", args=[regional.committee.pk]))
    assert response["Location"] == committee_url
    assert Dossier.objects.get(pk=regional.dossier.pk).state == State.RETAINED
    assert [m.to for m in mail.outbox] == [["porteur@example.org"]]

    response = member.post(
        reverse("agreement_edit", args=[regional.dossier.pk]),
        {"amount": "80 000", "starts_on": "2021-03-01", "ends_on": "2023-02-28", "tranches-TOTAL_FORMS": 1,
         "tranches-INITIAL_FORMS": 0, "tranches-0-amount": "80 000"},
    )  # fmt: skip
    assert response.status_code == 302
    assert Dossier.objects.get(pk=regional.dossier.pk).state == State.UNDER_AGREEMENT


def test_the_committee_notifies_its_own_and_not_those_it_is_in_conflict_on(regional):
    record(regional, "member")
    record(regional, "member", regional.other_dossier, outcome="non_retenu")
    result = decisions_notify(committee=regional.committee, by=regional.users["member_in_conflict"])
    assert [d.dossier_id for d in result.done] == [regional.other_dossier.pk]
    assert [(dossier.pk, "conflit" in reason) for dossier, reason in result.failed] == [(regional.dossier.pk, True)]


def test_the_secretariat_does_not_notify_a_regional_call(regional, login):
    record(regional, "member")
    secretariat = login(regional.users["secretariat"])
    response = secretariat.post(reverse("call_notify", args=[regional.committee.call_id]))
    assert response.status_code == 403
    assert REGIONAL_REFUSAL in text(response)
    response = secretariat.post(reverse("committee_notify", args=[regional.committee.pk]))
    assert response.status_code == 403
    assert Decision.objects.get().notified_at is None
    # It reads the call's selection, to consolidate, without a decision's button.
    page = secretariat.get(reverse("call_selection", args=[regional.committee.call_id])).content.decode()
    assert 'data-action="decision.record"' not in page


def test_on_a_national_call_the_committee_does_not_notify(cast, login):
    Dossier.objects.filter(pk=cast.dossier.pk).update(state=State.OPINION_SIGNED)
    decision_record(dossier=cast.dossier, outcome="non_retenu", amount_granted=None, conditions="",
                    by=cast.users["secretariat"])  # fmt: skip
    response = login(cast.users["member"]).post(reverse("committee_notify", args=[cast.committee.pk]))
    assert response.status_code == 403
    assert "le secrétariat national décide et notifie" in text(response)


CALL = {"title": "Appel FNAVDL 2021", "year": 2021, "max_duration_years": 3}


def test_the_call_form_sets_the_process_while_in_preparation(cast, login):
    client = login(cast.users["secretariat"])
    client.post(reverse("call_new"), CALL | {"process": "regional"})
    call = Call.objects.get(title=CALL["title"])
    assert call.process == Call.Process.REGIONAL
    assert "Décision régionale (FNAVDL, depuis 2020)" in text(client.get(reverse("call_detail", args=[call.pk])))
    client.post(reverse("call_edit", args=[call.pk]), CALL | {"process": "national"})
    assert Call.objects.get(pk=call.pk).process == Call.Process.NATIONAL
    # A form that does not say keeps it.
    client.post(reverse("call_edit", args=[call.pk]), CALL)
    assert Call.objects.get(pk=call.pk).process == Call.Process.NATIONAL


def test_the_process_does_not_change_once_the_call_is_open(cast, login):
    call = cast.committee.call
    Call.objects.filter(pk=call.pk).update(status=Call.Status.OPEN)
    client = login(cast.users["secretariat"])
    response = client.post(reverse("call_edit", args=[call.pk]), CALL | {"process": "regional"})
    assert response.status_code == 400
    assert "Le processus de décision d'un appel « Ouvert aux dépôts » ne change plus" in text(response)
    assert Call.objects.get(pk=call.pk).process == Call.Process.NATIONAL
    values = {name: getattr(call, name) for name in calls.CALL_FIELDS} | {"process": "regional", "publics": []}
    with pytest.raises(calls.SetupRefused, match="ne change plus"):
        calls.call_save(call=call, values=values, by=cast.users["secretariat"])


def test_the_call_rules_hold_over_each_committee_s_own_dossiers(regional, login):
    """A committee's envelope blocks its own notification, and neither another committee's nor the page of who does not
    decide: on a regional call each committee's selection is told apart."""
    call = regional.committee.call
    Call.objects.filter(pk=call.pk).update(envelope_mode=RuleMode.BLOCKING)
    Committee.objects.filter(pk=regional.committee.pk).update(envelope=Decimal("100000"))
    neighbour = CommitteeFactory(call=call, name="Comité voisin", envelope=Decimal("50000"))
    theirs = DossierFactory(committee=neighbour, state=State.OPINION_SIGNED)
    BudgetLine.objects.create(dossier=theirs, year=1, funder="fonds_propres", amount=Decimal("400000"))
    Decision.objects.create(dossier=theirs, outcome=Decision.Outcome.RETAINED, amount_granted=Decimal("80000"))
    record(regional, "member")

    member = login(regional.users["member"])
    page = member.get(reverse("committee_detail", args=[regional.committee.pk])).content.decode()
    assert 'data-rule="envelope"' in page and "Comité voisin" not in page
    assert "{#" not in page and "#}" not in page  # the include's comment stays out of the page
    assert 'data-action="committee.notify_decisions"' in page

    record(regional, "member_in_conflict", regional.other_dossier)  # 160 000 € retained for 100 000 €
    page = member.get(reverse("committee_detail", args=[regional.committee.pk])).content.decode()
    assert "Non respectée, bloquante" in page and 'id="notify-blocked"' in page
    assert 'data-action="committee.notify_decisions"' not in page
    response = member.post(reverse("committee_notify", args=[regional.committee.pk]))
    assert response.status_code == 403
    assert "Enveloppe régionale" in text(response) and Decision.objects.filter(notified_at__isnull=False).count() == 0

    landlord_page = login(regional.users["landlord"]).get(reverse("committee_detail", args=[regional.committee.pk]))
    assert 'data-rule="' not in landlord_page.content.decode()


def test_the_co_chairs_read_their_recorded_decision_before_it_is_notified(regional, login):
    """Who decides reads what was decided: the co-chairs not in conflict, on the dossier's page and in what counts
    decisions (Access.decisions); the member in conflict, the landlord and the observer read it once notified."""
    record(regional, "member")
    url = reverse("dossier_detail", args=[regional.dossier.pk])
    readers = {
        role: 'id="decision"' in login(regional.users[role]).get(url).content.decode()
        for role in ("member", "member_in_conflict", "landlord", "observer")
    }
    assert readers == {"member": True, "member_in_conflict": False, "landlord": False, "observer": False}
    access = Access(regional.users["member"])
    assert Decision.objects.filter(access.decisions()).count() == 1
    assert Decision.objects.filter(Access(regional.users["member_in_conflict"]).decisions()).count() == 0


def test_the_co_chairs_read_the_trail_of_their_decisions_before_notification(regional, login):
    """Who decides reads who recorded the decision and who cleared it, on the dossier's history; the member in conflict,
    the landlord and the observer read none of it before notification."""
    record(regional, "member")
    decision_clear(dossier=regional.dossier, by=regional.users["member"])
    record(regional, "member", outcome="non_retenu")
    url = reverse("dossier_history", args=[regional.dossier.pk])
    trail = {
        role: "Effacer la décision" in text(login(regional.users[role]).get(url))
        for role in ("member", "member_in_conflict", "landlord", "observer", "secretariat")
    }
    assert trail == {"member": True, "member_in_conflict": False, "landlord": False, "observer": False,
                     "secretariat": True}  # fmt: skip
