"""Calls, committees and the published versions of their avis conjoint."""

from django.db.models import Q
from django.http import Http404
from ninja import Path, Query, Router

from api.pagination import MAX_ID, PageQuery, page
from api.schemas import CallPage, CommitteePage, Error, JointOpinionPage
from core.models import Call, Committee, JointOpinion
from core.permissions import Access

router = Router()
ERRORS = {401: Error, 404: Error, 422: Error}


@router.get("/calls", response={200: CallPage, **ERRORS}, summary="Appels à projets")
def call_list(request, query: Query[PageQuery]):
    access = Access(request.auth)
    calls = Call.objects.all()
    if not access.is_secretariat:
        # A call in preparation is the secretariat's until it opens, unless one of its committees is read.
        calls = calls.filter(~Q(status=Call.Status.DRAFT) | Q(pk__in=access.committees().values("call_id")))
    return page(calls, query)


@router.get("/committees", response={200: CommitteePage, **ERRORS}, summary="Comités régionaux")
def committee_list(request, query: Query[PageQuery]):
    return page(Access(request.auth).committees(), query)


@router.get(
    "/committees/{committee_id}/joint-opinions",
    response={200: JointOpinionPage, **ERRORS},
    summary="Versions publiées de l'avis conjoint d'un comité",
)
def joint_opinion_list(request, query: Query[PageQuery], committee_id: int = Path(..., ge=1, le=MAX_ID)):
    """Every published version with its frozen content; a landlord reads only the sections of its own
    dossiers, as on the pages."""
    access = Access(request.auth)
    committee = Committee.objects.filter(pk=committee_id).first()
    if committee is None:
        raise Http404("Comité introuvable.")
    numbers = access.joint_opinion_sections(committee)
    if numbers is not None and not numbers:
        raise Http404("Comité introuvable.")
    result = page(JointOpinion.objects.filter(committee=committee), query)
    if numbers is None:
        return result
    for joint_opinion in result["items"]:
        projects = [p for p in joint_opinion.content["projects"] if p["number"] in numbers]
        joint_opinion.content = {**joint_opinion.content, "projects": projects}
    return result
