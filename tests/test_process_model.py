"""A model-based test of the whole regional and national process (hypothesis' stateful testing).

Random sequences of actions, by random roles, on a small call: three dossiers of one committee, carried by two
landlords (one co-carrying the other's dossier) and a third, through the services the pages call, with `by=`. Most
steps take an action that core/workflow.py makes available now (allows(), what available_actions() offers), by a
role it lets act, or the furthest along the process on one object, so that sequences reach signatures, decisions,
agreements and reports; the others try any action as anyone. After every step that changed a row:

- the service agreed with the workflow: an action the workflow refuses raises ActionRefused and changes no row;
  one it allows is done, or refused for a reason of its own (a form's) that changes no row either;
- nobody reads what they may not: the dossiers, opinion drafts, decisions and reports each role reads through
  core/permissions.py and core/reading.py (what pages, lists, exports and the API show) are those that the rules
  below, written here again in plain terms, give them;
- a published avis conjoint never changes (its SHA-256); a dossier whose notified decision retained it or not is
  never withdrawn; signatures come from distinct co-chairing institutions and from members not in conflict; the
  tranches add up to the agreement, and neither it nor the payments exceed the amount granted;
- every change left its record: a StateTransition per move of the dossier, a historical row per version of the
  opinion, an AuditEvent per decision, agreement, payment and report review.

The suite runs MODEL_SEQUENCES sequences of up to MODEL_STEPS steps on each database; a longer run:
`AAP_MODEL_SEQUENCES=120 AAP_MODEL_STEPS=40 uv run pytest -n 0 -s tests/test_process_model.py`.
Each sequence starts from the same world: it runs in a savepoint rolled back at its end.
"""

import os
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from core.models import (
    Agreement,
    AuditEvent,
    BudgetLine,
    Call,
    Decision,
    Dossier,
    DossierStrand,
    ExpertRequest,
    JointOpinion,
    Membership,
    Message,
    Note,
    Opinion,
    OpinionSignature,
    Organisation,
    PaymentTranche,
    Public,
    Report,
    StateTransition,
    Territory,
)
from core.permissions import Access
from core.reading import shown_opinion, with_shown
from core.services.decisions import (
    DecisionRefused,
    decision_clear,
    decision_notify,
    decision_record,
    decisions_notify,
)
from core.services.dossiers import (
    DraftRefused,
    SubmissionRefused,
    TransitionRefused,
    dossier_return_incomplete,
    dossier_save_draft,
    dossier_submit,
    dossier_withdraw,
)
from core.services.exchanges import ExchangeRefused, expert_advise, expert_request, message_post, note_add
from core.services.followup import FollowupRefused, agreement_create, report_review, report_save, tranche_pay
from core.services.joint_opinions import PublicationRefused, joint_opinion_publish, published_projects, snapshot_digest
from core.services.opinions import OpinionConflict, opinion_save, opinion_sign
from core.workflow import allows
from tests.factories import CallFactory, CommitteeFactory, DossierFactory, OrganisationFactory, UserFactory, member

State = Dossier.State
Role = Membership.Role
MODEL_SEQUENCES = int(os.environ.get("AAP_MODEL_SEQUENCES", 50))
MODEL_STEPS = int(os.environ.get("AAP_MODEL_STEPS", 15))
# Refusals a service may give for a reason of its own, once the workflow lets the user act: a form's errors.
DECLINED = (
    SubmissionRefused,
    TransitionRefused,
    DraftRefused,
    OpinionConflict,
    PublicationRefused,
    DecisionRefused,
    FollowupRefused,
    ExchangeRefused,
    ValidationError,
)
ROLES = (
    "lead", "co_landlord", "ar_member", "state_member", "member_in_conflict", "other_committee_member",
    "committee_observer", "national_observer", "expert", "secretariat",
)  # fmt: skip
# What each successful action leaves in the audit trail (AuditEvent), besides the dossier's StateTransition rows.
AUDITED = {
    "decision.record", "decision.clear", "decision.notify", "agreement.create", "tranche.pay", "report.validate",
    "report.return",
}  # fmt: skip
FIGURES: Counter = Counter()


