"""Keyset pagination on the primary key: stable under inserts, one query per page whatever its depth."""

from django.core import signing
from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.errors import HttpError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Ids are 64-bit on both databases; a larger value would fail in the database driver, not here.
MAX_ID = 2**63 - 1
# Signed, so that a cursor is opaque and a forged one is refused rather than silently accepted.
SALT = "api.cursor"


class PageQuery(Schema):
    cursor: str | None = Field(
        None, min_length=1, max_length=200, description="Curseur « next » de la page précédente."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Nombre d'éléments par page.")


def _after(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        after = signing.loads(cursor, salt=SALT)
    except signing.BadSignature:
        raise HttpError(422, "Curseur invalide : reprenez la valeur « next » d'une réponse précédente.") from None
    if not isinstance(after, int) or not 0 <= after <= MAX_ID:
        raise HttpError(422, "Curseur invalide : reprenez la valeur « next » d'une réponse précédente.")
    return after


def page(queryset: QuerySet, query: PageQuery) -> dict:
    """The items after the cursor, in id order, and the cursor of the next page (None on the last one)."""
    rows = list(queryset.filter(pk__gt=_after(query.cursor)).order_by("pk")[: query.limit + 1])
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return {"items": rows, "next": signing.dumps(rows[-1].pk, salt=SALT) if more else None}
