"""The daily job: reports recalled before and after they are due, each reminder sent once, whatever the runs."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from core.models import Agreement, Dispatch, Dossier, Membership, Notification, Report
from core.services.schedule import reminder_date, reminders_send, report_due_dates
from tests.factories import OrganisationFactory, UserFactory, member

DUE = date(2027, 3, 1)


@pytest.mark.parametrize(
    ("today", "reminded_on"),
    [
        (date(2027, 1, 29), None),
        (date(2027, 1, 30), date(2027, 1, 30)),
        (date(2027, 2, 28), date(2027, 1, 30)),
        (date(2027, 3, 1), DUE),
        (date(2027, 3, 15), DUE),
        (date(2027, 3, 16), date(2027, 3, 16)),
        (date(2027, 6, 1), date(2027, 5, 30)),
    ],
)
def test_a_report_is_recalled_30_days_before_on_the_day_then_every_15_days(today, reminded_on):
    assert reminder_date(DUE, today) == reminded_on


@pytest.fixture
def followed(cast):
    """Dossier A under a two-year agreement from 29 February 2024, carried with a co-landlord."""
    dossier = cast.dossier
    Dossier.objects.filter(pk=dossier.pk).update(state=Dossier.State.UNDER_AGREEMENT, duration_years=2)
    Agreement.objects.create(
        dossier=dossier, amount=Decimal("100000"), starts_on=date(2024, 2, 29), ends_on=date(2026, 3, 31)
    )
    co_landlord = OrganisationFactory(name="Co-bailleur")
    dossier.co_landlords.add(co_landlord)
    member(UserFactory(username="co", email="co@bailleur.fr"), co_landlord, Membership.Role.LANDLORD_STAFF)
    return Dossier.objects.select_related("agreement").get(pk=dossier.pk)


def test_due_dates_come_from_the_agreement(followed):
    assert report_due_dates(followed) == [
        (1, False, date(2025, 2, 28)), (2, False, date(2026, 2, 28)), (2, True, date(2026, 3, 31)),
    ]  # fmt: skip


def test_the_landlords_are_reminded_once_per_date(cast, followed):
    # 30 days before the first report: its reminder, to the staff of both landlords.
    assert reminders_send(date(2025, 1, 29)) == 1
    told = {n.user for n in Notification.objects.all()}
    assert {user.username for user in told} == {
        "co",
        *(cast.users[r].username for r in ("landlord", "member_in_conflict")),
    }
    # E-mailed to those with an address.
    assert [m.to for m in mail.outbox] == [["co@bailleur.fr"]]
    message = mail.outbox[0]
    assert message.subject == f"Bilan à transmettre — N°{followed.number} « {followed.title} »"
    assert "Le bilan de l'année 1" in message.body and "est attendu le 28 février 2025" in message.body
    # Again the same day, or the next days before the due date: nothing more.
    assert reminders_send(date(2025, 1, 29)) == 0
    assert reminders_send(date(2025, 2, 10)) == 0
    # On the day, then 15 days late.
    assert reminders_send(date(2025, 2, 28)) == 1
    assert reminders_send(date(2025, 3, 15)) == 1
    assert len(mail.outbox) == 3
    assert "Bilan en retard" in mail.outbox[-1].subject and "était attendu le 28 février 2025" in mail.outbox[-1].body
    # Once sent, the report is no longer recalled.
    Report.objects.create(dossier=followed, year=1, state=Report.State.SUBMITTED)
    assert reminders_send(date(2025, 3, 30)) == 0
    assert Dispatch.objects.count() == 3


def test_a_run_after_days_missed_sends_the_latest_reminder_only(followed):
    assert reminders_send(date(2025, 4, 20)) == 1
    assert list(Dispatch.objects.values_list("key", flat=True)) == [f"report-reminder:{followed.pk}:1:year:2025-04-14"]


def test_a_draft_or_a_returned_report_is_still_recalled_a_dossier_not_followed_is_not(followed):
    Report.objects.create(dossier=followed, year=1, state=Report.State.RETURNED)
    assert reminders_send(date(2025, 2, 28)) == 1
    Dossier.objects.filter(pk=followed.pk).update(state=Dossier.State.CLOSED)
    assert reminders_send(date(2025, 3, 15)) == 0


def test_the_command_queues_the_job_or_runs_it(followed, task_queue):
    call_command("schedule", stdout=StringIO())
    [queued] = task_queue.queued()
    assert queued.task_path == "core.services.schedule.schedule_run"
    out = StringIO()
    call_command("schedule", "--now", "--date", "2025-02-28", stdout=out)
    assert out.getvalue().strip() == "reminders: 1, digests: 0, exports_deleted: 0, import_files_deleted: 0"
    assert DBTaskResult.objects.count() == 1
