"""After the decision: the agreement and its payments, the yearly reports and the final evaluation."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.audit import audit, snapshot
from core.formats import euros
from core.models import (
    Agreement,
    BudgetLine,
    Dossier,
    PaymentTranche,
    Report,
    ReportHouseholds,
    ReportSpend,
    Strand,
)
from core.services.dossiers import dossier_transition, locked
from core.services.notifications import notify_report_returned
from core.tasks import enqueue_on_commit
from core.workflow import check

State = Dossier.State


class FollowupRefused(Exception):
    """The message is for the user."""


def remaining(agreement: Agreement) -> Decimal:
    """What is still to be paid under the agreement."""
    paid = agreement.tranches.filter(paid_on__isnull=False).aggregate(total=Sum("amount"))["total"]
    return agreement.amount - (paid or Decimal(0))


@transaction.atomic
def agreement_create(
    *,
    dossier: Dossier,
    amount: Decimal,
    signed_on: date | None,
    starts_on: date,
    ends_on: date,
    tranches: list[dict],
    by,
) -> Agreement:
    """The agreement of a retained dossier, with its payment tranches adding up to its amount."""
    dossier = locked(dossier)
    check(by, "agreement.create", dossier)
    granted = dossier.decision.amount_granted
    if amount > granted:
        raise FollowupRefused(f"La convention ({euros(amount)}) dépasse le montant accordé ({euros(granted)}).")
    total = sum((t["amount"] for t in tranches), start=Decimal(0))
    if total != amount:
        raise FollowupRefused(
            f"Les tranches ({euros(total)}) doivent faire le montant de la convention ({euros(amount)})."
        )
    agreement = Agreement(dossier=dossier, amount=amount, signed_on=signed_on, starts_on=starts_on, ends_on=ends_on)
    agreement.full_clean()
    agreement.save()
    PaymentTranche.objects.bulk_create(
        PaymentTranche(agreement=agreement, order=order, **tranche) for order, tranche in enumerate(tranches, 1)
    )
    dossier_transition(dossier=dossier, to_state=State.UNDER_AGREEMENT, by=by, message="Convention signée.")
    after = {**snapshot(agreement, AGREEMENT), "tranches": [str(t["amount"]) for t in tranches]}
    audit("agreement.create", by=by, subject=agreement, dossier=dossier, after=after)
    return agreement


@transaction.atomic
def tranche_pay(*, tranche: PaymentTranche, paid_on: date, by) -> PaymentTranche:
    tranche = (
        PaymentTranche.objects.select_for_update(of=("self",)).select_related("agreement__dossier").get(pk=tranche.pk)
    )
    check(by, "tranche.pay", tranche)
    if paid_on > timezone.localdate():
        raise FollowupRefused("Un versement ne peut pas être daté dans le futur.")
    tranche.paid_on = paid_on
    tranche.save(update_fields=["paid_on"])
    audit("tranche.pay", by=by, subject=tranche, dossier=tranche.agreement.dossier,
          before={"paid_on": None}, after=snapshot(tranche, ("order", "amount", "paid_on")))  # fmt: skip
    return tranche


AGREEMENT = ("amount", "signed_on", "starts_on", "ends_on")
REVIEWED = ("state", "returned_message")


@transaction.atomic
def report_save(
    *,
    dossier: Dossier,
    year: int,
    is_final: bool,
    values: dict,
    households: dict[str, int],
    spend: dict[str, Decimal],
    submit: bool,
    by,
) -> Report:
    """Save the landlord's report for a year (or the final evaluation); submitting sends it to the secretariat."""
    dossier = locked(dossier)
    if not 1 <= year <= (dossier.duration_years or 1):
        raise FollowupRefused(f"Le projet dure {dossier.duration_years or 1} an(s) : pas de bilan pour l'année {year}.")
    report = Report.objects.filter(dossier=dossier, year=year, is_final=is_final).first() or Report(
        dossier=dossier, year=year, is_final=is_final
    )
    report.dossier = dossier
    check(by, "report.submit" if submit else "report.save", report)
    for name, value in values.items():
        setattr(report, name, value)
    # As the workflow leads them: sent, or a draft again until it is sent (a report returned for completion too).
    report.state = Report.State.SUBMITTED if submit else Report.State.DRAFT
    if submit:
        report.submitted_at = timezone.now()
        report.returned_message = ""
    report.full_clean()
    report.save()
    report.households.all().delete()
    ReportHouseholds.objects.bulk_create(
        ReportHouseholds(report=report, strand=strand, households=count) for strand, count in households.items()
    )
    report.spend.all().delete()
    ReportSpend.objects.bulk_create(
        ReportSpend(report=report, funder=funder, amount=amount) for funder, amount in spend.items() if amount
    )
    if submit and dossier.state == State.UNDER_AGREEMENT:
        dossier_transition(dossier=dossier, to_state=State.REPORTING, by=by, message="Premier bilan transmis.")
    return report


