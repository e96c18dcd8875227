"""Writes that may meet a unique constraint in the database, however well they were checked before."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, transaction


@contextmanager
def refused_on_conflict(refusal: Exception) -> Iterator[None]:
    """The writes in a savepoint. A form is validated before the service takes its locks: a request sent twice
    (a double click, the back button) or by two users at once passes both checks, and the second to write meets
    the constraint. It then raises `refusal`, whose message the page shows, rather than a server error."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        raise refusal from error