@dataclass
class World:
    call: Call
    committee: object
    elsewhere: object
    lead: Organisation
    co_landlord: Organisation
    dossiers: list[int]
    users: dict


def build_world() -> World:
    """One open call, its committee and another one, three complete drafts, and one user per role."""
    call = CallFactory(status=Call.Status.OPEN, cap_per_project=Decimal("150000"), max_duration_years=3)
    committee, elsewhere = CommitteeFactory(call=call), CommitteeFactory(call=call)
    lead, co_landlord, third = (OrganisationFactory(name=name) for name in ("Bailleur A", "Bailleur B", "Bailleur C"))
    public = Public.objects.create(name="Ménages sortant de la rue")
    carried = [(lead, [co_landlord]), (co_landlord, []), (third, [])]
    dossiers = []
    for number, (landlord, co_landlords) in enumerate(carried, 1):
        dossier = DossierFactory(
            committee=committee, number=number, lead_landlord=landlord, state=State.DRAFT, summary="Accompagner.",
            duration_years=2, households_total=20, evaluation_plan="Un bilan par an.",
        )  # fmt: skip
        dossier.co_landlords.set(co_landlords)
        dossier.publics.set([public])
        Territory.objects.create(dossier=dossier, department="13")
        DossierStrand.objects.create(dossier=dossier, strand="acces", year=1, households=20)
        BudgetLine.objects.create(dossier=dossier, year=1, funder="fnavdl", amount=Decimal("90000"))
        StateTransition.objects.create(dossier=dossier, to_state=State.DRAFT, message="Brouillon créé.")
        dossiers.append(dossier.pk)

    funder = OrganisationFactory(name="CGLLS", kind=Organisation.Kind.FUNDER)
    national = OrganisationFactory(name="Secrétariat", kind=Organisation.Kind.NATIONAL)
    conflicted = member(
        UserFactory(username="member_in_conflict"), committee.institutions[0], Role.COMMITTEE_MEMBER, committee
    )
    users = {
        "lead": member(UserFactory(username="lead"), lead, Role.LANDLORD_STAFF),
        "co_landlord": member(UserFactory(username="co_landlord"), co_landlord, Role.LANDLORD_STAFF),
        "ar_member": member(
            UserFactory(username="ar_member"), committee.institutions[0], Role.COMMITTEE_MEMBER, committee
        ),
        "state_member": member(
            UserFactory(username="state_member"), committee.institutions[1], Role.COMMITTEE_MEMBER, committee
        ),
        # A member for the AR Hlm who also works for landlord A: in conflict on what A carries or partners.
        "member_in_conflict": member(conflicted, lead, Role.LANDLORD_STAFF),
        "other_committee_member": member(
            UserFactory(username="other_member"), elsewhere.institutions[0], Role.COMMITTEE_MEMBER, elsewhere
        ),
        "committee_observer": member(UserFactory(username="observer"), funder, Role.OBSERVER, committee),
        "national_observer": member(UserFactory(username="national_observer"), funder, Role.OBSERVER),
        "expert": member(UserFactory(username="expert"), OrganisationFactory(kind="association"), Role.EXPERT),
        "secretariat": member(UserFactory(username="secretariat"), national, Role.SECRETARIAT),
    }
    return World(call, committee, elsewhere, lead, co_landlord, dossiers, users)


# --- What each role reads, stated in plain terms -----------------------------------------------------------------


@dataclass
class Facts:
    """A dossier as the rules below read it."""

    pk: int
    state: str
    carriers: set[int]
    partners: set[int]
    experts: set[int]


def sees(world: World, role: str, d: Facts) -> bool:
    """A draft is its landlords' alone; the committee's side reads what was submitted; the expert what it is asked."""
    submitted = d.state != State.DRAFT
    return {
        "lead": world.lead.pk in d.carriers,
        "co_landlord": world.co_landlord.pk in d.carriers,
        "ar_member": submitted,
        "state_member": submitted,
        "member_in_conflict": submitted or world.lead.pk in d.carriers,
        "other_committee_member": False,
        "committee_observer": submitted,
        "national_observer": submitted,
        "expert": world.users["expert"].pk in d.experts,
        "secretariat": True,
    }[role]


