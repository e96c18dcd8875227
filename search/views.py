from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core.permissions import Access
from search.engine import search

PER_PAGE = 20
LONGEST_QUERY = 200


def _page_number(raw: str) -> int:
    return int(raw) if raw.isdigit() and 0 < int(raw) < 10_000 else 1


@login_required
def search_page(request):
    query = request.GET.get("q", "").strip()[:LONGEST_QUERY]
    page = _page_number(request.GET.get("page", "1"))
    results, total = search(Access(request.user), query, (page - 1) * PER_PAGE, PER_PAGE) if query else ([], 0)
    last_page = max(1, -(-total // PER_PAGE))
    if page > last_page:
        page = last_page
        results, total = search(Access(request.user), query, (page - 1) * PER_PAGE, PER_PAGE)
    return render(
        request,
        "search/results.html",
        {
            "title": f"Recherche : {query}" if query else "Recherche",
            "query": query,
            "results": results,
            "total": total,
            "page": page,
            "last_page": last_page,
            "first_rank": (page - 1) * PER_PAGE + 1,
        },
    )
