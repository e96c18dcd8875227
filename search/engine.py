"""Search dossiers across calls, ranked by the database's full-text engine, within what the reader may see."""

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.safestring import SafeString

from core.models import Dossier
from core.permissions import Access
from search.models import SearchEntry
from search.text import excerpt, terms

# PostgreSQL finds the entries through the GIN index on this very expression (search/migrations).
VECTOR = SearchVector("text", config="french")


@dataclass
class Result:
    dossier: Dossier
    field: str
    excerpt: SafeString


def readable_entries(access: Access) -> QuerySet[SearchEntry]:
    """One entry per dossier the reader sees: the committee's working copy if they may read it, else the public one."""
    drafts = Dossier.objects.filter(access.opinion_drafts()).values("pk")
    return SearchEntry.objects.filter(dossier_id__in=access.dossiers().values("pk")).filter(
        Q(audience=SearchEntry.Audience.COMMITTEE, dossier_id__in=drafts)
        | (Q(audience=SearchEntry.Audience.PUBLIC) & ~Q(dossier_id__in=drafts))
    )


def _ranked_postgresql(entries: QuerySet, prefixes: list[str], offset: int, limit: int) -> tuple[list[int], int]:
    # Prefixes are already folded and cut: the query must not be stemmed again, hence "simple".
    query = SearchQuery(" & ".join(f"{prefix}:*" for prefix in prefixes), search_type="raw", config="simple")
    found = entries.alias(vector=VECTOR).filter(vector=query)
    ranked = found.annotate(rank=SearchRank(VECTOR, query)).order_by("-rank", "-dossier_id")
    return list(ranked.values_list("pk", flat=True)[offset : offset + limit]), found.count()


def _ranked_sqlite(entries: QuerySet, prefixes: list[str], offset: int, limit: int) -> tuple[list[int], int]:
    readable, params = entries.values("pk").query.sql_with_params()
    match = " ".join(f'"{prefix}"*' for prefix in prefixes)
    # The matches first, then the reader's filter: offered "rowid IN (...)", SQLite would run the full-text
    # query once per readable entry.
    hits = "WITH hits AS MATERIALIZED (SELECT rowid, rank FROM search_fts WHERE search_fts MATCH %s) "
    where = f"FROM hits WHERE rowid IN ({readable})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"{hits} SELECT rowid {where} ORDER BY rank, rowid DESC LIMIT %s OFFSET %s", [match, *params, limit, offset]
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"{hits} SELECT count(*) {where}", [match, *params])
        return ids, cursor.fetchone()[0]


def search(access: Access, query: str, offset: int = 0, limit: int = 20) -> tuple[list[Result], int]:
    """A page of results, best first, and how many there are in all."""
    prefixes = terms(query)
    if not prefixes:
        return [], 0
    ranked = _ranked_postgresql if connection.vendor == "postgresql" else _ranked_sqlite
    ids, total = ranked(readable_entries(access), prefixes, offset, limit)
    entries = SearchEntry.objects.select_related(
        "dossier__call", "dossier__committee", "dossier__lead_landlord"
    ).in_bulk(ids)
    results = []
    for pk in ids:
        entry = entries[pk]
        field, passage = excerpt(entry.fields, prefixes)
        results.append(Result(entry.dossier, field, passage))
    return results, total
