"""Search dossiers across calls, ranked by the database's full-text engine, within what the reader may see.

The work of a search is bounded, whatever the size of the database: the full-text engine walks the matches
from the most recently indexed entry backwards (an order its index gives without sorting), keeps the first
CANDIDATES the reader may read, and only these are ranked and counted. Beyond that, the page says
"plus de 200": a query matching more dossiers than anyone will page through needs another word.
"""

from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection
from django.db.models import BooleanField, Case, ExpressionWrapper, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString

from core.models import Dossier
from core.permissions import Access
from search.models import SearchEntry
from search.text import excerpt, terms

# 10 pages of 20: more than anyone reads before adding a word, and a bounded walk: at 100 000 dossiers a
# word found in one dossier in ten walks about 4 000 entries (10 ms on PostgreSQL; 1 000 candidates took
# 40 ms there, and half as much on SQLite). The most recently indexed entries come first: new dossiers and
# those whose dossier, opinion or publication changed lately (after rebuild_search_index, committee by
# committee, so the latest calls first).
CANDIDATES = 200
# How far a wide reader's walk through the newest entries goes on PostgreSQL before the older matches are
# looked up in the GIN index instead (_candidates_postgresql): 50 ms of walk at most, at 2.5 µs an entry.
WALKED = 20000


@dataclass
class Result:
    dossier: Dossier
    field: str
    excerpt: SafeString


class Found(NamedTuple):
    results: list[Result]
    total: int  # the readable matches ranked, at most CANDIDATES
    more: bool  # whether there are more matches than CANDIDATES (the page says "plus de 200")


def _audience_read(access: Access, dossier: OuterRef | RawSQL) -> QuerySet[Dossier]:
    """The audience whose entry this reader reads of that dossier; no row if they do not see the dossier."""
    audience = Case(
        When(access.opinion_drafts(), then=Value(SearchEntry.Audience.COMMITTEE)),
        default=Value(SearchEntry.Audience.PUBLIC),
    )
    return Dossier.objects.filter(access.sees(), pk=dossier).annotate(read=audience).order_by().values("read")[:1]


def readable_entries(access: Access) -> QuerySet[SearchEntry]:
    """One entry per dossier the reader sees: the committee's working copy if they may read it, else the public one."""
    return SearchEntry.objects.filter(audience=Subquery(_audience_read(access, OuterRef("dossier_id"))))


# Both databases walk the matches from the newest entry down, check each against the reader's rights with
# a scalar subquery (primary-key lookups) and stop at CANDIDATES + 1; only those kept are ranked.
# "dossier_id IN (…)" would list every dossier the reader sees first, and an EXISTS becomes a join whose
# row estimate leads PostgreSQL to fetch and sort every match: a bare boolean subquery is estimated at
# one row in two, and PostgreSQL then plans for the LIMIT.


def _reads(access: Access, entry: str) -> tuple[str, tuple]:
    """SQL: whether the reader reads the entry of that alias (NULL, so false, for a dossier they do not see)."""
    dossiers = _audience_read(access, RawSQL(f"{entry}.dossier_id", []))
    reads = ExpressionWrapper(Q(read=RawSQL(f"{entry}.audience", [])), output_field=BooleanField())
    return dossiers.annotate(reads=reads).values("reads").query.sql_with_params()


