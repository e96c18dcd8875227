"""The workspace: what awaits each user, from the workflow.

where() asks the database what allows() asks of each object: test_where_selects_what_allows_lets_act_on holds them
to the same answer, for every action it covers, every role and every object of tests/test_actions.py's world. The
workspace page then lists, for each role, exactly the actions available to it (test_the_workspace_lists_...), at a
number of queries that does not grow with the dossiers (test_query_counts.py)."""

from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.urls import reverse

from core.models import Dossier, ExpertRequest, PaymentTranche, Report
from core.permissions import NOTHING, Access, selects_nothing
from core.services.schedule import REMIND_BEFORE, SENT, report_due_dates
from core.workflow import ACTIONS, LIFECYCLE, REPORTING, allows, where
from core.workspace import SHOWN, TODOS, reports_due
from tests.access import text
from tests.test_actions import ROLES, quiet, with_relations, world  # noqa: F401 (fixtures)

# The actions whose every part has a filter form: those on rows of the database that where() may list.
FILTERED = sorted(
    name
    for name, action in ACTIONS.items()
    if LIFECYCLE[action.lifecycle].rows is not None
    and hasattr(action.policy, "where")
    and all(hasattr(condition, "where") for condition in action.conditions)
)


def test_where_covers_every_action_on_dossiers_and_their_parts():
    # Calls, committees, threads, advisory opinions, invitations, accounts, exports and archive imports are few, or not
    # dossiers: a page asks allows() of each (an export's list is its requester's own, an import's page is its own, an
    # advisory opinion is given on its dossier's page).
    outside = {"call", "committee", "exchanges", "advisory", "invitation", "account", "export", "import"}
    on_rows = sorted(name for name, a in ACTIONS.items() if a.lifecycle not in outside)
    assert on_rows == [name for name in FILTERED if ACTIONS[name].lifecycle not in outside]


def _access(built, role: str) -> Access:
    return Access(built.users[role] or AnonymousUser())


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", FILTERED)
def test_where_selects_what_allows_lets_act_on(world, role, name):  # noqa: F811
    access = _access(world, role)
    kind = LIFECYCLE[ACTIONS[name].lifecycle].kind
    written = {label: obj for label, obj in world.objects(kind).items() if obj.pk}
    selected = set(kind.objects.filter(where(access, name)).values_list("pk", flat=True))
    expected = {label for label, obj in written.items() if allows(access, name, obj)}
    assert {label for label, obj in written.items() if obj.pk in selected} == expected


def test_a_filter_that_selects_nothing_is_known_before_the_database():
    # The workspace skips the lists whose filter has this shape, and where() their conditions.
    assert selects_nothing(NOTHING)
    assert selects_nothing(Q(state="depose") & NOTHING)
    assert selects_nothing(Q(committee_id__in=[]) & (Q(number=1) | Q(number=2)))
    assert selects_nothing(NOTHING | Q(lead_landlord_id__in=()))
    assert not selects_nothing(Q())
    assert not selects_nothing(Q(state="depose") | NOTHING)
    assert not selects_nothing(~NOTHING)
    # A subquery may select nothing too, but only the database knows.
    assert not selects_nothing(Q(pk__in=Dossier.objects.none()))


def _rows(kind):
    """Every row of the kind, with what the workflow's policies and conditions read."""
    if kind is Dossier:
        return list(with_relations(Dossier.objects.all()))
    related = {Report: "dossier", ExpertRequest: "dossier", PaymentTranche: "agreement__dossier"}[kind]
    rows = list(kind.objects.select_related(related))
    dossiers = {d.pk: d for d in with_relations(Dossier.objects.all())}
    for row in rows:
        owner = row.agreement if kind is PaymentTranche else row
        owner.dossier = dossiers[owner.dossier_id]
    return rows


class Listed(HTMLParser):
    """The workspace's items: (action, row) of each data-action with a data-row."""

    def __init__(self):
        super().__init__()
        self.items: set[tuple[str, int]] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "data-row" in attributes:
            self.items.add((attributes["data-action"], int(attributes["data-row"])))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_the_workspace_lists_exactly_the_actions_available(world, client, role):  # noqa: F811
    access = _access(world, role)
    expected = {
        (todo.action, row.pk)
        for todo in TODOS
        for row in _rows(LIFECYCLE[ACTIONS[todo.action].lifecycle].kind)
        if allows(access, todo.action, row)
    }
    assert all(sum(1 for a, _ in expected if a == todo.action) <= SHOWN for todo in TODOS), "one page of each list"
    client.force_login(world.users[role])
    parser = Listed()
    parser.feed(text(client.get(reverse("home"))))
    assert parser.items == expected


def test_every_role_with_something_to_do_is_in_the_world(world):  # noqa: F811
    """The comparison above means something: each action of TODOS is available to some role on some row."""
    available_somewhere = {
        todo.action
        for todo in TODOS
        for role in ROLES
        for row in _rows(LIFECYCLE[ACTIONS[todo.action].lifecycle].kind)
        if allows(_access(world, role), todo.action, row)
    }
    assert available_somewhere == {todo.action for todo in TODOS}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_reports_due_are_those_the_user_may_write(world, role):  # noqa: F811
    """reports_due() asks report.save's policy and condition in their filter form: it lists, of every report due by
    the end of every agreement and not sent, those allows() lets this user write, each in its state."""
    access = _access(world, role)
    dossiers = [d for d in _rows(Dossier) if d.state in REPORTING and hasattr(d, "agreement")]
    assert dossiers, "the world has dossiers in follow-up"
    last_day = max(d.agreement.ends_on for d in dossiers)
    written = {(r.dossier_id, r.year, r.is_final): r for r in Report.objects.all()}
    expected = set()
    for d in dossiers:
        for year, final, _ in report_due_dates(d):
            report = written.get((d.pk, year, final), Report(dossier=d, year=year, is_final=final))
            if report.state not in SENT and allows(access, "report.save", report):
                expected.add((d.pk, year, final, report.state if report.pk else None))
    if role == "landlord":
        assert {state for *_, state in expected} >= {None, Report.State.DRAFT}, "begun and not begun"
    listed = reports_due(access, last_day)
    assert {(item.dossier.pk, item.year, item.final, item.state) for item in listed} == expected
    assert [item.due for item in listed] == sorted(item.due for item in listed)
    # Before any is due, only the reports begun are listed.
    first_due = min(due for d in dossiers for _, _, due in report_due_dates(d))
    early = reports_due(access, first_due - REMIND_BEFORE - timedelta(days=1))
    assert {(i.dossier.pk, i.year, i.final) for i in early} == {(p, y, f) for p, y, f, state in expected if state}


@pytest.mark.django_db
def test_a_landlord_reaches_the_report_due_from_its_workspace(world, client):  # noqa: F811
    landlord = world.users["landlord"]
    due = reports_due(Access(landlord), date(2100, 1, 1))
    assert due, "the landlord has a report to write"
    client.force_login(landlord)
    page = text(client.get(reverse("home")))
    assert "Bilans à remettre" in page and due[0].url in page and "dépassée" in page
    assert client.get(due[0].url).status_code == 200
