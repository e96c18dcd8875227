"""A chunk of synthetic rows, held as plain dicts and written with multi-row INSERTs, with their history rows.

A model instance plus bulk_create costs some 25 µs a row, which makes 100 000 dossiers (five million rows)
last too long; a dict of field values costs a fraction of that. Primary keys are handed out in memory, after
the largest in each table, so that a child knows its parent's id before anything is written. Values go
through each field's get_db_prep_save where the database needs a conversion (dates, decimals, JSON, UUIDs).

bulk inserts send no signal, so django-simple-history writes nothing by itself: its "+" creation rows are
written here, one per tracked row, dated and signed as the builder said.
"""

from collections.abc import Iterable
from datetime import datetime
from itertools import chain

from django.apps import apps
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import Max

from core.models import Dossier
from core.services.budgets import requested_refresh

ROWS_PER_STATEMENT = 500
# PostgreSQL's limit of parameters in a statement.
MAX_PARAMS = 65535
CONVERTED = {"DateTimeField", "DateField", "DecimalField", "JSONField", "UUIDField"}


class Ids:
    """The next primary key of each table, read once, then counted in memory."""

    def __init__(self):
        self._next: dict[type[models.Model], int] = {}

    def __call__(self, model: type[models.Model]) -> int:
        if model not in self._next:
            pk = model._meta.pk.attname
            self._next[model] = (model._default_manager.aggregate(last=Max(pk))["last"] or 0) + 1
        self._next[model] += 1
        return self._next[model] - 1

    def models(self) -> list[type[models.Model]]:
        return list(self._next)


class Batch:
    def __init__(self, ids: Ids):
        self.ids = ids
        self.rows: dict[type[models.Model], list[dict]] = {}
        # Rows whose model django-simple-history tracks, with when and by whom they were created.
        self.history: dict[type[models.Model], list[tuple[dict, datetime, int | None]]] = {}
        # Many-to-many links of dossiers, by field name: (dossier id, organisation or public id).
        self.links: dict[str, list[tuple[int, int]]] = {}

    def add(self, model: type[models.Model], *, history: tuple[datetime, int | None] | None = None, **values) -> dict:
        """A new row of `model`, with its id; `history` (when, user id) for a tracked model."""
        values[model._meta.pk.attname] = self.ids(model)
        self.rows.setdefault(model, []).append(values)
        if history is not None:
            self.history.setdefault(model, []).append((values, *history))
        return values

    def link(self, name: str, dossier: dict, other_ids: Iterable[int]) -> None:
        self.links.setdefault(name, []).extend((dossier["id"], other_id) for other_id in other_ids)

    def count(self, model: type[models.Model]) -> int:
        return len(self.rows.get(model, []))

    def size(self) -> int:
        """Rows written, history rows included."""
        rows = sum(len(rows) for rows in self.rows.values()) + sum(len(rows) for rows in self.history.values())
        return rows + 2 * sum(len(pairs) for pairs in self.links.values())


def _insert(model: type[models.Model], rows: list[dict]) -> None:
    if not rows:
        return
    # The connection itself: each attribute read through django.db.connection costs a thread-local lookup.
    db = connections[DEFAULT_DB_ALIAS]
    fields = model._meta.concrete_fields
    unknown = set().union(*rows) - {field.attname for field in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no field {', '.join(sorted(unknown))}.")
    # A missing value takes the field's default, computed once: a field whose default is a callable (a uuid)
    # must be given.
    columns = [
        (
            field.attname,
            field.get_default(),
            field.get_db_prep_save if field.get_internal_type() in CONVERTED else None,
        )
        for field in fields
    ]
    values = [
        [
            convert(row.get(name, default), db) if convert else row.get(name, default)
            for name, default, convert in columns
        ]
        for row in rows
    ]
    # Several rows per statement: a round trip per row is what makes PostgreSQL slow, SQLite hardly minds.
    size = max(1, min(db.ops.bulk_batch_size(fields, values), ROWS_PER_STATEMENT, MAX_PARAMS // len(fields)))
    quote = db.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) VALUES "
    row = f"({', '.join(['%s'] * len(fields))})"
    full = len(values) - len(values) % size
    with db.cursor() as cursor:
        if full:
            cursor.executemany(
                head + ", ".join([row] * size),
                [list(chain.from_iterable(values[start : start + size])) for start in range(0, full, size)],
            )
        if full < len(values):
            cursor.execute(head + ", ".join([row] * (len(values) - full)), list(chain.from_iterable(values[full:])))


def _history_rows(batch: Batch, model: type[models.Model]) -> list[dict]:
    historical = model.history.model
    return [
        {
            **values,
            "history_id": batch.ids(historical),
            "history_date": when,
            "history_type": "+",
            "history_change_reason": None,
            "history_user_id": user_id,
        }
        for values, when, user_id in batch.history[model]
    ]


def batch_write(batch: Batch) -> None:
    """Write the batch in one transaction (foreign keys are checked at commit), then move the tables'
    sequences past the ids handed out, so that the application's own inserts do not collide with them."""
    with transaction.atomic():
        for model, rows in batch.rows.items():
            _insert(model, rows)
        history_ids = {}
        for model in batch.history:
            rows = _history_rows(batch, model)
            _insert(model.history.model, rows)
            if model is Dossier:
                history_ids = {row["id"]: row["history_id"] for row in rows}
        for name, pairs in batch.links.items():
            relation = Dossier._meta.get_field(name)
            through, target = relation.remote_field.through, f"{relation.m2m_reverse_field_name()}_id"
            rows = [{"id": batch.ids(through), "dossier_id": dossier, target: other} for dossier, other in pairs]
            _insert(through, rows)
            historical = apps.get_model("core", f"{Dossier.history.model.__name__}_{name}")
            _insert(
                historical,
                [
                    {**row, "m2m_history_id": batch.ids(historical), "history_id": history_ids[row["dossier_id"]]}
                    for row in rows
                ],
            )
        # Inserted rows send no signal: the amounts the dossiers request are summed here, from their lines.
        written = [row["id"] for row in batch.rows.get(Dossier, [])]
        if written:
            requested_refresh(Dossier.objects.filter(pk__range=(min(written), max(written))))
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), batch.ids.models()):
                cursor.execute(sql)
