"""Work done away from the request, through Django's tasks API (django-tasks, the backport of django.tasks).

Each task is a module-level function decorated with `@task()` in the module whose work it does (the notifications,
the exports, the published documents, the schedule). The queue is the database (django-tasks-db, settings.TASKS):
`manage.py db_worker` runs what is queued, and workers on several machines share the queue through it."""

from functools import partial

from django.db import transaction


def enqueue_on_commit(task, *args) -> None:
    """Queue `task` once the change that asks for it is saved, so that a worker never reads a change that is not
    there yet, and a change rolled back queues nothing. A queue that fails loses the task (logged), never the change,
    and never turns a saved change into an error page."""
    transaction.on_commit(partial(task.enqueue, *args), robust=True)