def reads_draft(world: World, role: str, d: Facts) -> bool:
    """The committee's working copy: the secretariat, and the members whose organisations neither carry nor partner
    the dossier (the member in conflict works for landlord A)."""
    if role == "member_in_conflict":
        return world.lead.pk not in d.carriers | d.partners
    return role in ("ar_member", "state_member", "secretariat")


def follows(world: World, role: str, d: Facts) -> bool:
    """Reports still being written: the carrying landlords' and the secretariat's."""
    landlord = {"lead": world.lead.pk, "co_landlord": world.co_landlord.pk, "member_in_conflict": world.lead.pk}
    return role == "secretariat" or landlord.get(role) in d.carriers


def facts(world: World) -> dict[int, Facts]:
    found = {
        pk: Facts(pk, state, {lead}, set(), set())
        for pk, state, lead in Dossier.objects.values_list("pk", "state", "lead_landlord_id")
    }
    for dossier_id, organisation_id in Dossier.co_landlords.through.objects.values_list(
        "dossier_id", "organisation_id"
    ):
        found[dossier_id].carriers.add(organisation_id)
    for dossier_id, organisation_id in Dossier.partners.through.objects.values_list("dossier_id", "organisation_id"):
        found[dossier_id].partners.add(organisation_id)
    for dossier_id, expert_id in ExpertRequest.objects.values_list("dossier_id", "expert_id"):
        found[dossier_id].experts.add(expert_id)
    return found


def fingerprint() -> list:
    """Every row a step may write, field by field: a refused action must leave it as it was."""
    models = (
        Dossier, Dossier.partners.through, Dossier.co_landlords.through, Opinion, Opinion.history.model,
        OpinionSignature, Decision, Agreement, PaymentTranche, Report, Message, Note, ExpertRequest, JointOpinion,
        AuditEvent, StateTransition, Call,
    )  # fmt: skip
    return [list(model.objects.order_by("pk").values_list()) for model in models]


def fresh() -> dict[int, Dossier]:
    """Every dossier as a service's locked() reads it, for the workflow's checks, by id."""
    dossiers = Dossier.objects.select_related("call", "decision", "opinion", "agreement").prefetch_related(
        "co_landlords", "partners", "opinion__signatures", "reports"
    )
    return {dossier.pk: dossier for dossier in dossiers}


# --- The actions: each calls the service the page calls ------------------------------------------------------------

TODAY = timezone.localdate()


def write_opinion(m, by, dossier, draw):
    opinion = Opinion.objects.filter(dossier=dossier).first()
    revision = opinion.revision if opinion else 0
    opinion_save(
        dossier=dossier,
        by=by,
        # Now and then from a page loaded before someone else's save.
        expected_revision=draw(st.sampled_from([revision, revision, revision, max(revision - 1, 0)])),
        verdict=draw(st.sampled_from(["favorable", "reserve", "defavorable"])),
        questions=draw(st.sampled_from(["", "Quel relogement ?"])),
        remarks=draw(st.sampled_from(["Solide.", "À préciser."])),
        retained=draw(st.booleans()),
        rank=draw(st.sampled_from(["", "P1", "P2", "P3"])),
    )


def record_decision(m, by, dossier, draw):
    outcome = draw(st.sampled_from(Decision.Outcome.values))
    amount = draw(st.sampled_from([Decimal("90000"), Decimal("60000"), None]))
    decision_record(dossier=dossier, outcome=outcome, amount_granted=amount, conditions="", by=by)


def create_agreement(m, by, dossier, draw):
    decision = Decision.objects.filter(dossier=dossier).first()
    granted = decision.amount_granted if decision and decision.amount_granted is not None else Decimal("90000")
    amount = draw(st.sampled_from([granted, granted / 2, granted + 1]))
    parts = draw(st.integers(1, 3))
    tranches = [{"amount": amount / parts} for _ in range(parts)]
    if draw(st.integers(0, 4)) == 0:
        tranches[0]["amount"] += 1
    agreement_create(dossier=dossier, amount=amount, signed_on=None, starts_on=date(2019, 1, 1),
                     ends_on=date(2021, 12, 31), tranches=tranches, by=by)  # fmt: skip