def _candidates_postgresql(access: Access, prefixes: list[str]) -> list[tuple[int, float]]:
    # Prefixes are already folded and cut: the query must not be stemmed again, hence "simple".
    query = " & ".join(f"{prefix}:*" for prefix in prefixes)
    reads, params = _reads(access, "m")

    def readable(where: str, where_params: list, order: str, outer_order: str = "") -> tuple[str, list]:
        # The subquery's order is kept (an outer ORDER BY would plan the subquery for every match); OFFSET 0
        # keeps the two from being merged.
        sql = (
            "SELECT m.id FROM (SELECT id, dossier_id, audience FROM search_searchentry "
            f"WHERE vector @@ to_tsquery('simple', %s) {where}ORDER BY {order} OFFSET 0"
            f") m WHERE ({reads}) {outer_order}LIMIT %s"
        )
        return sql, [query, *where_params, *params, CANDIDATES + 1]

    if access.is_secretariat or access.is_national:
        # The walk from the newest entry down stops at CANDIDATES, but PostgreSQL cannot tell how rare words
        # are together ("jeunes femmes": 402 matches in the newest 121 000 entries, 310 ms of walk): it walks
        # the newest WALKED entries at most, and the GIN index finds the older matches, then they are sorted
        # ("id + 0": no index offers that order, so none is walked). Under the LIMIT, UNION ALL runs its
        # second part only if the first falls short. The boundary is a value, not a subquery, so that
        # PostgreSQL plans for the range it bounds.
        boundary = (SearchEntry.objects.aggregate(newest=Max("id"))["newest"] or 0) - WALKED
        newest, newest_params = readable("AND id > %s ", [boundary], "id DESC")
        older, older_params = readable("AND id + 0 <= %s ", [boundary], "id + 0 DESC")
        ids, ids_params = f"({newest}) UNION ALL ({older}) LIMIT %s", [*newest_params, *older_params, CANDIDATES + 1]
    else:
        # A reader who sees a committee's or a landlord's dossiers: their few matches may be anywhere in
        # the walk, so PostgreSQL fetches them all (their dossiers first, found through the indexes of
        # Access.dossiers(), or the GIN index) and sorts them.
        scope, scope_params = access.dossiers().order_by().values("pk").query.sql_with_params()
        ids, ids_params = readable(f"AND dossier_id IN ({scope}) ", scope_params, "id DESC", "ORDER BY m.id DESC ")
    # Ranked once kept, so that no sort carries the matches' vectors; newest first, as the walk found them.
    sql = (
        f"SELECT e.id, -ts_rank(e.vector, to_tsquery('simple', %s)) FROM ({ids}) kept "
        "JOIN search_searchentry e ON e.id = kept.id ORDER BY e.id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, *ids_params])
        return cursor.fetchall()


def _candidates_sqlite(access: Access, prefixes: list[str]) -> list[tuple[int, float]]:
    # FTS5 gives its matches in rowid order and stops at the LIMIT; bm25 (lower is better) for those kept.
    reads, params = _reads(access, "e")
    match = " ".join(f'"{prefix}"*' for prefix in prefixes)
    sql = (
        "SELECT search_fts.rowid, search_fts.rank FROM search_fts "
        "CROSS JOIN search_searchentry e ON e.id = search_fts.rowid "
        f"WHERE search_fts MATCH %s AND ({reads}) ORDER BY search_fts.rowid DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, CANDIDATES + 1])
        return cursor.fetchall()


def search(access: Access, query: str, offset: int = 0, limit: int = 20) -> Found:
    """A page of results, best first, among the first CANDIDATES readable matches."""
    prefixes = terms(query)
    if not prefixes or access.sees_no_dossier:
        return Found([], 0, False)
    candidates = _candidates_postgresql if connection.vendor == "postgresql" else _candidates_sqlite
    scored = candidates(access, prefixes)
    more = len(scored) > CANDIDATES
    ranked = sorted(scored[:CANDIDATES], key=lambda row: (row[1], -row[0]))
    ids = [pk for pk, _ in ranked[offset : offset + limit]]
    shown = SearchEntry.objects.select_related("dossier__call", "dossier__committee", "dossier__lead_landlord")
    entries = shown.defer("text", "vector").in_bulk(ids)
    results = []
    for pk in ids:
        entry = entries[pk]
        field, passage = excerpt(entry.fields, prefixes)
        results.append(Result(entry.dossier, field, passage))
    return Found(results, len(ranked), more)
