from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core.permissions import Access
from search.engine import CANDIDATES, Found, search

PER_PAGE = 20
LONGEST_QUERY = 200


def _page_number(raw: str) -> int:
    return int(raw) if raw.isdigit() and 0 < int(raw) < 10_000 else 1


@login_required
def search_page(request):
    query = request.GET.get("q", "").strip()[:LONGEST_QUERY]
    page = _page_number(request.GET.get("page", "1"))
    access = Access(request.user)
    found = search(access, query, (page - 1) * PER_PAGE, PER_PAGE) if query else Found([], 0, False)
    last_page = max(1, -(-found.total // PER_PAGE))
    if page > last_page:
        page = last_page
        found = search(access, query, (page - 1) * PER_PAGE, PER_PAGE)
    return render(
        request,
        "search/results.html",
        {
            "title": f"Recherche : {query}" if query else "Recherche",
            "query": query,
            "results": found.results,
            "total": found.total,
            "more": found.more,
            # French style: a narrow no-break space between thousands ("1 000").
            "cap": f"{CANDIDATES:,}".replace(",", "\u202f"),
            "page": page,
            "last_page": last_page,
            "first_rank": (page - 1) * PER_PAGE + 1,
        },
    )
