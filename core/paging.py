"""Pages of long lists: the ordering reads only ids, then the page's rows are read whole."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


def page_of(ordered: QuerySet, rows: QuerySet, per_page: int, number, count: int | None = None) -> Page:
    """Page `number` of `ordered`, its objects read from `rows` in that order. Sorting ids alone is a narrow
    sort: sorting the rows themselves would carry every wide column of every row (PostgreSQL spills them to
    disk for a call of ten thousand dossiers). `count`, when the caller has it, spares the paginator a query."""
    paginator = Paginator(ordered.values_list("pk", flat=True), per_page)
    if count is not None:
        paginator.count = count
    page = paginator.get_page(number)
    found = rows.in_bulk(list(page))
    page.object_list = [found[pk] for pk in page]
    return page
