"""Exports as jobs: asked for, queued, written by the worker with their progress, downloaded by their user alone, and
deleted after a week. What an export holds, role by role, is in test_downloads.py and test_reading.py."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, Export, Membership
from core.services import exports
from core.services.exports import export_request, exports_prune
from tests.access import text
from tests.factories import DossierFactory


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """Asks for an export as the page does; what the request queues is queued once it is saved."""

    def asked(client, committee, format="xlsx"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("committee_export", args=[committee.uuid]), {"format": format})

    return asked


def test_the_export_shows_its_progress_until_it_is_ready(cast, login, task_queue, ask):
    client = login(cast.users["member"])
    response = ask(client, cast.committee)
    export = Export.objects.get()
    assert response["Location"] == reverse("export_detail", args=[export.uuid])
    page = text(client.get(response["Location"], follow=True))
    assert "Export demandé" in page and "En attente" in page
    # The progress asks for itself again, without any script of the page's own.
    progress = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in progress and "<html" not in progress
    assert client.get(reverse("export_download", args=[export.uuid])).status_code == 403

    [run] = task_queue.run()
    assert run.status == "SUCCESSFUL" and run.return_value == cast.committee.dossiers.count()
    export.refresh_from_db()
    assert (export.state, export.rows_done, export.rows_total) == ("pret", run.return_value, run.return_value)
    # Stored under its uuid, downloaded under its filename.
    assert export.file.name == f"exports/{timezone.now():%Y/%m}/{export.uuid}.xlsx"
    progress = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in progress and f"Prêt : {run.return_value} dossiers" in progress
    download = client.get(reverse("export_download", args=[export.uuid]))
    assert download.status_code == 200 and download["Content-Disposition"].endswith(f'filename="{export.filename}"')
    assert b"".join(download.streaming_content).startswith(b"PK")
    assert AuditEvent.objects.filter(action="export.request", by=cast.users["member"]).count() == 1


def test_asking_again_while_it_runs_reuses_the_job(cast, login, task_queue, ask):
    client = login(cast.users["member"])
    first, second = ask(client, cast.committee), ask(client, cast.committee)
    assert first["Location"] == second["Location"]
    assert Export.objects.count() == 1 and len(task_queue.queued()) == 1
    # Another format, or another user, is another export.
    ask(client, cast.committee, "csv")
    ask(login(cast.users["secretariat"]), cast.committee)
    assert Export.objects.count() == 3 and len(task_queue.queued()) == 3
    task_queue.run()
    # Once ready, asking again writes a new file: the dossiers may have changed.
    ask(login(cast.users["member"]), cast.committee)
    assert Export.objects.count() == 4


def test_a_task_run_twice_writes_once(cast):
    export = export_request(subject=cast.committee, format="csv", by=cast.users["member"])
    assert exports.export_run.call(export.pk) == cast.committee.dossiers.count()
    assert exports.export_run.call(export.pk) == 0


def test_the_progress_is_saved_as_rows_are_written(cast, monkeypatch):
    DossierFactory.create_batch(4, committee=cast.committee)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    export = export_request(subject=cast.committee, format="csv", by=cast.users["secretariat"])
    rows = exports._counted(iter([["header"], *[[n] for n in range(5)]]), export.pk)
    seen = []
    for _ in rows:
        seen.append(Export.objects.get(pk=export.pk).rows_done)
    assert seen == [0, 0, 0, 2, 2, 4]


def test_an_export_is_its_users_alone(cast, login, task_queue, ask):
    ask(login(cast.users["member"]), cast.committee)
    task_queue.run()
    export = Export.objects.get()
    for role in ("secretariat", "observer", "landlord"):
        client = login(cast.users[role])
        assert client.get(reverse("export_detail", args=[export.uuid])).status_code == 404
        assert client.get(reverse("export_download", args=[export.uuid])).status_code == 404
        assert export.filename not in text(client.get(reverse("export_list")))
    assert export.filename in text(login(cast.users["member"]).get(reverse("export_list")))


def test_a_user_who_lost_the_right_gets_no_file(cast, login, task_queue, ask):
    member = cast.users["member"]
    ask(login(member), cast.committee)
    Membership.objects.filter(user=member).delete()
    [run] = task_queue.run()
    assert run.status == "FAILED" and "ExportRefused" in run.exception_class_path
    export = Export.objects.get()
    assert export.state == "echec" and not export.file
    assert "n'a pas pu être écrit" in text(login(member).get(reverse("export_detail", args=[export.uuid])))


def test_an_unknown_format_is_refused_in_french(cast, login):
    client = login(cast.users["member"])
    next_page = reverse("committee_detail", args=[cast.committee.pk])
    response = client.post(
        reverse("committee_export", args=[cast.committee.uuid]), {"format": "pdf", "next": next_page}, follow=True
    )
    assert "Format inconnu : choisissez XLSX ou CSV." in text(response)
    assert response.redirect_chain[-1][0] == next_page and not Export.objects.exists()


def test_exports_are_deleted_after_a_week(cast, login, task_queue, ask):
    client = login(cast.users["member"])
    ask(client, cast.committee)
    task_queue.run()
    export = Export.objects.get()
    storage, name = export.file.storage, export.file.name
    assert storage.exists(name)
    Export.objects.update(requested_at=timezone.now() - timedelta(days=7, minutes=1))
    response = client.get(reverse("export_download", args=[export.uuid]))
    assert response.status_code == 403 and "gardé 7 jours" in text(response)
    assert exports_prune() == 1
    assert not Export.objects.exists() and not storage.exists(name)


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_runs_the_queue(cast, settings):
    """manage.py db_worker, as the README runs it, on the database queue."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    export = export_request(subject=cast.committee.call, format="csv", by=cast.users["secretariat"])
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=StringIO())
    export.refresh_from_db()
    assert export.state == "pret" and export.rows_done == export.rows_total > 0
    with export.file.open("rb") as file:
        assert file.read().decode("utf-8-sig").startswith("Appel;Année;Région")