def save_report(m, by, report, draw, submit):
    report_save(dossier=report.dossier, year=report.year, is_final=report.is_final, by=by, submit=submit,
                values={"entries_into_housing": draw(st.integers(0, 5)), "comment": "Une année."},
                households={"acces": draw(st.integers(0, 20))}, spend={})  # fmt: skip


def edit_draft(m, by, dossier, draw):
    """The landlord's draft, naming landlord A as a partner or not: the member in conflict works for it."""
    partners = draw(st.sampled_from([[], [m.world.lead]]))
    values = {"publics": list(dossier.publics.all()), "co_landlords": list(dossier.co_landlords.all())}
    dossier_save_draft(dossier=dossier, by=by, values=values, partners=partners, new_partners=[])


# Each action of the workflow the model takes, with the service call that takes it.
ON_DOSSIER = {
    "dossier.edit": edit_draft,
    "dossier.submit": lambda m, by, d, draw: dossier_submit(dossier=d, by=by),
    "dossier.withdraw": lambda m, by, d, draw: dossier_withdraw(dossier=d, by=by),
    "dossier.return": lambda m, by, d, draw: dossier_return_incomplete(
        dossier=d, by=by, message=draw(st.sampled_from(["Il manque le budget.", " "]))
    ),
    "opinion.write": write_opinion,
    "opinion.sign": lambda m, by, d, draw: opinion_sign(dossier=d, by=by),
    "decision.record": record_decision,
    "decision.clear": lambda m, by, d, draw: decision_clear(dossier=d, by=by),
    "decision.notify": lambda m, by, d, draw: decision_notify(dossier=d, by=by),
    "agreement.create": create_agreement,
    "exchanges.message": lambda m, by, d, draw: message_post(dossier=d, by=by, body="Pouvez-vous préciser ?"),
    "exchanges.note": lambda m, by, d, draw: note_add(dossier=d, by=by, body="À revoir."),
    "exchanges.ask_expert": lambda m, by, d, draw: expert_request(
        dossier=d, expert=m.world.users["expert"], question="Qu'en pensez-vous ?", by=by
    ),
}
ON_REPORT = {
    "report.save": lambda m, by, r, draw: save_report(m, by, r, draw, submit=False),
    "report.submit": lambda m, by, r, draw: save_report(m, by, r, draw, submit=True),
    "report.validate": lambda m, by, r, draw: report_review(report=r, validate=True, message="", by=by),
    "report.return": lambda m, by, r, draw: report_review(report=r, validate=False, message="Incomplet.", by=by),
}
WRITING = {name: ON_REPORT[name] for name in ("report.save", "report.submit")}
ON_TRANCHE = {
    "tranche.pay": lambda m, by, t, draw: tranche_pay(
        tranche=t, paid_on=draw(st.sampled_from([TODAY, TODAY + timedelta(days=1)])), by=by
    )
}
ON_ADVICE = {"advice.give": lambda m, by, r, draw: expert_advise(request=r, by=by, advice="Un avis réservé.")}
ON_COMMITTEE = {"committee.publish": lambda m, by, c, draw: joint_opinion_publish(committee=c, by=by)}
EVERY_ACTION = {name for table in (ON_DOSSIER, ON_REPORT, ON_TRANCHE, ON_ADVICE, ON_COMMITTEE) for name in table}
# The actions that take a dossier further, in the order of the process.
FORWARD = [
    "dossier.submit", "opinion.write", "opinion.sign", "decision.record", "decision.notify", "agreement.create",
    "tranche.pay", "report.submit", "report.validate",
]  # fmt: skip


