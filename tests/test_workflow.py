"""The declared workflow: its table as the documentation prints it, and the rules it decides, each found broken once."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from core.models import (
    Agreement,
    AuditEvent,
    Call,
    Decision,
    Dossier,
    JointOpinion,
    Membership,
    Opinion,
    Organisation,
    Report,
    ReportHouseholds,
)
from core.permissions import Access
from core.services.calls import SetupRefused, call_advance, committee_member_add
from core.services.dashboards import dashboard
from core.services.decisions import decision_clear, decision_record, decisions_notify
from core.services.dossiers import DraftRefused, dossier_save_draft, dossier_withdraw
from core.services.followup import report_review, tranche_pay
from core.services.joint_opinions import committee_snapshot, joint_opinion_publish, publication_checks, snapshot_digest
from core.services.opinions import opinion_save
from core.services.organisations import NewOrganisation
from core.workflow import (
    ACTIONS,
    DECIDABLE,
    EDITABLE,
    SELECTED,
    TRANSITIONS,
    ActionRefused,
    available,
    markdown,
)
from tests.access import text
from tests.factories import DossierFactory, OrganisationFactory, UserFactory, member

State = Dossier.State
ARCHITECTURE = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"


def test_the_documentation_prints_the_declared_table():
    assert markdown() in ARCHITECTURE.read_text(encoding="utf-8"), "Run manage.py workflow_table and paste it"


def test_groups_come_from_the_phases():
    assert {State.DRAFT, State.INCOMPLETE} == EDITABLE
    assert {State.OPINION_SIGNED, State.DEFERRED} == DECIDABLE
    assert State.WITHDRAWN not in SELECTED and State.CLOSED in SELECTED and State.IN_INSTRUCTION not in SELECTED


def test_every_transition_is_some_actions_move():
    assert TRANSITIONS[State.DRAFT] == {State.SUBMITTED, State.WITHDRAWN}
    assert TRANSITIONS[State.RETAINED] == {State.UNDER_AGREEMENT}
    assert State.CLOSED not in TRANSITIONS and State.WITHDRAWN not in TRANSITIONS


def test_every_action_names_a_policy_with_its_french_phrase():
    for action in ACTIONS.values():
        assert action.policy.who.startswith("réservé"), action.qualified


# --- The rules decided ------------------------------------------------------------------------------------------


@pytest.fixture
def co_carried(cast):
    """Dossier A, co-carried by a second landlord whose staff has an account."""
    co_landlord = OrganisationFactory(name="Bailleur associé")
    cast.dossier.co_landlords.add(co_landlord)
    cast.users["co_landlord"] = member(UserFactory(username="co"), co_landlord, Membership.Role.LANDLORD_STAFF)
    return cast


def test_only_the_lead_landlords_staff_withdraws(co_carried, login):
    cast = co_carried
    response = login(cast.users["co_landlord"]).post(
        reverse("dossier_withdraw", args=[cast.dossier.pk]), {"confirm": "1"}
    )
    assert response.status_code == 403
    assert "pas aux bailleurs associés" in text(response)
    assert Dossier.objects.get(pk=cast.dossier.pk).state == State.IN_INSTRUCTION
    with pytest.raises(ActionRefused):
        dossier_withdraw(dossier=cast.dossier, by=cast.users["co_landlord"])
    # Its page offers no button the POST would refuse.
    page = text(login(cast.users["co_landlord"]).get(reverse("dossier_detail", args=[cast.dossier.pk])))
    assert 'data-action="dossier.withdraw"' not in page
    dossier_withdraw(dossier=cast.dossier, by=cast.users["landlord"])
    assert Dossier.objects.get(pk=cast.dossier.pk).state == State.WITHDRAWN


@pytest.fixture
def signed(cast):
    Dossier.objects.filter(pk__in=[cast.dossier.pk, cast.other_dossier.pk]).update(state=State.OPINION_SIGNED)
    return cast


def record(cast, dossier, outcome="retenu", amount=Decimal("50000")):
    return decision_record(
        dossier=dossier,
        outcome=outcome,
        amount_granted=amount if outcome == "retenu" else None,
        conditions="",
        by=cast.users["secretariat"],
    )


def test_a_recorded_decision_freezes_the_dossier_and_its_opinion(signed, login):
    cast = signed
    client = login(cast.users["member"])
    record(cast, cast.dossier)
    dossier = Dossier.objects.get(pk=cast.dossier.pk)
    with pytest.raises(ActionRefused, match="figés"):
        dossier_withdraw(dossier=dossier, by=cast.users["landlord"])
    with pytest.raises(ActionRefused, match="figés"):
        opinion_save(
            dossier=dossier, by=cast.users["member"], expected_revision=dossier.opinion.revision,
            verdict="favorable", questions="", remarks="Changé", retained=True, rank="P1",
        )  # fmt: skip
    assert "opinion.write" not in available(Access(cast.users["member"]), dossier)
    page = text(client.get(reverse("dossier_detail", args=[dossier.pk])))
    assert 'data-action="opinion.write"' not in page and "figés jusqu'à ce que le secrétariat national" in page
    # Cleared, the dossier is open again, and the trail keeps both.
    decision_clear(dossier=dossier, by=cast.users["secretariat"])
    assert "opinion.write" in available(Access(cast.users["member"]), Dossier.objects.get(pk=dossier.pk))
    assert list(AuditEvent.objects.filter(dossier=dossier).values_list("action", flat=True)) == [
        "decision.clear",
        "decision.record",
    ]


def test_notification_goes_dossier_by_dossier(signed):
    """A dossier whose decision cannot be notified is reported; the others are notified."""
    cast = signed
    record(cast, cast.dossier)
    record(cast, cast.other_dossier, outcome="non_retenu")
    # Moved behind the workflow's back, as the admin once allowed.
    Dossier.objects.filter(pk=cast.other_dossier.pk).update(state=State.WITHDRAWN)
    result = decisions_notify(call=cast.committee.call, by=cast.users["secretariat"])
    assert [d.dossier_id for d in result.done] == [cast.dossier.pk]
    assert [(d.pk, "Retiré" in reason) for d, reason in result.failed] == [(cast.other_dossier.pk, True)]
    assert Dossier.objects.get(pk=cast.dossier.pk).state == State.RETAINED
    assert Decision.objects.get(dossier=cast.other_dossier).notified_at is None


def test_the_notify_page_says_which_dossier_failed(signed, login):
    cast = signed
    record(cast, cast.dossier)
    record(cast, cast.other_dossier)
    Dossier.objects.filter(pk=cast.other_dossier.pk).update(state=State.WITHDRAWN)
    response = login(cast.users["secretariat"]).post(reverse("call_notify", args=[cast.committee.call.pk]), follow=True)
    body = text(response)
    assert "1 décision notifiée" in body
    assert f"Projet N°{cast.other_dossier.number} « {cast.other_dossier.title} »" in body


def test_retained_is_carried_not_guessed_from_the_rank(cast, login):
    Opinion.objects.filter(dossier=cast.dossier).update(verdict="favorable", retained=True, rank="")
    (project,) = [p for p in committee_snapshot(cast.committee)["projects"] if p["number"] == cast.dossier.number]
    assert (project["retained"], project["rank"]) == (True, None)
    page = text(login(cast.users["member"]).get(reverse("dossier_detail", args=[cast.dossier.pk])))
    assert "Retenu, sans rang" in page and "Non retenu" not in page


def test_a_version_published_before_the_rank_had_its_name_still_reads_its_rank(cast, login):
    content = committee_snapshot(cast.committee)
    for project in content["projects"]:
        project["priority"] = project.pop("rank")
    JointOpinion.objects.create(
        committee=cast.committee, version=1, source="publication", content=content, sha256=snapshot_digest(content)
    )
    # The draft moves on: what the landlord reads can only come from the frozen version.
    Opinion.objects.filter(dossier=cast.dossier).update(rank="P3")
    client = login(cast.users["landlord"])
    page = text(client.get(reverse("dossier_detail", args=[cast.dossier.pk])))
    # As cells, not as letters: the page's CSRF token is random.
    assert re.search(r">\s*P1\s*<", page) and not re.search(r">\s*P3\s*<", page)
    dossiers = client.get("/api/v1/dossiers", {"rank": "P1"}).json()["items"]
    assert [d["id"] for d in dossiers] == [cast.dossier.pk]


def test_a_call_step_is_refused_for_who_asks_before_when(cast):
    """Found by tests/test_process_model.py: a landlord asking the service to decide a call in preparation was told
    the call's status, not that steps are the secretariat's; the page's guard said so, the service did not."""
    call = cast.committee.call
    with pytest.raises(ActionRefused, match="réservé au secrétariat national"):
        call_advance(call=call, to_status=Call.Status.DECIDED, by=cast.users["landlord"])
    with pytest.raises(ActionRefused, match="réservé au secrétariat national"):
        call_advance(call=call, to_status=Call.Status.DRAFT, by=cast.users["landlord"])
    with pytest.raises(ActionRefused, match="n'est pas possible : Appel à projets « En préparation »"):
        call_advance(call=call, to_status=Call.Status.DECIDED, by=cast.users["secretariat"])
    with pytest.raises(SetupRefused, match="ne peut pas passer à « En préparation »"):
        call_advance(call=call, to_status=Call.Status.DRAFT, by=cast.users["secretariat"])
    assert not AuditEvent.objects.exists()


