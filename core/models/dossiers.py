import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core import departments
from core.filetypes import TYPES
from core.formats import euros
from core.models.calls import DOCUMENT_NAME_LENGTH, Strand


class Dossier(models.Model):
    class State(models.TextChoices):
        DRAFT = "brouillon", "Brouillon"
        SUBMITTED = "depose", "Déposé"
        INCOMPLETE = "incomplet", "Incomplet"
        IN_INSTRUCTION = "instruction", "En instruction"
        OPINION_SIGNED = "avis_signe", "Avis signé"
        RETAINED = "retenu", "Retenu"
        NOT_RETAINED = "non_retenu", "Non retenu"
        DEFERRED = "ajourne", "Ajourné"
        UNDER_AGREEMENT = "conventionne", "Conventionné"
        REPORTING = "suivi", "En suivi"
        CLOSED = "clos", "Clos"
        WITHDRAWN = "retire", "Retiré"

    call = models.ForeignKey("core.Call", on_delete=models.PROTECT, related_name="dossiers", verbose_name="appel")
    committee = models.ForeignKey(
        "core.Committee", on_delete=models.PROTECT, related_name="dossiers", verbose_name="comité régional"
    )
    number = models.PositiveIntegerField("numéro", help_text="Numéro du projet au sein du comité.")
    title = models.CharField("nom du projet", max_length=500)
    summary = models.TextField("résumé", blank=True)
    lead_landlord = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="led_dossiers", verbose_name="bailleur social"
    )
    co_landlords = models.ManyToManyField(
        "core.Organisation", blank=True, related_name="co_carried_dossiers", verbose_name="bailleurs associés"
    )
    partners = models.ManyToManyField(
        "core.Organisation", blank=True, related_name="partnered_dossiers", verbose_name="partenaires opérateurs"
    )
    publics = models.ManyToManyField("core.Public", blank=True, related_name="dossiers", verbose_name="publics cibles")
    duration_years = models.PositiveSmallIntegerField(
        "durée (années)", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    households_total = models.PositiveIntegerField(
        "nombre total de ménages accompagnés",
        null=True,
        blank=True,
        help_text="Sur toute la durée du projet ; égal à la somme des ménages par volet et par année.",
    )
    evaluation_plan = models.TextField("modalités d'évaluation", blank=True)
    renews = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="renewals",
        verbose_name="renouvelle le dossier",
    )
    renewal_note = models.CharField(
        "projet renouvelé (hors aap)",
        max_length=500,
        blank=True,
        help_text="Projet antérieur renouvelé, lorsqu'il n'est pas dans aap.",
    )
    state = models.CharField("état", max_length=20, choices=State.choices, default=State.DRAFT, db_index=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    submitted_at = models.DateTimeField("déposé le", null=True, blank=True)

    # What the dossier asks of the programme (FNAVDL and FSI) over its whole duration: the sum of its budget
    # lines, kept by core.services.budgets, so that a call's totals and the dossiers over the cap are read
    # from the dossiers alone. Derived, so not in the history.
    requested = models.DecimalField(
        "montant demandé au programme (€)", max_digits=14, decimal_places=2, default=Decimal(0), editable=False
    )

    history = HistoricalRecords(
        verbose_name="historique du dossier",
        m2m_fields=[co_landlords, partners, publics],
        excluded_fields=["requested"],
    )

    class Meta:
        verbose_name = "dossier"
        ordering = ["committee", "number"]
        indexes = [
            # The national selection reads a call's dossiers in some states, committee by committee, from the
            # index: in the committee's order, its figures are summed without a sort.
            models.Index(fields=["call", "committee", "state"], name="dossier_call_committee_state"),
            # The API pages a call's dossiers in id order (keyset), without walking the whole primary key.
            models.Index(fields=["call", "id"], name="dossier_call_keyset"),
            # The selection names the projects of a call that ask more than its cap: those alone, from the index.
            models.Index(fields=["call", "requested"], name="dossier_call_requested"),
            # A committee's landlords (its page's filter), its counts by state and a member's conflicts there, read
            # from the index alone.
            models.Index(fields=["committee", "lead_landlord", "state"], name="dossier_committee_landlord"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["committee", "number"], name="unique_dossier_number_per_committee"),
            models.CheckConstraint(
                condition=Q(renews__isnull=True) | ~Q(renews=models.F("id")), name="dossier_does_not_renew_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"N°{self.number} — {self.title}"


class DossierStrand(models.Model):
    """Households the dossier promises to accompany in one strand, one year of the project."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="strands", verbose_name="dossier")
    strand = models.CharField("volet", max_length=20, choices=Strand.choices)
    year = models.PositiveSmallIntegerField("année du projet", validators=[MinValueValidator(1)])
    households = models.PositiveIntegerField("ménages")

    history = HistoricalRecords(verbose_name="historique des volets")

    class Meta:
        verbose_name = "volet (ménages par année)"
        verbose_name_plural = "volets (ménages par année)"
        ordering = ["dossier", "strand", "year"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "strand", "year"], name="unique_strand_year_per_dossier"),
            models.CheckConstraint(condition=Q(year__gte=1), name="strand_year_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.get_strand_display()}, année {self.year} : {self.households} ménages"


class Territory(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="territories", verbose_name="dossier")
    # Its INSEE code ("13", "2A", "974"), from the list shipped with the application (core.departments).
    department = models.CharField("département", max_length=3, choices=departments.CHOICES)
    commune = models.CharField("commune", max_length=255, blank=True)
    qpv = models.BooleanField("quartier prioritaire (QPV)", default=False)
    qpv_name = models.CharField("nom du QPV", max_length=255, blank=True)

    history = HistoricalRecords(verbose_name="historique des territoires")

    class Meta:
        verbose_name = "territoire"
        ordering = ["dossier", "department", "commune"]

    def __str__(self) -> str:
        place = departments.label(self.department)
        place = f"{self.commune}, {place}" if self.commune else place
        return f"{place}, QPV" if self.qpv else place


class BudgetLine(models.Model):
    class Funder(models.TextChoices):
        FNAVDL = "fnavdl", "FNAVDL"
        FSI = "fsi", "FSI (CGLLS)"
        OWN_FUNDS = "fonds_propres", "Fonds propres"
        LOCAL_AUTHORITIES = "collectivites", "Collectivités locales"
        OTHER = "autre", "Autre financeur"

    PROGRAMME_FUNDERS = (Funder.FNAVDL, Funder.FSI)

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="budget_lines", verbose_name="dossier")
    year = models.PositiveSmallIntegerField("année du projet", validators=[MinValueValidator(1)])
    funder = models.CharField("financeur", max_length=20, choices=Funder.choices)
    label = models.CharField("intitulé", max_length=255, blank=True)
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)

    history = HistoricalRecords(verbose_name="historique du budget")

    class Meta:
        verbose_name = "ligne budgétaire"
        verbose_name_plural = "lignes budgétaires"
        ordering = ["dossier", "year", "funder"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_amount_not_negative"),
            models.CheckConstraint(condition=Q(year__gte=1), name="budget_year_from_one"),
        ]

    def __str__(self) -> str:
        label = f" « {self.label} »" if self.label else ""
        return f"Année {self.year}, {self.get_funder_display()}{label} : {euros(self.amount)}"


class StateTransition(models.Model):
    """Who moved a dossier from one state to another, and when."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="transitions", verbose_name="dossier")
    from_state = models.CharField("état de départ", max_length=20, choices=Dossier.State.choices, blank=True)
    to_state = models.CharField("état d'arrivée", max_length=20, choices=Dossier.State.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, verbose_name="par"
    )
    at = models.DateTimeField("le", auto_now_add=True)
    message = models.TextField("message", blank=True)

    class Meta:
        verbose_name = "changement d'état"
        verbose_name_plural = "changements d'état"
        ordering = ["dossier", "at", "id"]

    def __str__(self) -> str:
        return f"{self.dossier} : {self.get_from_state_display()} → {self.get_to_state_display()}"


def attachment_path(attachment: "Attachment", filename: str) -> str:
    # The stored name is the unguessable id, with the extension of what the content is (never the name's):
    # a server or a tool reading the folder takes it for what it is.
    return f"dossiers/{attachment.dossier_id}/{attachment.uuid}.{TYPES[attachment.kind].extension}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        DOCX = "docx", "Word (DOCX)"
        XLSX = "xlsx", "Excel (XLSX)"
        ODT = "odt", "OpenDocument (ODT)"

    uuid = models.UUIDField("identifiant", default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments", verbose_name="dossier")
    message = models.ForeignKey(
        "core.Message",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name="message",
    )
    file = models.FileField("fichier", upload_to=attachment_path)
    name = models.CharField("nom du fichier", max_length=255)
    # One of the documents the call asks (Call.documents), or OTHER_DOCUMENT; a message's attachment has none.
    document_type = models.CharField("type de pièce", max_length=DOCUMENT_NAME_LENGTH, blank=True)
    kind = models.CharField("format", max_length=10, choices=Kind.choices)
    size = models.PositiveIntegerField("taille (octets)")
    # What the file holds, to know a second copy of it: empty for a file stored before it was kept, and lost.
    sha256 = models.CharField("empreinte SHA-256", max_length=64, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, verbose_name="déposé par"
    )
    uploaded_at = models.DateTimeField("déposé le", auto_now_add=True)

    class Meta:
        verbose_name = "pièce jointe"
        verbose_name_plural = "pièces jointes"
        ordering = ["dossier", "uploaded_at"]
        constraints = [
            # A file is joined to its dossier once; a message's attachment belongs to the thread, which may send
            # again a file the dossier holds.
            models.UniqueConstraint(
                fields=["dossier", "sha256"],
                condition=Q(message__isnull=True) & ~Q(sha256=""),
                name="unique_attachment_per_dossier",
            ),
        ]

    def __str__(self) -> str:
        return self.name
