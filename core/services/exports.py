"""Exports as jobs: a user asks for the dossiers of a committee or a call as XLSX or CSV; a task writes the file,
with its progress as it goes, into the storage; the user alone downloads it, for a week."""

import logging
import tempfile
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django_tasks import task

from core.audit import audit
from core.models import Call, Committee, Export
from core.models.exports import KEPT_DAYS
from core.permissions import Access
from core.regions import SHORT_NAMES
from core.tasks import enqueue_on_commit
from core.workflow import allows, check
from documents.exports import csv_lines, dossier_rows, write_xlsx

logger = logging.getLogger(__name__)

# Rows written between two saves of the progress: a save a second or so at the writer's pace.
PROGRESS_EVERY = 2000
RUNNING = (Export.State.QUEUED, Export.State.RUNNING)


class ExportRefused(Exception):
    """The message is for the user."""


def export_filename(subject: Committee | Call, format: str) -> str:
    """ "dossiers-paca-2018.xlsx" for a committee, "dossiers-appel-2018.csv" for a call."""
    if isinstance(subject, Call):
        return f"dossiers-appel-{subject.year}.{format}"
    region = SHORT_NAMES.get(subject.region) or slugify(subject.name)
    return f"dossiers-{region}-{subject.call.year}.{format}"


def _action(subject: Committee | Call) -> str:
    return "call.export" if isinstance(subject, Call) else "committee.export"


def export_request(*, subject: Committee | Call, format: str, by) -> Export:
    """The user's export of the subject's dossiers, queued; the one already queued or running for the same subject
    and format, if there is one (a second click, a second tab)."""
    check(by, _action(subject), subject)
    if format not in Export.Format.values:
        raise ExportRefused("Format inconnu : choisissez XLSX ou CSV.")
    key = {"requested_by": by, "format": format, subject._meta.model_name: subject}
    with transaction.atomic():
        running = Export.objects.filter(**key, state__in=RUNNING).first()
        if running is not None:
            return running
        export = Export(**key, filename=export_filename(subject, format))
        try:
            # Two requests at once both find none: the second meets the constraint and takes the first's job.
            with transaction.atomic():
                export.save()
        except IntegrityError:
            return Export.objects.get(**key, state__in=RUNNING)
        audit("export.request", by=by, subject=export, after={"format": format},
              **{"call" if isinstance(subject, Call) else "committee": subject})  # fmt: skip
        enqueue_on_commit(export_run, export.pk)
    return export


def _counted(rows: Iterable[list], export_id: int) -> Iterator[list]:
    """The rows, saving how many were written every PROGRESS_EVERY; the first row is the header."""
    done = 0
    for done, row in enumerate(rows):
        yield row
        if done and done % PROGRESS_EVERY == 0:
            Export.objects.filter(pk=export_id).update(rows_done=done)


def _write(export: Export, rows: Iterable[list]) -> File:
    if export.format == Export.Format.XLSX:
        return File(write_xlsx(rows, "Dossiers"))
    # Returned open, as write_xlsx's: the storage reads it, then it is deleted.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    for line in csv_lines(rows):
        output.write(line.encode("utf-8"))
    output.seek(0)
    return File(output)


@task()
def export_run(export_id: int) -> int:
    """Writes the export's file as its user reads the dossiers now; returns the rows written. Run once: a task run
    again, or for an export already done, writes nothing."""
    if not Export.objects.filter(pk=export_id, state=Export.State.QUEUED).update(state=Export.State.RUNNING):
        return 0
    export = Export.objects.select_related("requested_by", "committee__call", "call").get(pk=export_id)
    subject = export.committee or export.call
    access = Access(export.requested_by)
    try:
        # The user may have lost the right since asking (an account deactivated, a membership ended).
        if not (export.requested_by.is_active and allows(access, _action(subject), subject)):
            raise ExportRefused(f"{export.requested_by} ne peut plus exporter {subject}.")
        dossiers = access.dossiers().filter(**{subject._meta.model_name: subject})
        total = dossiers.count()
        Export.objects.filter(pk=export_id).update(rows_total=total)
        with _write(export, _counted(dossier_rows(dossiers, access), export_id)) as output:
            # Stored under its uuid, as attachments are: two users' exports of the same committee share a filename,
            # and an object store (S3) cannot refuse a name taken by a worker writing at the same moment.
            name = export.file.storage.save(f"exports/{timezone.now():%Y/%m}/{export.uuid}.{export.format}", output)
    except Exception:
        Export.objects.filter(pk=export_id).update(state=Export.State.FAILED, finished_at=timezone.now())
        raise
    Export.objects.filter(pk=export_id).update(
        state=Export.State.READY, file=name, rows_done=total, finished_at=timezone.now()
    )
    return total


def exports_prune(now=None) -> int:
    """Deletes the exports asked for more than KEPT_DAYS ago, their files first; returns how many."""
    old = Export.objects.filter(requested_at__lt=(now or timezone.now()) - timedelta(days=KEPT_DAYS))
    pruned = 0
    for export in old.iterator():
        if export.file:
            export.file.delete(save=False)
        export.delete()
        pruned += 1
    return pruned