@transaction.atomic
def report_review(*, report: Report, validate: bool, message: str, by) -> Report:
    """The secretariat validates a submitted report, or returns it for completion; the final evaluation,
    once validated, closes the dossier."""
    report = Report.objects.select_for_update(of=("self",)).select_related("dossier__committee__call").get(pk=report.pk)
    check(by, "report.validate" if validate else "report.return", report)
    before = snapshot(report, REVIEWED)
    if not validate and not message.strip():
        raise FollowupRefused("Expliquez au porteur ce qui manque au bilan.")
    report.state = Report.State.VALIDATED if validate else Report.State.RETURNED
    report.returned_message = "" if validate else message.strip()
    report.save(update_fields=["state", "returned_message"])
    action = "report.validate" if validate else "report.return"
    audit(action, by=by, subject=report, dossier=report.dossier, before=before, after=snapshot(report, REVIEWED),
          message=message.strip())  # fmt: skip
    if not validate:
        enqueue_on_commit(notify_report_returned, report.pk)
    if validate and report.is_final and report.dossier.state == State.REPORTING:
        dossier_transition(
            dossier=report.dossier, to_state=State.CLOSED, by=by, message="Évaluation finale validée : dossier clos."
        )
    return report


@dataclass(frozen=True)
class Compared:
    """One line of a report against the dossier's promise: a strand's households, or a funder's spend."""

    label: str
    promised: Decimal
    reported: Decimal

    @property
    def difference(self) -> Decimal:
        return self.reported - self.promised

    @property
    def ratio(self) -> int | None:
        """The reported share of the promise, in percent; None where nothing was promised."""
        return round(self.reported * 100 / self.promised) if self.promised else None


def report_against_promise(report: Report) -> tuple[list[Compared], list[Compared]]:
    """The households per strand and the spend per funder that the report gives, against what the dossier promised
    for its year (every year, for the final evaluation): what the secretariat reviews it on."""
    years = {} if report.is_final else {"year": report.year}
    dossier = report.dossier
    promised = dict(dossier.strands.filter(**years).values_list("strand").annotate(total=Sum("households")).order_by())
    reported = dict(report.households.values_list("strand").annotate(total=Sum("households")).order_by())
    households = [
        Compared(label, Decimal(promised.get(strand, 0)), Decimal(reported.get(strand, 0)))
        for strand, label in Strand.choices
        if strand in promised or strand in reported
    ]
    budget = dict(dossier.budget_lines.filter(**years).values_list("funder").annotate(total=Sum("amount")).order_by())
    spent = dict(report.spend.values_list("funder").annotate(total=Sum("amount")).order_by())
    spend = [
        Compared(label, budget.get(funder) or Decimal(0), spent.get(funder) or Decimal(0))
        for funder, label in BudgetLine.Funder.choices
        if funder in budget or funder in spent
    ]
    return households, spend
