"""GET /sante/, for load balancers: whether this server can serve. The database, the file storage and the task queue
must each answer; otherwise 503, and the balancer sends no more requests here.

Which check failed is told only to the readers Access.reads_health names, or to whoever presents AAP_HEALTH_TOKEN
(`Authorization: Bearer …`, for monitoring); anyone else learns "ok" or "erreur". The failure itself is in the logs."""

import logging
import secrets
import time
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult

from core.permissions import Access

logger = logging.getLogger(__name__)

PROBE = b"sante"
# A storage that answered is believed for this long: balancers ask every few seconds, each instance of them, and a
# bucket's write, read and delete are three paid requests each time. A failure is probed again at once.
STORAGE_TRUSTED_FOR = 30.0
# The store last probed and until when its answer holds (time.monotonic()); a storage reconfigured is a new one.
_storage_answered = (None, 0.0)


def database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def storage() -> None:
    """A tiny object written, read back and deleted: a bucket missing, or a disk read-only, fails here where exists()
    would answer False. Named afresh each time, as every server probes the same store."""
    global _storage_answered
    store = storages["default"]
    if _storage_answered[0] is store and time.monotonic() < _storage_answered[1]:
        return
    name = store.save(f"sante/{uuid.uuid4().hex}.txt", ContentFile(PROBE))
    try:
        with store.open(name, "rb") as probe:
            if probe.read() != PROBE:
                raise OSError("the object read back is not the one written")
    finally:
        store.delete(name)
    _storage_answered = (store, time.monotonic() + STORAGE_TRUSTED_FOR)


def task_queue() -> None:
    """The queue's table answers: django_tasks_db's DBTaskResult (django_tasks_database_dbtaskresult)."""
    DBTaskResult.objects.exists()


CHECKS = {"base_de_donnees": database, "stockage": storage, "file_de_taches": task_queue}


def _run(name: str, check) -> str:
    try:
        check()
    except Exception as error:
        logger.exception("Health check %s failed", name)
        return f"erreur ({type(error).__name__})"
    return "ok"


def _holds_token(request: HttpRequest) -> bool:
    expected = settings.AAP_HEALTH_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # The scheme's name is case-insensitive (RFC 9110), the token is not.
    return bool(expected) and scheme.lower() == "bearer" and secrets.compare_digest(given.encode(), expected.encode())


def _reads_details(request: HttpRequest) -> bool:
    if _holds_token(request):
        return True
    try:
        return Access(request.user).reads_health
    except DatabaseError:
        # The database is down: the session cannot be read, and the caller learns what anyone does.
        return False


@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    results = {name: _run(name, check) for name, check in CHECKS.items()}
    healthy = all(result == "ok" for result in results.values())
    answer = {"status": "ok" if healthy else "erreur"}
    if _reads_details(request):
        answer["checks"] = results
    return JsonResponse(answer, status=200 if healthy else 503)
