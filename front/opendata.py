"""The grants as open data: public, without login, each call's file in the national schema (core/grants.py); and the
secretariat's act that publishes them."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from core import grants
from core.formats import plural as french_plural
from core.models import Call
from core.permissions import Access
from core.services.grants import grants_publish
from core.workflow import guard
from front import confirmations
from front.national import report_each


def _published_calls():
    """The calls with a grant published: the only ones the public learns of here."""
    return Call.objects.filter(dossiers__agreement__published_at__isnull=False)


def grants_index(request: HttpRequest) -> HttpResponse:
    # annotate() after filter() counts along the filter's join: the published grants alone.
    calls = (
        _published_calls()
        .annotate(grants=Count("dossiers__agreement"), total=Sum("dossiers__agreement__amount"))
        .order_by("-year", "-edition")
    )
    return render(
        request,
        "front/opendata_grants.html",
        {"title": "Données ouvertes : subventions attribuées", "calls": calls, "schema_version": "2.1.1"},
    )


def grants_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The call's published grants as CSV; a call with none is not found, as if it did not exist."""
    call = get_object_or_404(_published_calls().distinct(), pk=pk)
    rows = [grants.grant_row(agreement) for agreement in grants.published(call)]
    response = HttpResponse(grants.grants_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="subventions-appel-{call.edition or call.pk}.csv"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def call_publish_grants(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation, without JavaScript; POST: the publication."""
    call = get_object_or_404(Call, pk=pk)
    guard(Access(request.user), "call.publish_grants", call)
    if request.method == "GET":
        return confirmations.confirmation_page(request, confirmations.grants_publication(call))
    result = grants_publish(call=call, by=request.user)
    plural = french_plural(len(result.done))
    done = f"{len(result.done)} subvention{plural} publiée{plural} en données ouvertes."
    report_each(request, done if result.done else "", result.failed)
    return redirect("call_detail", pk=call.pk)
