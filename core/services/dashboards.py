"""Figures for the dashboards: a few aggregate queries over the dossiers a reader may see."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from core.models import Decision, Dossier, DossierStrand, PaymentTranche, Public, Report, ReportHouseholds, Strand
from core.permissions import SENT_REPORTS, Access


@dataclass
class Chart:
    title: str
    rows: list[tuple[str, int | Decimal]]
    unit: str = ""

    @property
    def bars(self) -> list[dict]:
        """Each row's bar, as a share of the width, scaled to the largest."""
        top = max((value for _, value in self.rows), default=0) or 1
        # A drawing: floats are fine here, not in totals.
        return [
            {"label": label, "value": value, "width": round(100 * float(value) / float(top), 1)}
            for label, value in self.rows
        ]


def dashboard(dossiers: QuerySet[Dossier], access: Access) -> tuple[int, list[Chart]]:
    """The number of dossiers and the charts. Every query is an aggregate over these dossiers: the national
    dashboard reads the whole programme, so none of them joins more than its figures need. The amounts granted are
    those of the decisions this reader reads (Access.decisions), as the national selection sums them; the reports
    counted are those sent (SENT_REPORTS); the amounts paid, those of the dossiers this reader follows
    (Access.followed), as the dossier page shows them, and for no one else."""
    states = dict(Dossier.State.choices)
    by_state = list(dossiers.values("state").annotate(n=Count("pk"), requested=Sum("requested")).order_by("state"))
    by_public = Public.objects.filter(dossiers__in=dossiers).annotate(n=Count("dossiers")).order_by("-n", "name")[:12]
    promised = dict(
        # order_by(): a strand's default order is its dossier's, which joined the committee and the call.
        DossierStrand.objects.filter(dossier__in=dossiers)
        .order_by()
        .values_list("strand")
        .annotate(n=Sum("households"))
    )
    reported = dict(
        ReportHouseholds.objects.filter(
            report__in=Report.objects.filter(SENT_REPORTS, dossier__in=dossiers, is_final=False)
        )
        .values_list("strand")
        .annotate(n=Sum("households"))
    )
    requested = sum((row["requested"] for row in by_state), Decimal(0))
    decided = Decision.objects.filter(access.decisions(), dossier__in=dossiers)
    granted = decided.aggregate(total=Sum("amount_granted"))["total"]
    money = [("Demandé", requested), ("Accordé", granted)]
    if access.follows_any:
        paid = PaymentTranche.objects.filter(
            agreement__dossier__in=dossiers.filter(access.followed()), paid_on__isnull=False
        ).aggregate(total=Sum("amount"))["total"]
        money.append(("Versé", paid))
    return sum(row["n"] for row in by_state), [
        Chart("Dossiers par état", [(states[row["state"]], row["n"]) for row in by_state]),
        Chart("Dossiers par public", [(public.name, public.n) for public in by_public]),
        Chart("Ménages promis par volet", [(label, promised.get(value, 0)) for value, label in Strand.choices]),
        Chart(
            "Ménages accompagnés (bilans) par volet",
            [(label, reported.get(value, 0)) for value, label in Strand.choices],
        ),
        Chart("Montants (€)", [(label, total or Decimal(0)) for label, total in money], unit="€"),
    ]
