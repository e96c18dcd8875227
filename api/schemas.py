"""What the API returns: plain fields, ids for relations, French labels next to the codes."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Schema

from core.formats import label
from core.models import Decision, Dossier, Report


class Error(Schema):
    detail: str


class CallOut(Schema):
    id: int
    title: str
    edition: int | None
    year: int
    status: str
    opens_on: date | None
    submission_deadline: datetime | None
    cap_per_project: Decimal | None
    max_duration_years: int


class CommitteeOut(Schema):
    id: int
    call_id: int
    name: str
    region: str
    instructed_on: date | None


class Named(Schema):
    id: int
    name: str


def _named(relation: str) -> staticmethod:
    return staticmethod(lambda dossier: dossier.named[relation])


class DossierOut(Schema):
    """Its co-landlords, partners and publics are read by api.dossiers.with_named()."""

    id: int
    call_id: int
    committee_id: int
    number: int
    title: str
    state: Literal[tuple(Dossier.State.values)]
    state_label: str
    lead_landlord: Named
    co_landlords: list[Named]
    partners: list[Named]
    publics: list[Named]
    duration_years: int | None
    households_total: int | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None

    resolve_co_landlords = _named("co_landlords")
    resolve_partners = _named("partners")
    resolve_publics = _named("publics")

    @staticmethod
    def resolve_state_label(dossier: Dossier) -> str:
        return label(Dossier.State, dossier.state)


class StrandOut(Schema):
    strand: str
    year: int
    households: int


class TerritoryOut(Schema):
    department: str
    commune: str
    qpv: bool
    qpv_name: str


class BudgetLineOut(Schema):
    year: int
    funder: str
    label: str
    amount: Decimal


class DossierDetailOut(DossierOut):
    summary: str
    evaluation_plan: str
    renews_id: int | None
    renewal_note: str
    strands: list[StrandOut]
    territories: list[TerritoryOut]
    budget_lines: list[BudgetLineOut]


class OpinionOut(Schema):
    """The committee's working copy (published_version null) or the dossier's section of the latest
    published avis conjoint."""

    verdict: str
    rank: str | None
    questions: str
    remarks: str
    published_version: int | None


class JointOpinionOut(Schema):
    id: int
    version: int
    source: str
    published_at: datetime
    sha256: str
    content: dict


class DecisionOut(Schema):
    outcome: Literal[tuple(Decision.Outcome.values)]
    amount_granted: Decimal | None
    conditions: str
    decided_at: datetime
    notified_at: datetime | None


class ReportHouseholdsOut(Schema):
    strand: str
    households: int


class ReportSpendOut(Schema):
    funder: str
    amount: Decimal


class ReportOut(Schema):
    id: int
    year: int
    is_final: bool
    state: Literal[tuple(Report.State.values)]
    entries_into_housing: int
    evictions_avoided: int
    transfers: int
    comment: str
    submitted_at: datetime | None
    households: list[ReportHouseholdsOut]
    spend: list[ReportSpendOut]


class Page(Schema):
    next: str | None


class CallPage(Page):
    items: list[CallOut]


class CommitteePage(Page):
    items: list[CommitteeOut]


class DossierPage(Page):
    items: list[DossierOut]


class JointOpinionPage(Page):
    items: list[JointOpinionOut]


class ReportPage(Page):
    items: list[ReportOut]
