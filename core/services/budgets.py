"""What a dossier asks of the programme, kept on the dossier as its budget lines change."""

from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.models import BudgetLine, Dossier


def programme_total() -> Coalesce:
    """The sum of a dossier's FNAVDL and FSI lines, as an expression on dossiers (0 without any)."""
    lines = (
        BudgetLine.objects.filter(dossier=OuterRef("pk"), funder__in=BudgetLine.PROGRAMME_FUNDERS)
        .order_by()
        .values("dossier")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(lines), Decimal(0))


def requested_refresh(dossiers: QuerySet[Dossier]) -> int:
    """Writes each dossier's requested amount from its lines: after writes that send no signal (bulk inserts)."""
    return dossiers.update(requested=programme_total())


@receiver([post_save, post_delete], sender=BudgetLine)
def _budget_line_written(sender, instance: BudgetLine, **kwargs) -> None:
    # In the same transaction as the line: the amount is never seen out of step with it.
    requested_refresh(Dossier.objects.filter(pk=instance.dossier_id))