class ProcessModel(RuleBasedStateMachine):
    world: World

    def __init__(self):
        super().__init__()
        # Each sequence starts from the same world.
        self.savepoint = transaction.savepoint()
        self.accesses = {role: Access(user) for role, user in self.world.users.items()}
        self.done: Counter = Counter()
        self.digests: dict[int, str] = {}
        self.finally_decided: set[int] = set()
        # The rows as the last step left them: what a refused action must leave as they are.
        self.rows = fingerprint()
        # Whether the last step changed a row: a step that did not leaves the invariants as they held.
        self.changed = True

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    def targets(self) -> dict[str, tuple[object, dict]]:
        """Every object the model may act on now, by a name that reads well in a failing sequence, each read as its
        service reads it, with the table of its actions."""
        found, dossiers = {}, fresh()
        for number, pk in enumerate(self.world.dossiers, 1):
            dossier = dossiers[pk]
            found[f"dossier {number}"] = (dossier, ON_DOSSIER)
            for year, is_final in ((1, False), (2, True)):
                report = next((r for r in dossier.reports.all() if (r.year, r.is_final) == (year, is_final)), None)
                # A report is reviewed once written: the review's page is a saved report's.
                actions = ON_REPORT if report is not None else WRITING
                report = report or Report(dossier=dossier, year=year, is_final=is_final)
                report.dossier = dossier
                found[f"dossier {number} report {year}{' final' if is_final else ''}"] = (report, actions)
        for tranche in PaymentTranche.objects.select_related("agreement__dossier").order_by("pk"):
            found[f"tranche {tranche.pk}"] = (tranche, ON_TRANCHE)
        for request in ExpertRequest.objects.order_by("pk"):
            found[f"expert request {request.pk}"] = (request, ON_ADVICE)
        committee = type(self.world.committee).objects.select_related("call").prefetch_related("seats")
        found["the committee"] = (committee.get(pk=self.world.committee.pk), ON_COMMITTEE)
        return found

    def attempt(self, role: str, name: str, target: str, obj, table: dict, draw) -> None:
        by = self.world.users[role]
        allowed = allows(self.accesses[role], name, obj)
        before, states = self.rows, dict(Dossier.objects.values_list("pk", "state"))
        FIGURES["steps"] += 1
        self.changed = False
        try:
            table[name](self, by, obj, draw)
        except PermissionDenied as refusal:
            assert not allowed, f"{role} refused {name} on {target}, which the workflow allows: {refusal}"
            assert fingerprint() == before, f"{name} on {target}, refused to {role}, changed rows"
            FIGURES["refused"] += 1
            return
        except DECLINED as refusal:
            assert allowed, f"{role} declined {name} on {target} for a reason of its own, not the workflow's: {refusal}"
            assert fingerprint() == before, f"{name} on {target}, declined to {role}, changed rows"
            FIGURES["declined"] += 1
            FIGURES[f"declined {name}: {type(refusal).__name__}"] += 1
            return
        assert allowed, f"{role} did {name} on {target}, which the workflow refuses"
        self.rows, self.changed = fingerprint(), True
        FIGURES["done"] += 1
        FIGURES[f"done {name}"] += 1
        self.done[name] += 1
        if name == "decision.notify":
            self.notified(obj.pk)
        moved = {pk for pk, state in Dossier.objects.values_list("pk", "state") if states[pk] != state}
        assert len(moved) <= 1, f"{name} moved several dossiers: {moved}"

    def notified(self, dossier_id: int) -> None:
        decision = Decision.objects.get(dossier_id=dossier_id)
        if decision.outcome != Decision.Outcome.DEFERRED:
            self.finally_decided.add(dossier_id)

    def offered(self, targets, among) -> dict[tuple[str, str], list[str]]:
        """The actions `among` that the workflow makes available now, on each target, with the roles it lets act."""
        found: dict[tuple[str, str], list[str]] = {}
        for target, (obj, table) in targets.items():
            for role, access in self.accesses.items():
                for name in table.keys() & set(among):
                    if allows(access, name, obj):
                        found.setdefault((name, target), []).append(role)
        return found

    def take(self, data, targets, name: str, target: str, roles: list[str]) -> None:
        role = data.draw(st.sampled_from(roles), label="by")
        obj, table = targets[target]
        self.attempt(role, name, target, obj, table, data.draw)

    @rule(data=st.data())
    def act_as_allowed(self, data):
        """Any action the workflow makes available now, to one of the roles it lets act: the action first, so that
        an action few roles may take comes as often as the others."""
        targets = self.targets()
        if offered := self.offered(targets, EVERY_ACTION):
            name, target = data.draw(st.sampled_from(sorted(offered)), label="action")
            self.take(data, targets, name, target, offered[name, target])

    @rule(data=st.data())
    def move_forward(self, data):
        """On one object, the action that goes furthest along the process among those available now."""
        targets = self.targets()
        if offered := self.offered(targets, FORWARD):
            target = data.draw(st.sampled_from(sorted({target for _, target in offered})), label="on")
            name = max((name for name, on in offered if on == target), key=FORWARD.index)
            self.take(data, targets, name, target, offered[name, target])

    @rule(data=st.data(), role=st.sampled_from(ROLES))
    def act_as_anyone(self, data, role):
        """Any action, on any object, by any role: mostly refused."""
        targets = self.targets()
        target = data.draw(st.sampled_from(sorted(targets)), label="on")
        obj, table = targets[target]
        name = data.draw(st.sampled_from(sorted(table)), label="action")
        self.attempt(role, name, target, obj, table, data.draw)

    @rule(role=st.sampled_from(ROLES))
    def notify_the_call(self, role):
        """The secretariat's one button: every recorded decision, dossier by dossier, each under its own guard."""
        call = Call.objects.get(pk=self.world.call.pk)
        allowed = allows(self.accesses[role], "call.notify_decisions", call)
        pending = Decision.objects.filter(notified_at__isnull=True).count()
        FIGURES["steps"] += 1
        self.changed = False
        result = decisions_notify(call=call, by=self.world.users[role])
        if not allowed:
            assert not result.done and fingerprint() == self.rows, f"{role} notified decisions"
            FIGURES["refused"] += 1
            return
        self.rows, self.changed = fingerprint(), True
        assert len(result.done) + len(result.failed) == pending
        for decision in result.done:
            self.done["decision.notify"] += 1
            self.notified(decision.dossier_id)
        FIGURES["done"] += len(result.done)
        FIGURES["done decision.notify"] += len(result.done)

    # --- Invariants --------------------------------------------------------------------------------------------------

    @precondition(lambda self: self.changed)
    @invariant()
    def nobody_reads_what_they_may_not(self):
        world, found, dossiers = self.world, facts(self.world), fresh()
        published = published_projects([world.committee.pk])
        for role, access in self.accesses.items():
            visible = {pk for pk, d in found.items() if sees(world, role, d)}
            # The lists' query (pages, exports, the API): the dossiers read, and whether as the working copy.
            listed = dict(with_shown(access, access.dossiers(), published).values_list("pk", "reads_draft"))
            assert listed == {pk: reads_draft(world, role, found[pk]) for pk in visible}, role
            for pk in visible:
                dossier = dossiers[pk]
                decision = getattr(dossier, "decision", None)
                if decision is not None:
                    readable = role == "secretariat" or decision.notified_at is not None
                    assert access.can_read_decision(decision) == readable, (role, dossier.number)
                self.reads_opinion_and_reports(role, access, dossier, found[pk], published)

    def reads_opinion_and_reports(self, role, access, dossier, d: Facts, published) -> None:
        shown, _ = shown_opinion(access, dossier, published)
        if reads_draft(self.world, role, d):
            assert shown is None or shown.published_version is None, (role, dossier.number)
        else:
            project = published.get((dossier.committee_id, dossier.number))
            assert (shown and shown.published_version) == (project and project["version"]), (role, dossier.number)
        reports = dossier.reports.all()
        if reports:
            read = set(reports.filter(access.reports(dossier)).values_list("pk", flat=True))
            sent = {r.pk for r in reports if follows(self.world, role, d) or r.state != Report.State.DRAFT}
            assert read == sent, (role, dossier.number)

    @precondition(lambda self: self.changed)
    @invariant()
    def a_published_version_never_changes(self):
        versions = JointOpinion.objects.values_list("pk", "content", "sha256")
        assert {pk for pk, _, _ in versions} >= set(self.digests)
        for pk, content, sha256 in versions:
            assert snapshot_digest(content) == sha256 == self.digests.setdefault(pk, sha256)

    @precondition(lambda self: self.changed)
    @invariant()
    def a_dossier_finally_decided_is_never_withdrawn(self):
        withdrawn = set(Dossier.objects.filter(state=State.WITHDRAWN).values_list("pk", flat=True))
        assert not withdrawn & self.finally_decided
        final = Decision.objects.filter(notified_at__isnull=False).exclude(outcome=Decision.Outcome.DEFERRED)
        assert not withdrawn & set(final.values_list("dossier_id", flat=True))

    @precondition(lambda self: self.changed)
    @invariant()
    def signatures_are_one_per_institution_by_members_not_in_conflict(self):
        found = facts(self.world)
        committee = self.world.committee
        institutions = {committee.institutions[0].pk, committee.institutions[1].pk}
        for signature in OpinionSignature.objects.select_related("opinion"):
            d = found[signature.opinion.dossier_id]
            sits_for = Membership.objects.filter(
                user=signature.signed_by_id, role=Role.COMMITTEE_MEMBER, committee=committee
            ).values_list("organisation_id", flat=True)
            organisations = set(
                Membership.objects.filter(user=signature.signed_by_id).values_list("organisation_id", flat=True)
            )
            assert signature.institution_id in institutions & set(sits_for)
            assert not organisations & (d.carriers | d.partners), f"signed by a member in conflict on dossier {d.pk}"
        for opinion in Opinion.objects.prefetch_related("signatures"):
            signed = [s.institution_id for s in opinion.signatures.all()]
            assert len(signed) == len(set(signed))
            if found[opinion.dossier_id].state == State.OPINION_SIGNED:
                assert set(signed) == institutions

    @precondition(lambda self: self.changed)
    @invariant()
    def money_adds_up(self):
        for agreement in Agreement.objects.select_related("dossier__decision").prefetch_related("tranches"):
            decision = agreement.dossier.decision
            assert decision.outcome == Decision.Outcome.RETAINED and decision.notified_at is not None
            tranches = list(agreement.tranches.all())
            assert sum(t.amount for t in tranches) == agreement.amount <= decision.amount_granted
            assert sum(t.amount for t in tranches if t.paid_on) <= decision.amount_granted

    @precondition(lambda self: self.changed)
    @invariant()
    def every_change_has_its_record(self):
        for pk, state in Dossier.objects.values_list("pk", "state"):
            moves = list(
                StateTransition.objects.filter(dossier=pk).order_by("pk").values_list("from_state", "to_state")
            )
            assert [to for _, to in moves[:-1]] == [frm for frm, _ in moves[1:]], f"dossier {pk}: broken {moves}"
            assert moves[-1][1] == state, f"dossier {pk} is {state}, its last transition says {moves[-1]}"
        for opinion in Opinion.objects.all():
            assert Opinion.history.filter(id=opinion.pk).count() == opinion.revision
        trail = Counter(AuditEvent.objects.values_list("action", flat=True))
        assert trail == Counter({name: count for name, count in self.done.items() if name in AUDITED})


@pytest.mark.django_db
def test_the_process_keeps_its_invariants_whatever_the_sequence(capsys):
    ProcessModel.world = build_world()
    FIGURES.clear()
    run_state_machine_as_test(
        ProcessModel,
        settings=settings(
            max_examples=MODEL_SEQUENCES,
            stateful_step_count=MODEL_STEPS,
            deadline=None,
            # The suite's run is the same on every machine; a longer run (the variables set) explores anew.
            derandomize="AAP_MODEL_SEQUENCES" not in os.environ,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
    with capsys.disabled():
        done = {name.removeprefix("done "): count for name, count in FIGURES.items() if name.startswith("done ")}
        print(
            f"\n{MODEL_SEQUENCES} sequences, {FIGURES['steps']} actions tried: {FIGURES['done']} done, "
            f"{FIGURES['refused']} refused by the workflow, {FIGURES['declined']} declined by a form; "
            f"done: {dict(sorted(done.items()))}; "
            f"declined: {dict(sorted((n, c) for n, c in FIGURES.items() if n.startswith('declined ')))}"
        )
    # The sequences go past the submission, to the signatures and the national decisions.
    assert {"dossier.submit", "opinion.sign", "decision.record", "decision.notify"} <= done.keys()
