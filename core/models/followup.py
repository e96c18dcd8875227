"""After the regions: the national decision, the agreement and its payments, the yearly reports."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from core.formats import euros
from core.models.calls import Strand
from core.models.dossiers import BudgetLine


class Decision(models.Model):
    class Outcome(models.TextChoices):
        RETAINED = "retenu", "Retenu"
        NOT_RETAINED = "non_retenu", "Non retenu"
        DEFERRED = "ajourne", "Ajourné"

    dossier = models.OneToOneField(
        "core.Dossier", on_delete=models.CASCADE, related_name="decision", verbose_name="dossier"
    )
    outcome = models.CharField("décision", max_length=20, choices=Outcome.choices)
    amount_granted = models.DecimalField("montant accordé (€)", max_digits=12, decimal_places=2, null=True, blank=True)
    conditions = models.TextField("conditions", blank=True)
    decided_at = models.DateTimeField("décidé le", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="décidé par",
    )
    notified_at = models.DateTimeField("notifié le", null=True, blank=True)

    class Meta:
        verbose_name = "décision nationale"
        verbose_name_plural = "décisions nationales"
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_granted__isnull=True) | Q(outcome="retenu"), name="amount_only_when_retained"
            ),
            models.CheckConstraint(
                condition=Q(amount_granted__isnull=True) | Q(amount_granted__gte=0), name="amount_granted_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} — {self.dossier}"


class Agreement(models.Model):
    dossier = models.OneToOneField(
        "core.Dossier", on_delete=models.CASCADE, related_name="agreement", verbose_name="dossier"
    )
    amount = models.DecimalField("montant conventionné (€)", max_digits=12, decimal_places=2)
    signed_on = models.DateField("signée le", null=True, blank=True)
    starts_on = models.DateField("début")
    ends_on = models.DateField("fin")
    # When the grant entered the call's open data (core/grants.py); a grant of 23 000 € or more is due there within
    # three months of the signature (décret n° 2017-779).
    published_at = models.DateTimeField("publiée en données ouvertes le", null=True, blank=True)

    class Meta:
        verbose_name = "convention"
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="agreement_ends_after_start"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="agreement_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Convention — {self.dossier}"


class PaymentTranche(models.Model):
    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="tranches", verbose_name="convention"
    )
    order = models.PositiveSmallIntegerField("rang", validators=[MinValueValidator(1)])
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)
    condition = models.CharField("condition de versement", max_length=255, blank=True)
    due_on = models.DateField("échéance", null=True, blank=True)
    paid_on = models.DateField("versé le", null=True, blank=True)

    class Meta:
        verbose_name = "tranche de versement"
        verbose_name_plural = "tranches de versement"
        ordering = ["agreement", "order"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "order"], name="unique_tranche_order"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="tranche_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Tranche {self.order} — {euros(self.amount)}"


class Report(models.Model):
    """The landlord's yearly report, or the final evaluation that closes the dossier."""

    class State(models.TextChoices):
        DRAFT = "brouillon", "Brouillon"
        SUBMITTED = "transmis", "Transmis"
        RETURNED = "renvoye", "Renvoyé pour compléments"
        VALIDATED = "valide", "Validé"

    dossier = models.ForeignKey(
        "core.Dossier", on_delete=models.CASCADE, related_name="reports", verbose_name="dossier"
    )
    year = models.PositiveSmallIntegerField("année du projet", validators=[MinValueValidator(1)])
    is_final = models.BooleanField("évaluation finale", default=False)
    state = models.CharField("état", max_length=20, choices=State.choices, default=State.DRAFT)
    entries_into_housing = models.PositiveIntegerField("entrées dans le logement", default=0)
    evictions_avoided = models.PositiveIntegerField("expulsions évitées", default=0)
    transfers = models.PositiveIntegerField("mutations réalisées", default=0)
    comment = models.TextField("commentaire", blank=True)
    submitted_at = models.DateTimeField("transmis le", null=True, blank=True)
    # Shown to the landlord until the report is sent again; the trail keeps every return's.
    returned_message = models.TextField("motif du renvoi", blank=True)

    class Meta:
        verbose_name = "bilan annuel"
        verbose_name_plural = "bilans annuels"
        ordering = ["dossier", "year"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "year", "is_final"], name="one_report_per_year"),
        ]

    def __str__(self) -> str:
        kind = "Évaluation finale" if self.is_final else f"Bilan année {self.year}"
        return f"{kind} — {self.dossier}"


class ReportHouseholds(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="households", verbose_name="bilan")
    strand = models.CharField("volet", max_length=20, choices=Strand.choices)
    households = models.PositiveIntegerField("ménages accompagnés")

    class Meta:
        verbose_name = "ménages accompagnés (bilan)"
        verbose_name_plural = "ménages accompagnés (bilan)"
        constraints = [models.UniqueConstraint(fields=["report", "strand"], name="unique_report_strand")]

    def __str__(self) -> str:
        return f"{self.get_strand_display()} : {self.households} ménages"


class ReportSpend(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="spend", verbose_name="bilan")
    funder = models.CharField("financeur", max_length=20, choices=BudgetLine.Funder.choices)
    amount = models.DecimalField("dépense (€)", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "dépense (bilan)"
        verbose_name_plural = "dépenses (bilan)"
        constraints = [
            models.UniqueConstraint(fields=["report", "funder"], name="unique_report_funder"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="report_spend_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_funder_display()} : {euros(self.amount)}"
