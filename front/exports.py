"""Exports: asking for one, following its progress, downloading it; the user's list of exports."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core import policies
from core.models import Call, Export
from core.models.exports import KEPT_DAYS
from core.permissions import Access
from core.services.exports import ExportRefused, export_request
from core.workflow import available_actions, guard
from front.files import download

CONTENT_TYPES = {
    Export.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Export.Format.CSV: "text/csv; charset=utf-8",
}


def _own(request: HttpRequest, uuid: UUID) -> Export:
    """The export, to the user who asked for it; no one else learns it exists."""
    export = _exports(request).filter(uuid=uuid).first()
    if export is None:
        raise Http404("Export introuvable.")
    return export


def _exports(request: HttpRequest):
    mine = policies.requester.where(Access(request.user), "")
    return Export.objects.filter(mine).select_related("committee__call", "call")


def _asked(request: HttpRequest, subject) -> HttpResponse:
    try:
        export = export_request(subject=subject, format=request.POST.get("format", ""), by=request.user)
    except ExportRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(request.POST.get("next") or "export_list")
    messages.success(request, f"Export demandé : {export.filename}. Cette page le montre jusqu'à ce qu'il soit prêt.")
    return redirect("export_detail", export.uuid)


@require_POST
@login_required
def committee_export(request: HttpRequest, uuid: UUID) -> HttpResponse:
    access = Access(request.user)
    committee = access.committee_or_404(uuid=uuid)
    guard(access, "committee.export", committee)
    return _asked(request, committee)


@require_POST
@login_required
def call_export(request: HttpRequest, uuid: UUID) -> HttpResponse:
    access = Access(request.user)
    call = Call.objects.filter(uuid=uuid).first()
    if call is None:
        raise Http404("Appel introuvable.")
    guard(access, "call.export", call)
    return _asked(request, call)


@login_required
def export_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The export's progress; htmx asks for the progress alone until the file is ready."""
    export = _own(request, uuid)
    context = {"export": export, "actions": available_actions(Access(request.user), export), "kept_days": KEPT_DAYS}
    if request.htmx:
        return render(request, "front/export_progress.html", context)
    return render(request, "front/export_detail.html", {**context, "title": f"Export — {export.filename}"})


@login_required
def export_download(request: HttpRequest, uuid: UUID) -> HttpResponse:
    export = _own(request, uuid)
    guard(Access(request.user), "export.download", export)
    return download(export.file, filename=export.filename, content_type=CONTENT_TYPES[export.format])


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    context = {"title": "Mes exports", "exports": _exports(request), "kept_days": KEPT_DAYS}
    return render(request, "front/export_list.html", context)
