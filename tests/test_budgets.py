"""The amount a dossier asks of the programme, kept on the dossier as its budget lines change."""

from decimal import Decimal

from core.models import BudgetLine, Dossier
from core.services.budgets import requested_refresh
from tests.factories import DossierFactory


def requested(dossier) -> Decimal:
    return Dossier.objects.values_list("requested", flat=True).get(pk=dossier.pk)


def test_the_requested_amount_follows_the_programme_lines(db):
    dossier = DossierFactory()
    assert requested(dossier) == 0
    fnavdl = BudgetLine.objects.create(dossier=dossier, year=1, funder="fnavdl", amount=Decimal("1000.50"))
    BudgetLine.objects.create(dossier=dossier, year=2, funder="fsi", amount=Decimal("500"))
    # Other funders are not the programme's.
    BudgetLine.objects.create(dossier=dossier, year=1, funder="fonds_propres", amount=Decimal("9999"))
    assert requested(dossier) == Decimal("1500.50")
    fnavdl.amount = Decimal("2000")
    fnavdl.save()
    assert requested(dossier) == Decimal("2500")
    fnavdl.delete()
    assert requested(dossier) == Decimal("500")
    dossier.budget_lines.all().delete()
    assert requested(dossier) == 0


def test_a_refresh_repairs_what_bulk_inserts_left(db):
    dossier, other = DossierFactory(), DossierFactory()
    BudgetLine.objects.bulk_create(
        [BudgetLine(dossier=d, year=1, funder="fnavdl", amount=Decimal("700")) for d in (dossier, other)]
    )
    assert requested(dossier) == requested(other) == 0
    assert requested_refresh(Dossier.objects.filter(pk=dossier.pk)) == 1
    assert (requested(dossier), requested(other)) == (Decimal("700"), 0)