def test_the_secretariat_never_sits_on_a_committee(cast):
    secretariat = cast.users["secretariat"]
    with pytest.raises(SetupRefused, match="secrétariat national"):
        committee_member_add(
            committee=cast.committee, user=secretariat, institution=cast.committee.institutions[0], by=secretariat
        )
    assert not Membership.objects.filter(user=secretariat, role=Membership.Role.COMMITTEE_MEMBER).exists()


def test_a_committee_member_is_added_with_a_trace(cast):
    newcomer = UserFactory(username="nouveau")
    secretariat = cast.users["secretariat"]
    committee_member_add(
        committee=cast.committee, user=newcomer, institution=cast.committee.institutions[0], by=secretariat
    )
    event = AuditEvent.objects.get(action="committee.add_member")
    assert (event.by, event.committee, event.after["user"]) == (secretariat, cast.committee, "nouveau")


@pytest.fixture
def draft(cast):
    return DossierFactory(committee=cast.committee, lead_landlord=cast.dossier.lead_landlord, state=State.DRAFT)


def save_partners(cast, draft, partners=(), new=()):
    return dossier_save_draft(
        dossier=draft,
        by=cast.users["landlord"],
        values={"publics": [], "co_landlords": []},
        partners=list(partners),
        new_partners=[NewOrganisation(name) if isinstance(name, str) else name for name in new],
    )


