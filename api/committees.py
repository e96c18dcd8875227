"""Calls, committees and the published versions of their avis conjoint."""

from django.db.models import Q, QuerySet
from django.http import Http404
from ninja import Path, Query, Router

from api.pagination import MAX_ID, PageQuery, page
from api.schemas import CallPage, CommitteePage, Error, JointOpinionPage
from core.models import Call, Committee, JointOpinion
from core.permissions import Access

router = Router()
ERRORS = {401: Error, 404: Error, 422: Error}


def readable_committees(access: Access) -> QuerySet[Committee]:
    """The committees whose pages the user reads, and those of the dossiers it may see (a landlord's)."""
    if access.is_secretariat or None in access.observer_scope:
        return Committee.objects.all()
    ids = access.member_committee_ids | access.observer_scope
    return Committee.objects.filter(Q(pk__in=ids) | Q(pk__in=access.dossiers().values("committee_id")))


@router.get("/calls", response={200: CallPage, **ERRORS}, summary="Appels à projets")
def call_list(request, query: Query[PageQuery]):
    access = Access(request.auth)
    calls = Call.objects.all()
    if not access.is_secretariat:
        # A call in preparation is the secretariat's until it opens, unless one of its committees is read.
        calls = calls.filter(~Q(status=Call.Status.DRAFT) | Q(pk__in=readable_committees(access).values("call_id")))
    return page(calls, query)


@router.get("/committees", response={200: CommitteePage, **ERRORS}, summary="Comités régionaux")
def committee_list(request, query: Query[PageQuery]):
    return page(readable_committees(Access(request.auth)), query)


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
    result = page(JointOpinion.objects.filter(committee=committee), query)
    if access.can_read_committee(committee):
        return result
    own = set(access.dossiers().filter(committee=committee).values_list("number", flat=True))
    if not own:
        raise Http404("Comité introuvable.")
    for joint_opinion in result["items"]:
        projects = [p for p in joint_opinion.content["projects"] if p["number"] in own]
        joint_opinion.content = {**joint_opinion.content, "projects": projects}
    return result
