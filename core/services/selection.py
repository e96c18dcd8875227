"""The national selection of a call: its regions side by side, the totals and what needs the secretariat's
attention, all aggregated in SQL; the dossiers themselves are read a page at a time. So the page costs the
same whether the call holds a hundred dossiers or ten thousand."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Page
from django.db.models import Count, Q, QuerySet, Sum

from core.formats import euros
from core.models import BudgetLine, Call, Committee, Dossier
from core.paging import page_in_committees
from core.permissions import Access
from core.reading import reads_draft
from core.workflow import SELECTED

PER_PAGE = 50
# Alerts of one kind beyond this number are summed up in one line: the page lists, it does not drown.
ALERTS_PER_KIND = 20
PROGRAMME = Q(funder__in=BudgetLine.PROGRAMME_FUNDERS)


@dataclass
class Region:
    committee: Committee
    dossiers: int = 0
    requested: Decimal = Decimal(0)
    granted: Decimal = Decimal(0)
    to_notify: int = 0


@dataclass
class Selection:
    regions: list[Region] = field(default_factory=list)
    requested: Decimal = Decimal(0)
    granted: Decimal = Decimal(0)
    alerts: list[str] = field(default_factory=list)

    @property
    def dossiers(self) -> int:
        return sum(region.dossiers for region in self.regions)


def selected(call: Call) -> QuerySet[Dossier]:
    return call.dossiers.filter(state__in=SELECTED)


def selection(call: Call, access: Access) -> Selection:
    """Each region's dossiers, amounts and decisions to notify, the call's totals and the alerts, as this reader may
    read them: decisions not yet notified and the committees' working opinions only for who reads them. One query
    for the figures, one more for each kind of alert that has projects to name."""
    committees = {c.pk: c for c in call.committees.all()}
    cap = call.cap_per_project
    decisions = access.decisions("decision__")
    over = {}
    if cap is not None:
        over = {"over_asked": Q(requested__gt=cap), "over_granted": Q(decision__amount_granted__gt=cap) & decisions}
    rows = (
        selected(call)
        .order_by()
        .values("committee_id")
        .annotate(
            dossiers=Count("pk"),
            asked=Sum("requested", default=Decimal(0)),
            granted=Sum("decision__amount_granted", default=Decimal(0), filter=decisions),
            to_notify=Count("decision", filter=Q(decision__notified_at__isnull=True) & decisions),
            retained=Count("opinion", filter=Q(opinion__retained=True)),
            unranked=Count("opinion", filter=Q(opinion__retained=True, opinion__rank="")),
            **{name: Count("pk", filter=condition) for name, condition in over.items()},
        )
    )
    result, unranked, over_counts = Selection(), [], dict.fromkeys(over, 0)
    for row in rows:
        committee = committees[row["committee_id"]]
        result.regions.append(Region(committee, row["dossiers"], row["asked"], row["granted"], row["to_notify"]))
        if (row["unranked"] or not row["retained"]) and access.reads_every_draft(committee.pk):
            unranked.append(committee)
        for name in over:
            over_counts[name] += row[name]
    result.regions.sort(key=lambda region: (region.committee.region, region.committee.name, region.committee.pk))
    result.requested = sum((region.requested for region in result.regions), Decimal(0))
    result.granted = sum((region.granted for region in result.regions), Decimal(0))
    if cap is not None:
        result.alerts += _over_the_cap(call, decisions, **over_counts)
    result.alerts += [f"{c.name} : rangs de priorité manquants dans l'avis du comité." for c in unranked]
    if call.national_envelope is not None and result.granted > call.national_envelope:
        result.alerts.append(
            f"Les montants accordés ({euros(result.granted)}) dépassent l'enveloppe nationale "
            f"({euros(call.national_envelope)})."
        )
    return result


def _over_the_cap(call: Call, decisions: Q, over_asked: int, over_granted: int) -> list[str]:
    """The projects over the cap, named up to ALERTS_PER_KIND of each kind; the counts come from selection().
    Those asking too much are read from an index, even when there are none, so that the page's queries stay the
    same; amounts granted over the cap, an anomaly, only when there are some: looking for none walks the call."""
    cap, label = call.cap_per_project, ("committee__name", "number", "title")
    dossiers = selected(call).order_by("committee__region", "committee__name", "number")
    asked = dossiers.filter(requested__gt=cap).values_list(*label, "requested")
    granted = dossiers.filter(Q(decision__amount_granted__gt=cap) & decisions).values_list(
        *label, "decision__amount_granted"
    )
    return [
        *_alerts(asked, "demande de {amount}, au-delà du plafond ({cap})", cap),
        *_beyond(over_asked, "demandent plus que le plafond"),
        *(_alerts(granted, "montant accordé au-delà du plafond ({cap})", cap) if over_granted else []),
        *_beyond(over_granted, "ont reçu plus que le plafond"),
    ]


def _alerts(rows: QuerySet, each: str, cap: Decimal) -> list[str]:
    return [
        f"{name}, projet N°{number} « {title} » : {each.format(amount=euros(amount), cap=euros(cap))}."
        for name, number, title, amount in rows[:ALERTS_PER_KIND]
    ]


def _beyond(count: int, what: str) -> list[str]:
    others = count - ALERTS_PER_KIND
    if others <= 0:
        return []
    plural = "s" if others > 1 else ""
    return [f"… et {others} autre{plural} projet{plural} {what}."]


def selection_page(call: Call, access: Access, result: Selection, committee: Committee | None, number) -> Page:
    """One page of the selection's dossiers, of one committee or of all, in the regions' order: the regions'
    counts place the page, so that only the committees it spans are sorted, not the whole call."""
    regions = [region for region in result.regions if committee is None or region.committee == committee]
    return page_in_committees(
        [(region.committee.pk, region.dossiers) for region in regions],
        selected(call).order_by("committee__region", "committee__name", "committee_id", "number"),
        selected(call)
        .select_related("committee", "lead_landlord", "opinion", "decision")
        .annotate(reads_draft=reads_draft(access)),
        PER_PAGE,
        number,
    )
