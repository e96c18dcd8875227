"""What awaits a user: each action available to it now, from the workflow (where()), with its dossier and the date it
is due by; and the progress of the committees it reads. Each list costs one query whatever the number of dossiers,
and nothing for a user who may not take its action: its policy's filter selects nothing, and the list is skipped."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Power
from django.urls import reverse

from core import grants, policies
from core.models import (
    Agreement,
    Call,
    ClearedSignature,
    Committee,
    DepartmentalOpinion,
    Dossier,
    ExpertRequest,
    Message,
    Report,
    StateTransition,
)
from core.permissions import Access, selects_nothing
from core.services.dossiers import dossier_problems
from core.services.schedule import REMIND_BEFORE, SENT, report_due_dates
from core.workflow import ACTIONS, LIFECYCLE, RECEIVED, REPORTING, SELECTED, allows, permits, where

# Items shown of each list; the total is counted in the same query.
SHOWN = 10


def _returned_reason(access: Access) -> Case:
    """Why the committee returned the dossier as incomplete, while it is: the message of its last return."""
    last = StateTransition.objects.filter(dossier=OuterRef("pk"), to_state=Dossier.State.INCOMPLETE)
    return Case(When(state=Dossier.State.INCOMPLETE, then=Subquery(last.order_by("-at", "-id").values("message")[:1])))


def _signature_cleared(access: Access) -> Case:
    """Whether an edit cleared the signature of the member's institution: the opinion to sign is not the one signed."""
    cleared = ClearedSignature.objects.filter(
        opinion__dossier=OuterRef("pk"), institution_id__in=access.organisation_ids
    )
    return Case(
        When(Exists(cleared), then=Value("l'avis a été modifié après la signature de votre institution ; relisez-le.")),
        output_field=CharField(),
    )


