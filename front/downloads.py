"""The avis conjoint as print view, PDF and DOCX; the dossiers as XLSX and CSV."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from core.models import Call, JointOpinion
from core.permissions import Access
from core.reading import ShownOpinion
from core.services.joint_opinions import committee_snapshot, published_projects
from documents.avis_content import avis_context, avis_filename
from documents.avis_docx import avis_docx
from documents.avis_pdf import avis_pdf
from documents.exports import csv_lines, dossier_rows, write_xlsx

WRITERS = {
    "pdf": (avis_pdf, "application/pdf"),
    "docx": (avis_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORTS = {"xlsx", "csv"}


def _check_format(extension: str) -> None:
    if extension not in WRITERS:
        raise Http404("Format inconnu : PDF ou DOCX.")


def readable_joint_opinion(access: Access, pk: int, version: int) -> tuple[JointOpinion, list[dict]]:
    """A published version and the projects this user may read in it: all of them for the committee's
    readers, a landlord's own for a landlord."""
    joint_opinion = (
        JointOpinion.objects.select_related("committee__call").filter(committee_id=pk, version=version).first()
    )
    if joint_opinion is None:
        raise Http404("Avis conjoint introuvable.")
    projects = joint_opinion.content["projects"]
    if not access.can_read_committee(joint_opinion.committee):
        own = set(access.dossiers().filter(committee_id=pk).values_list("number", flat=True))
        projects = [p for p in projects if p["number"] in own]
        if not projects:
            raise Http404("Avis conjoint introuvable.")
    return joint_opinion, projects


def _document(extension: str, context: dict, filename: str) -> HttpResponse:
    write, content_type = WRITERS[extension]
    response = HttpResponse(write(context), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def joint_opinion_print(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    joint_opinion, projects = readable_joint_opinion(Access(request.user), pk, version)
    context = {
        **avis_context(joint_opinion.content, committee=joint_opinion.committee, projects=projects),
        "joint_opinion": joint_opinion,
    }
    return render(request, "documents/avis_conjoint_print.html", context)


@login_required
def joint_opinion_download(request: HttpRequest, pk: int, version: int, extension: str) -> HttpResponse:
    _check_format(extension)
    joint_opinion, projects = readable_joint_opinion(Access(request.user), pk, version)
    context = {
        **avis_context(joint_opinion.content, committee=joint_opinion.committee, projects=projects),
        "joint_opinion": joint_opinion,
    }
    return _document(extension, context, avis_filename(joint_opinion.committee, version, extension))


@login_required
def committee_draft_download(request: HttpRequest, pk: int, extension: str) -> HttpResponse:
    """The opinions as they stand, marked PROJET, for the committee and the secretariat."""
    _check_format(extension)
    access = Access(request.user)
    committee = access.committee_or_404(pk)
    if not (access.is_secretariat or committee.pk in access.member_committee_ids):
        raise PermissionDenied("Le projet d'avis conjoint est réservé au comité et au secrétariat national.")
    content = committee_snapshot(committee)
    hidden = set() if access.is_secretariat else access.conflicted_ids(committee.dossiers.all())
    hidden_numbers = set(committee.dossiers.filter(pk__in=hidden).values_list("number", flat=True))
    projects = [p for p in content["projects"] if p["number"] not in hidden_numbers]
    return _document(
        extension,
        avis_context(content, committee=committee, projects=projects, draft=True),
        avis_filename(committee, None, extension),
    )


def _opinion_reader(access: Access, dossiers):
    """What each row shows of the opinion: the draft to who may read it, else the published version."""
    conflicted = access.conflicted_ids(dossiers)
    published = published_projects(dossiers.values("committee_id").distinct())

    def opinion_for(dossier):
        drafts = access.is_secretariat or (
            dossier.committee_id in access.member_committee_ids and dossier.pk not in conflicted
        )
        if drafts:
            return getattr(dossier, "opinion", None)
        project = published.get((dossier.committee_id, dossier.number))
        return ShownOpinion.from_project(project) if project else None

    return opinion_for


def _export(dossiers, extension: str, filename: str, access: Access) -> HttpResponse:
    if extension not in EXPORTS:
        raise Http404("Format inconnu : XLSX ou CSV.")
    rows = dossier_rows(dossiers, _opinion_reader(access, dossiers))
    if extension == "csv":
        response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    return FileResponse(
        write_xlsx(rows, "Dossiers"), as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX
    )


@login_required
def committee_export(request: HttpRequest, pk: int, extension: str) -> HttpResponse:
    access = Access(request.user)
    committee = access.committee_or_404(pk)
    name = avis_filename(committee, None, "x").removeprefix("avis-conjoint-").removesuffix("-projet.x")
    return _export(access.dossiers().filter(committee=committee), extension, f"dossiers-{name}", access)


@login_required
def call_export(request: HttpRequest, pk: int, extension: str) -> HttpResponse:
    access = Access(request.user)
    call = Call.objects.filter(pk=pk).first()
    if call is None or not (access.is_secretariat or None in access.observer_scope):
        raise Http404("Appel introuvable.")
    return _export(access.dossiers().filter(call=call), extension, f"dossiers-appel-{call.year}", access)
