"""Dossiers, always drawn from Access.dossiers(), and what the pages show of their opinion, decision and reports."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils import timezone
from ninja import Field, Path, Query, Router
from ninja.errors import HttpError
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from api.pagination import MAX_ID, PageQuery, page
from api.schemas import DecisionOut, DossierDetailOut, DossierPage, Error, OpinionOut, ReportPage
from core.models import Dossier, Rank
from core.permissions import Access, carried_by
from core.reading import shown_opinion, with_shown
from core.regions import Region
from core.services.joint_opinions import published_projects

router = Router()
ERRORS = {401: Error, 404: Error, 422: Error}
LISTED = ("co_landlords", "partners", "publics")


def _iso_8601(value):
    """ISO 8601 date and time only: pydantic would also take "0.5" as a Unix timestamp."""
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or not ("T" in value or " " in value):
        raise PydanticCustomError("datetime_parsing", "ISO 8601 date and time expected")
    return moment


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_8601)]


class DossierQuery(PageQuery):
    call: int | None = Field(None, ge=1, le=MAX_ID, description="Identifiant de l'appel.")
    region: Literal[tuple(Region.values)] | None = Field(None, description="Code INSEE de la région du comité.")
    state: Literal[tuple(Dossier.State.values)] | None = Field(None, description="État du dossier.")
    landlord: int | None = Field(None, ge=1, le=MAX_ID, description="Bailleur porteur ou associé.")
    public: int | None = Field(None, ge=1, le=MAX_ID, description="Public cible.")
    rank: Literal[tuple(Rank.values)] | None = Field(
        None, description="Rang de classement, tel que l'utilisateur peut le lire (brouillon ou avis publié)."
    )
    updated_since: IsoDateTime | None = Field(
        None, description="Modifiés depuis (ISO 8601 ; sans décalage, heure de Paris)."
    )


def _aware(moment: datetime) -> datetime:
    try:
        moment = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise HttpError(422, "Paramètres invalides : « updated_since » : date hors des limites.") from None


def _with_rank(access: Access, dossiers: QuerySet[Dossier], rank: str) -> QuerySet[Dossier]:
    """Filter on the rank the user may read, so that the filter reveals no unpublished opinion: the draft
    for who reads drafts (as Access.can_read_opinion_draft), the latest published version for the others."""
    published = published_projects(dossiers.values("committee_id").distinct())
    return with_shown(access, dossiers, published).filter(shown_rank=rank)


@router.get("/dossiers", response={200: DossierPage, **ERRORS}, summary="Dossiers visibles")
def dossier_list(request, query: Query[DossierQuery]):
    access = Access(request.auth)
    dossiers = access.dossiers()
    if query.call is not None:
        dossiers = dossiers.filter(call_id=query.call)
    if query.region is not None:
        dossiers = dossiers.filter(committee__region=query.region)
    if query.state is not None:
        dossiers = dossiers.filter(state=query.state)
    if query.landlord is not None:
        dossiers = dossiers.filter(carried_by({query.landlord}))
    if query.public is not None:
        dossiers = dossiers.filter(publics=query.public)
    if query.updated_since is not None:
        dossiers = dossiers.filter(updated_at__gte=_aware(query.updated_since))
    if query.rank is not None:
        dossiers = _with_rank(access, dossiers, query.rank)
    listed = page(dossiers.select_related("lead_landlord"), query)
    with_named(listed["items"])
    return listed


def with_named(dossiers: list[Dossier]) -> None:
    """Sets each dossier's `named`: its co-landlords, partners and publics as (id, name), in one query per
    relation. Django's prefetch builds a manager and a queryset per dossier: it was most of a page's time."""
    for dossier in dossiers:
        dossier.named = {relation: [] for relation in LISTED}
    by_pk = {dossier.pk: dossier for dossier in dossiers}
    for relation in LISTED:
        field = Dossier._meta.get_field(relation)
        target = field.m2m_reverse_field_name()
        rows = (
            field.remote_field.through.objects.filter(dossier_id__in=by_pk)
            .order_by(f"{target}__name", f"{target}_id")
            .values_list("dossier_id", f"{target}_id", f"{target}__name")
        )
        for dossier_id, pk, name in rows:
            by_pk[dossier_id].named[relation].append({"id": pk, "name": name})


@router.get("/dossiers/{dossier_id}", response={200: DossierDetailOut, **ERRORS}, summary="Un dossier")
def dossier_detail(request, dossier_id: int = Path(..., ge=1, le=MAX_ID)):
    dossier = Access(request.auth).dossier_or_404(dossier_id)
    with_named([dossier])
    prefetch_related_objects([dossier], "strands", "territories", "budget_lines")
    return dossier


@router.get("/dossiers/{dossier_id}/opinion", response={200: OpinionOut, **ERRORS}, summary="Avis sur un dossier")
def dossier_opinion(request, dossier_id: int = Path(..., ge=1, le=MAX_ID)):
    """The draft to who may read drafts, else the dossier's section of the latest published version."""
    access = Access(request.auth)
    dossier = access.dossier_or_404(dossier_id)
    shown, reason = shown_opinion(access, dossier, published_projects([dossier.committee_id]))
    if shown is None:
        raise Http404(reason)
    return shown


@router.get(
    "/dossiers/{dossier_id}/decision",
    response={200: DecisionOut, **ERRORS},
    summary="Décision sur un dossier (nationale ou régionale, selon l'appel)",
)
def dossier_decision(request, dossier_id: int = Path(..., ge=1, le=MAX_ID)):
    access = Access(request.auth)
    dossier = access.dossier_or_404(dossier_id)
    decision = getattr(dossier, "decision", None)
    if decision is None:
        raise Http404(f"Aucune {dossier.call.decision_name} sur ce dossier.")
    if not access.can_read_decision(decision):
        raise Http404(f"Aucune {dossier.call.decision_name} notifiée sur ce dossier.")
    return decision


@router.get("/dossiers/{dossier_id}/reports", response={200: ReportPage, **ERRORS}, summary="Bilans d'un dossier")
def dossier_reports(request, query: Query[PageQuery], dossier_id: int = Path(..., ge=1, le=MAX_ID)):
    access = Access(request.auth)
    dossier = access.dossier_or_404(dossier_id)
    return page(dossier.reports.filter(access.reports(dossier)).prefetch_related("households", "spend"), query)
