"""The avis conjoint as print view, PDF and DOCX; the receipts of submissions."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from core.models import Receipt
from core.permissions import Access
from core.services.joint_opinions import committee_snapshot
from documents.joint_opinion_content import joint_opinion_context, joint_opinion_filename
from documents.joint_opinion_files import WRITERS, published_context, stored
from documents.receipts import receipt_file
from front.files import download


def _check_format(extension: str) -> None:
    if extension not in WRITERS:
        raise Http404("Format inconnu : PDF ou DOCX.")


def _document(extension: str, context: dict, filename: str) -> HttpResponse:
    write, content_type = WRITERS[extension]
    response = HttpResponse(write(context), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def joint_opinion_print(request: HttpRequest, uuid: UUID) -> HttpResponse:
    joint_opinion, projects = Access(request.user).joint_opinion_or_404(uuid)
    return render(request, "documents/joint_opinion_print.html", published_context(joint_opinion, projects))


@login_required
def joint_opinion_download(request: HttpRequest, uuid: UUID, extension: str) -> HttpResponse:
    """The files rendered at publication to whoever reads every section; rendered for the others, with theirs."""
    _check_format(extension)
    joint_opinion, projects = Access(request.user).joint_opinion_or_404(uuid)
    filename = joint_opinion_filename(joint_opinion.committee, joint_opinion.version, extension)
    file = stored(joint_opinion, extension, projects)
    if file is not None:
        return download(file, filename=filename, content_type=WRITERS[extension][1])
    return _document(extension, published_context(joint_opinion, projects), filename)


@login_required
def committee_draft_download(request: HttpRequest, uuid: UUID, extension: str) -> HttpResponse:
    """The opinions as they stand, marked PROJET, for the committee and the secretariat."""
    _check_format(extension)
    access = Access(request.user)
    committee = access.committee_or_404(uuid=uuid)
    if not access.can_read_committee_drafts(committee):
        raise PermissionDenied("Le projet d'avis conjoint est réservé au comité et au secrétariat national.")
    content = committee_snapshot(committee)
    readable = set(committee.dossiers.filter(access.opinion_drafts()).values_list("number", flat=True))
    projects = [p for p in content["projects"] if p["number"] in readable]
    return _document(
        extension,
        joint_opinion_context(content, committee=committee, projects=projects, draft=True),
        joint_opinion_filename(committee, None, extension),
    )


@login_required
def receipt_download(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """A submission's receipt, for whoever reads the dossier: it holds what the dossier's page shows."""
    receipt = Receipt.objects.filter(uuid=uuid).select_related("submitted_by").first()
    if receipt is None:
        raise Http404("Récépissé introuvable.")
    dossier = Access(request.user).dossier_or_404(receipt.dossier_id)
    filename = f"recepisse-projet-{dossier.number}-{receipt.submitted_at:%Y-%m-%d}.pdf"
    return download(receipt_file(receipt), filename=filename, content_type="application/pdf")