def test_a_partner_is_never_matched_by_its_name(cast, draft):
    """Naming a co-chairing institution once put every member of it in conflict, so that the avis conjoint could
    not be published."""
    institution = cast.committee.institutions[1]
    with pytest.raises(DraftRefused, match="co-préside"):
        save_partners(cast, draft, new=[institution.name.upper()])
    with pytest.raises(DraftRefused, match="ne peut pas être partenaire"):
        save_partners(cast, draft, partners=[institution])
    soliha = OrganisationFactory(name="SOLiHA Provence", kind=Organisation.Kind.ASSOCIATION)
    with pytest.raises(DraftRefused, match="choisissez-le dans la liste"):
        save_partners(cast, draft, new=["soliha  provence"])
    save_partners(cast, draft, partners=[soliha], new=["Association Nouvelle"])
    assert sorted(p.name for p in draft.partners.all()) == ["Association Nouvelle", "SOLiHA Provence"]


def test_the_publication_checks_say_who_unblocks(cast):
    """Every member of one institution in conflict: the check says so and who can lift it."""
    cast.dossier.partners.add(cast.committee.institutions[1])
    checks = [c for c in publication_checks(cast.committee) if c.dossier == cast.dossier and c.blocking]
    unsigned = next(c for c in checks if str(cast.committee.institutions[1]) in c.message)
    assert "aucun de ses membres" in unsigned.message
    assert "secrétariat national ajoute au comité un membre" in unsigned.who


def test_publishing_is_the_committees_act(cast):
    with pytest.raises(ActionRefused, match="membres des institutions co-présidentes du comité"):
        joint_opinion_publish(committee=cast.committee, by=cast.users["secretariat"])


# --- What leaked ------------------------------------------------------------------------------------------------


@pytest.fixture
def renewal(cast):
    """Dossier B renews dossier A, whose landlord has saved a report without sending it."""
    Dossier.objects.filter(pk=cast.dossier.pk).update(state=State.REPORTING, duration_years=3)
    Agreement.objects.create(
        dossier=cast.dossier, amount=Decimal(1000), starts_on=date(2019, 1, 1), ends_on=date(2021, 1, 1)
    )
    draft = Report.objects.create(dossier=cast.dossier, year=1, entries_into_housing=42)
    ReportHouseholds.objects.create(report=draft, strand="acces", households=42)
    Dossier.objects.filter(pk=cast.other_dossier.pk).update(renews=cast.dossier)
    return cast


