"""What runs every day, as one job (`manage.py schedule`, from cron or a systemd timer): the reminders of the reports
due, the daily digests, and the deletion of the exports older than a week. Each message is sent once whatever the
number of runs (notifications.once), so the job may run several times a day, or late."""

from datetime import date, timedelta
from functools import partial

from django.db.models import Prefetch
from django.utils import timezone
from django_tasks import task

from core.models import Dossier, Report
from core.services.exports import exports_prune
from core.services.imports import imports_prune
from core.services.notifications import once, remind_report_due, send_digests
from core.workflow import REPORTING

# A report is first recalled this many days before it is due, then on the day, then every REMIND_EVERY days.
REMIND_BEFORE = timedelta(days=30)
REMIND_EVERY = timedelta(days=15)
SENT = (Report.State.SUBMITTED, Report.State.VALIDATED)


def _anniversary(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February, in a year without one
        return start.replace(year=start.year + years, day=28)


def report_due_dates(dossier: Dossier) -> list[tuple[int, bool, date]]:
    """(year, final, due date) of each report the dossier's agreement asks for: the yearly report at the end of each
    year of the project, counted from the agreement's start; the final evaluation at its end."""
    agreement = dossier.agreement
    years = dossier.duration_years or 1
    dues = [(year, False, _anniversary(agreement.starts_on, year)) for year in range(1, years + 1)]
    return [*dues, (years, True, agreement.ends_on)]


def reminder_date(due: date, today: date) -> date | None:
    """The last date on or before `today` that a report due on `due` is recalled: REMIND_BEFORE before it, on the day,
    then every REMIND_EVERY; None before the first."""
    if today < due - REMIND_BEFORE:
        return None
    if today < due:
        return due - REMIND_BEFORE
    return due + REMIND_EVERY * ((today - due) // REMIND_EVERY)


def _label(year: int, final: bool) -> str:
    return "l'évaluation finale" if final else f"le bilan de l'année {year}"


def reminders_send(today: date) -> int:
    """Reminds the landlords of every report not yet sent whose reminder date has come; returns the reminders sent.
    A run that missed days sends the latest reminder only."""
    sent_reports = Prefetch("reports", Report.objects.filter(state__in=SENT), to_attr="sent_reports")
    dossiers = (
        Dossier.objects.filter(state__in=REPORTING, agreement__isnull=False)
        .select_related("agreement")
        .prefetch_related(sent_reports)
    )
    reminded = 0
    for dossier in dossiers.iterator(chunk_size=500):
        sent = {(report.year, report.is_final) for report in dossier.sent_reports}
        for year, final, due in report_due_dates(dossier):
            on = reminder_date(due, today)
            if (year, final) in sent or on is None:
                continue
            key = f"report-reminder:{dossier.pk}:{year}:{'final' if final else 'year'}:{on.isoformat()}"
            reminded += once(key, partial(remind_report_due, dossier, _label(year, final), due, today))
    return reminded


@task()
def schedule_run(today: str = "") -> dict:
    """The day's work; `today` (ISO date) for a run that stands for another day."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    return {
        "reminders": reminders_send(day),
        "digests": send_digests(day),
        "exports_deleted": exports_prune(),
        "import_files_deleted": imports_prune(),
    }
