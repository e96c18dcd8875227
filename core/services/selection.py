"""The national selection of a call: its regions side by side, the totals and what needs the secretariat's
attention, all aggregated in SQL; the dossiers themselves are read a page at a time. So the page costs the
same whether the call holds a hundred dossiers or ten thousand."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from core.formats import euros
from core.models import BudgetLine, Call, Committee, Dossier
from core.services.decisions import DECIDABLE_STATES, STATE_OF

# From the signed opinion on: the dossiers the national committee decides on, or has decided on.
SELECTED_STATES = [
    *DECIDABLE_STATES,
    *STATE_OF.values(),
    Dossier.State.UNDER_AGREEMENT,
    Dossier.State.REPORTING,
    Dossier.State.CLOSED,
]
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
    return call.dossiers.filter(state__in=SELECTED_STATES)


def selection(call: Call) -> Selection:
    """Each region's dossiers, amounts and decisions to notify, the call's totals and the alerts."""
    committees = {c.pk: c for c in call.committees.all()}
    rows = (
        selected(call)
        .order_by()
        .values("committee_id")
        .annotate(
            dossiers=Count("pk"),
            granted=Sum("decision__amount_granted", default=Decimal(0)),
            to_notify=Count("decision", filter=Q(decision__notified_at__isnull=True)),
            retained=Count("opinion", filter=Q(opinion__retained=True)),
            unranked=Count("opinion", filter=Q(opinion__retained=True, opinion__priority="")),
        )
    )
    requested = dict(
        BudgetLine.objects.filter(PROGRAMME, dossier__in=selected(call))
        .order_by()
        .values_list("dossier__committee_id")
        .annotate(Sum("amount"))
    )
    result, unranked = Selection(), []
    for row in rows:
        committee = committees[row["committee_id"]]
        region = Region(committee, row["dossiers"], requested.get(committee.pk, Decimal(0)), row["granted"])
        region.to_notify = row["to_notify"]
        result.regions.append(region)
        if row["unranked"] or not row["retained"]:
            unranked.append(committee)
    result.regions.sort(key=lambda region: (region.committee.region, region.committee.name))
    result.requested = sum((region.requested for region in result.regions), Decimal(0))
    result.granted = sum((region.granted for region in result.regions), Decimal(0))
    if call.cap_per_project is not None:
        result.alerts += _over_the_cap(call)
    result.alerts += [f"{c.name} : rangs de priorité manquants dans l'avis du comité." for c in unranked]
    if call.national_envelope is not None and result.granted > call.national_envelope:
        result.alerts.append(
            f"Les montants accordés ({euros(result.granted)}) dépassent l'enveloppe nationale "
            f"({euros(call.national_envelope)})."
        )
    return result


def _over_the_cap(call: Call) -> list[str]:
    cap, label = call.cap_per_project, ("committee__name", "number", "title")
    # Summed dossier by dossier through the budget lines' index, not by grouping every line of the call.
    asked = (
        BudgetLine.objects.filter(PROGRAMME, dossier=OuterRef("pk"))
        .order_by()
        .values("dossier")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    dossiers = selected(call).order_by("committee__region", "committee__name", "number")
    over_asked = dossiers.annotate(asked=Subquery(asked)).filter(asked__gt=cap).values_list(*label, "asked")
    over_granted = dossiers.filter(decision__amount_granted__gt=cap).values_list(*label, "decision__amount_granted")
    return [
        *_alerts(over_asked, "demande de {amount}, au-delà du plafond ({cap})", "demandent plus que le plafond", cap),
        *_alerts(over_granted, "montant accordé au-delà du plafond ({cap})", "ont reçu plus que le plafond", cap),
    ]


def _alerts(rows: QuerySet, each: str, beyond: str, cap: Decimal) -> list[str]:
    found = list(rows[: ALERTS_PER_KIND + 1])
    alerts = [
        f"{name}, projet N°{number} « {title} » : {each.format(amount=euros(amount), cap=euros(cap))}."
        for name, number, title, amount in found[:ALERTS_PER_KIND]
    ]
    if len(found) > ALERTS_PER_KIND:
        others = rows.count() - ALERTS_PER_KIND
        alerts.append(f"… et {others} autre{'s' if others > 1 else ''} projet{'s' if others > 1 else ''} {beyond}.")
    return alerts


def selection_page(call: Call, result: Selection, committee: Committee | None, number) -> Page:
    """One page of the selection's dossiers (of one committee, or all), each with what it asks of the programme."""
    dossiers = selected(call).select_related("committee", "lead_landlord", "opinion", "decision")
    counted = result.regions
    if committee is not None:
        dossiers = dossiers.filter(committee=committee)
        counted = [region for region in result.regions if region.committee == committee]
    paginator = Paginator(dossiers.order_by("committee__region", "committee__name", "number"), PER_PAGE)
    # Already counted by selection(): the paginator need not count again.
    paginator.count = sum(region.dossiers for region in counted)
    page = paginator.get_page(number)
    asked = dict(
        BudgetLine.objects.filter(PROGRAMME, dossier__in=[d.pk for d in page])
        .values_list("dossier_id")
        .annotate(Sum("amount"))
    )
    for dossier in page:
        dossier.requested = asked.get(dossier.pk, Decimal(0))
    return page