@pytest.mark.parametrize("role", ["member", "observer"])
def test_a_draft_report_stays_its_landlords(renewal, login, role):
    cast = renewal
    response = login(cast.users[role]).get(reverse("dossier_followup", args=[cast.other_dossier.pk]))
    assert response.status_code == 200
    assert "42 entrées" not in text(response) and "brouillon" not in text(response).lower()
    _, charts = dashboard(Dossier.objects.all(), Access(cast.users[role]))
    reported = next(chart for chart in charts if chart.title.startswith("Ménages accompagnés"))
    assert sum(value for _, value in reported.rows) == 0


def test_the_national_selection_hides_what_an_observer_may_not_read(signed, login):
    cast = signed
    Opinion.objects.filter(dossier=cast.dossier).update(verdict="favorable", retained=True, rank="P1")
    record(cast, cast.dossier, amount=Decimal("77777"))
    body = text(login(cast.users["observer"]).get(reverse("call_selection", args=[cast.committee.call.pk])))
    amount = re.compile(r"77\s777")
    # As cells read: the page's CSRF token may hold "P1" by chance.
    verdict, rank = re.compile(r">\s*Favorable\s*<"), re.compile(r">\s*P1\s*<")
    assert not amount.search(body) and "à notifier" not in body
    assert not verdict.search(body) and not rank.search(body)
    body = text(login(cast.users["secretariat"]).get(reverse("call_selection", args=[cast.committee.call.pk])))
    assert amount.search(body) and verdict.search(body) and rank.search(body)


def test_a_message_from_the_landlord_is_not_mailed_to_members_in_conflict(
    cast, login, django_capture_on_commit_callbacks
):
    for role in ("member", "member_in_conflict"):
        cast.users[role].email = f"{role}@example.org"
        cast.users[role].save()
    with django_capture_on_commit_callbacks(execute=True):
        login(cast.users["landlord"]).post(reverse("message_new", args=[cast.dossier.pk]), {"body": "Bonjour"})
    assert [m.to for m in mail.outbox] == [["member@example.org"]]


# --- The trail ---------------------------------------------------------------------------------------------------


def test_money_reviews_and_calls_leave_a_trace(cast):
    secretariat = cast.users["secretariat"]
    Dossier.objects.filter(pk=cast.dossier.pk).update(state=State.REPORTING, duration_years=2)
    agreement = Agreement.objects.create(
        dossier=cast.dossier, amount=Decimal(1000), starts_on=date(2019, 1, 1), ends_on=date(2021, 1, 1)
    )
    tranche = agreement.tranches.create(order=1, amount=Decimal(1000))
    tranche_pay(tranche=tranche, paid_on=date(2019, 2, 1), by=secretariat)
    report = Report.objects.create(dossier=cast.dossier, year=1, state=Report.State.SUBMITTED)
    report_review(report=report, validate=False, message="Il manque les dépenses.", by=secretariat)
    call = Call.objects.create(title="Appel", year=2020)
    call.committees.create(name="Comité")
    call_advance(call=call, to_status=Call.Status.OPEN, by=secretariat)
    events = {e.action: e for e in AuditEvent.objects.select_related("by")}
    assert set(events) == {"tranche.pay", "report.return", "call.open"}
    assert all(event.by == secretariat for event in events.values())
    assert events["tranche.pay"].after["paid_on"] == "2019-02-01" and events["tranche.pay"].dossier == cast.dossier
    assert (events["report.return"].before["state"], events["report.return"].after["state"]) == ("transmis", "renvoye")
    assert events["call.open"].before == {"status": "preparation"} and events["call.open"].call == call


def test_the_dossier_history_shows_the_trail_to_its_readers(signed, login):
    cast = signed
    record(cast, cast.dossier, amount=Decimal("64000"))
    url = reverse("dossier_history", args=[cast.dossier.pk])
    history = text(login(cast.users["secretariat"]).get(url))
    assert "Enregistrer la décision" in history
    # In French, each value before and after; what did not change is not said.
    assert "décision : — → Retenu" in history and "montant accordé (€) : — → 64\u202f000 €" in history
    assert "conditions" not in history
    # Before notification, the decision is the secretariat's alone.
    for role in ("landlord", "member", "observer"):
        assert "Enregistrer la décision" not in text(login(cast.users[role]).get(url)), role