def _departmental_given(access: Access) -> Case:
    """Whether the instructor's service has given its opinion on the dossier for one of the departments it covers."""
    return Case(
        *(
            When(
                Q(committee_id=committee_id)
                & Exists(DepartmentalOpinion.objects.filter(dossier=OuterRef("pk"), department__in=departments)),
                then=Value(True),
            )
            for committee_id, departments in sorted(access.instructed.items())
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


def _opinion_given(access: Access) -> Q:
    return Q(opinion__verdict__gt="")


@dataclass(frozen=True)
class Todo:
    action: str
    heading: str
    # The date it is due by, as a path from the action's row; None when the programme sets none.
    due: str | None = None
    # Whether each item lists what is still missing (dossier_problems).
    checklist: bool = False
    # Why the item is back, shown with it (given the user, an expression on the action's rows), and its title.
    reason: Callable[[Access], Expression] | None = None
    reason_title: str = ""
    # Whether the row's act is already done and may still be revised (given the user, an expression on the rows):
    # such rows come after those that await it, marked with `given_label`.
    given: Callable[[Access], Expression | Q] | None = None
    given_label: str = ""
    # Where the action is taken, from the row and its dossier: the dossier's page unless the action sits elsewhere.
    page: Callable[[object, Dossier], str] = lambda row, dossier: reverse("dossier_detail", args=[dossier.pk])


def _on(name: str) -> Callable[[object, Dossier], str]:
    """A page of the dossier's own, where an action sits apart from its page."""
    return lambda row, dossier: reverse(name, args=[dossier.pk])


TODOS = [
    Todo(
        "dossier.submit",
        "Dossiers à déposer ou à compléter",
        "call__submission_deadline",
        checklist=True,
        reason=_returned_reason,
        reason_title="Renvoyé par le comité",
    ),
    # Every dossier the instructor's departments cover while it may still change its opinion: those awaiting it, and
    # those it may revise until the committee signs, as the committee's own opinions are listed.
    Todo(
        "departmental.give",
        "Avis départementaux à donner ou à revoir",
        "call__instruction_deadline",
        given=_departmental_given,
        given_label="Avis donné : modifiable jusqu'à la signature du comité",
    ),
    Todo(
        "opinion.write",
        "Avis à rédiger ou à revoir",
        "call__instruction_deadline",
        given=_opinion_given,
        given_label="Avis rédigé : modifiable jusqu'à sa signature",
    ),
    Todo(
        "opinion.sign",
        "Avis à signer pour votre institution",
        "call__instruction_deadline",
        reason=_signature_cleared,
        reason_title="Signature effacée",
    ),
    Todo("advice.give", "Avis d'expert attendus", page=_on("dossier_exchanges")),
    Todo("decision.record", "Décisions à enregistrer"),
    Todo(
        "decision.notify",
        "Décisions à notifier",
        # Where they are notified: the committee's page on a regional decision's call, the national selection else.
        page=lambda row, dossier: (
            reverse("committee_detail", args=[dossier.committee_id])
            if dossier.call.process == Call.Process.REGIONAL
            else reverse("call_selection", args=[dossier.call_id])
        ),
    ),
    Todo("agreement.create", "Conventions à établir"),
    Todo("tranche.pay", "Versements à enregistrer", "due_on", page=_on("dossier_followup")),
    Todo("report.validate", "Bilans à examiner", page=lambda row, dossier: reverse("report_review", args=[row.pk])),
]


@dataclass
class Section:
    todo: Todo
    label: str
    items: list = field(default_factory=list)
    total: int = 0


def _dossier_of(row, to_dossier: str) -> Dossier:
    for step in filter(None, to_dossier.split("__")):
        row = getattr(row, step)
    return row


def todo_sections(access: Access) -> list[Section]:
    """For each action of TODOS this user may take somewhere: the first rows it may take it on, and how many."""
    sections = []
    for todo in TODOS:
        action = ACTIONS[todo.action]
        lifecycle = LIFECYCLE[action.lifecycle]
        path = lifecycle.to_dossier
        condition = where(access, todo.action)
        if selects_nothing(condition):
            continue
        rows = (
            lifecycle.kind.objects.filter(condition)
            .select_related(f"{path}committee", f"{path}call")
            .annotate(
                due=F(todo.due) if todo.due else Value(None, DateTimeField()),
                given=ExpressionWrapper(todo.given(access), BooleanField()) if todo.given else Value(False),
                total=Window(Count("pk")),
            )
            .order_by("given", F("due").asc(nulls_last=True), f"{path}committee_id", f"{path}number", "pk")
        )
        if todo.reason:
            rows = rows.annotate(reason=todo.reason(access))
        if todo.checklist:
            rows = rows.prefetch_related("publics", "territories", "strands", "budget_lines", "attachments")
        items = list(rows[:SHOWN])
        if not items:
            continue
        for row in items:
            row.dossier_shown = _dossier_of(row, path)
            row.page = todo.page(row, row.dossier_shown)
            row.problems = dossier_problems(row) if todo.checklist else []
        sections.append(Section(todo, action.label, items, items[0].total))
    return sections


@dataclass(frozen=True)
class ReportDue:
    dossier: Dossier
    year: int
    final: bool
    due: date
    # The report's row, if written: a draft, or returned by the secretariat.
    state: str | None

    @property
    def label(self) -> str:
        return "Évaluation finale" if self.final else f"Bilan de l'année {self.year}"

    @property
    def status(self) -> str:
        return Report.State(self.state).label if self.state else "À rédiger"

    @property
    def url(self) -> str:
        return reverse("final_report_edit" if self.final else "report_edit", args=[self.dossier.pk, self.year])


def _reports_in(state: str) -> Coalesce:
    """The dossier's reports in this state, as one number whose bit 2 × year + final says that report is: the
    reports of many dossiers, read in the dossiers' own query."""
    reports = Report.objects.filter(dossier=OuterRef("pk"), state=state).order_by().values("dossier")
    bits = reports.annotate(bits=Sum(Power(2, F("year") * 2 + Cast("is_final", IntegerField())))).values("bits")
    return Coalesce(Subquery(bits), 0.0)


def reports_due(access: Access, today: date) -> list[ReportDue]:
    """The reports the agreements ask for and the landlord has not sent, on the dossiers this user may report on
    (report.save's policy and condition, asked in their filter form): the drafts and the returned ones, and those
    not begun that are due within REMIND_BEFORE or overdue. One query."""
    states = [Report.State.DRAFT, Report.State.RETURNED, *SENT]
    reporter = ACTIONS["report.save"].policy.where(access, "")
    if selects_nothing(reporter):
        return []
    dossiers = (
        Dossier.objects.filter(reporter, state__in=REPORTING)
        .filter(agreement__isnull=False)
        .annotate(**{f"reports_{state}": _reports_in(state) for state in states})
        .select_related("agreement", "committee")
    )
    due = []
    for dossier in dossiers:
        for year, final, on in report_due_dates(dossier):
            bit = 1 << (2 * year + final)
            state = next((s for s in states if int(getattr(dossier, f"reports_{s}")) & bit), None)
            if state not in SENT and (state or on - REMIND_BEFORE <= today):
                due.append(ReportDue(dossier, year, final, on, state))
    return sorted(due, key=lambda item: (item.due, item.dossier.committee_id, item.dossier.number, item.final))


def grants_due(access: Access) -> list[Agreement]:
    """The grants the law asks to publish and that are not (core/grants.py), the oldest signature first, each with the
    day it is due by: for whoever publishes them. Not a Todo: the act is on the call, which publishes them all."""
    if not permits(access, "call.publish_grants"):
        return []
    rows = list(
        grants.due()
        .select_related("dossier__committee", "dossier__call")
        .annotate(total=Window(Count("pk")))
        .order_by("signed_on", "pk")[:SHOWN]
    )
    for row in rows:
        row.due = grants.publish_by(row.signed_on)
    return rows


def open_calls(access: Access) -> list[Committee]:
    """The committees this user may start a dossier in now, with their call's rules."""
    if not permits(access, "committee.create_dossier"):
        return []
    committees = (
        Committee.objects.filter(call__status=Call.Status.OPEN)
        .select_related("call")
        .prefetch_related("call__publics")
        .order_by("call__submission_deadline", "name")
    )
    return [committee for committee in committees if allows(access, "committee.create_dossier", committee)]


def messages_to_answer(access: Access) -> list[Dossier]:
    """The dossiers whose thread waits for this user's side: the other side wrote last. Each side as the thread's
    policy names it: the carrying landlords' staff, the members not in conflict."""
    last = Message.objects.filter(dossier=OuterRef("pk")).order_by("-created_at", "-id")
    from_committee = Subquery(last.values("from_committee")[:1], output_field=BooleanField())
    landlord_side = policies.carrier_staff.where(access, "")
    committee_side = policies.committee_member.where(access, "")
    return list(
        Dossier.objects.annotate(last_from_committee=from_committee, total=Window(Count("pk")))
        .filter((landlord_side & Q(last_from_committee=True)) | (committee_side & Q(last_from_committee=False)))
        .select_related("committee__call")
        .order_by("committee_id", "number")[:SHOWN]
    )


def changed_since(access: Access, seen_at: datetime | None) -> list[Dossier]:
    """The dossiers of the user's committees submitted or changed since it last read its workspace."""
    if seen_at is None:
        return []
    return list(
        access.dossiers()
        .filter(committee_id__in=access.member_committee_ids, updated_at__gt=seen_at)
        .annotate(total=Window(Count("pk")))
        .select_related("committee")
        .order_by("-updated_at", "pk")[:SHOWN]
    )


def committee_progress(access: Access) -> list[Committee]:
    """The committees of the calls under way that the user reads, with their dossiers received, their opinions signed
    and the experts' advice asked and given."""
    advice = ExpertRequest.objects.filter(dossier__committee=OuterRef("pk")).order_by().values("dossier__committee")
    committees = (
        Committee.objects.filter(access.readable_committees())
        .filter(call__status__in=[Call.Status.OPEN, Call.Status.CLOSED, Call.Status.DECIDED])
        .select_related("call")
        .annotate(
            received=Count("dossiers", filter=Q(dossiers__state__in=RECEIVED)),
            signed=Count("dossiers", filter=Q(dossiers__state__in=SELECTED)),
            advice_asked=Coalesce(Subquery(advice.annotate(n=Count("pk")).values("n")), 0),
            advice_given=Coalesce(
                Subquery(advice.filter(answered_at__isnull=False).annotate(n=Count("pk")).values("n")), 0
            ),
        )
        .order_by("call__year", "name")
    )
    result = list(committees)
    for committee in result:
        committee.reads_drafts = access.can_read_committee_drafts(committee)
        committee.can_publish = allows(access, "committee.publish", committee)
    return result
