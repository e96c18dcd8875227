import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, prefetch_related_objects

from core.models.seats import Seat
from core.regions import Region


class Strand(models.TextChoices):
    ACCESS = "acces", "Accès"
    KEEPING = "maintien", "Maintien"
    TRANSFER = "mutation", "Mutation"


class Public(models.Model):
    """A target public (people leaving prison, women victims of violence...)."""

    name = models.CharField("nom", max_length=255, unique=True)

    class Meta:
        verbose_name = "public cible"
        verbose_name_plural = "publics cibles"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# What a dossier joins before it is submitted, unless the call asks otherwise; and the type of any other document.
REQUIRED_DOCUMENTS = (
    "Délibération du conseil d'administration",
    "Budget prévisionnel détaillé",
    "Lettres d'engagement des partenaires",
)
OTHER_DOCUMENT = "Autre document"
# The longest name of a document: an attachment's type holds it.
DOCUMENT_NAME_LENGTH = 255


def default_required_documents() -> str:
    return "\n".join(REQUIRED_DOCUMENTS)


class RuleMode(models.TextChoices):
    """How a rule of the call is held at the selection: shown as a warning, or blocking the notification."""

    WARNING = "avertissement", "Avertissement"
    BLOCKING = "bloquant", "Bloquant"


def _mode(label: str) -> models.CharField:
    return models.CharField(
        label,
        max_length=20,
        choices=RuleMode.choices,
        default=RuleMode.WARNING,
        help_text="Bloquant : tant que la règle n'est pas respectée, les décisions ne sont pas notifiées.",
    )


def _percent(label: str, default: int, help_text: str) -> models.PositiveSmallIntegerField:
    validators = [MinValueValidator(0), MaxValueValidator(100)]
    return models.PositiveSmallIntegerField(
        label, null=True, blank=True, default=default, validators=validators, help_text=help_text
    )


class Call(models.Model):
    class Status(models.TextChoices):
        DRAFT = "preparation", "En préparation"
        OPEN = "ouvert", "Ouvert aux dépôts"
        CLOSED = "clos", "Dépôts clos"
        DECIDED = "decide", "Sélection arrêtée"
        ARCHIVED = "archive", "Archivé"

    class Process(models.TextChoices):
        """Who decides on the dossiers, and notifies and agrees them: the process is the call's data, and the
        workflow's policies read it (core/policies.py, decider)."""

        NATIONAL = "national", "Sélection nationale (appels 2014–2018)"
        REGIONAL = "regional", "Décision régionale (FNAVDL, depuis 2020)"

    title = models.CharField("intitulé", max_length=255)
    edition = models.PositiveSmallIntegerField("édition", unique=True, null=True, blank=True)
    year = models.PositiveSmallIntegerField("année")
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.DRAFT)
    process = models.CharField(
        "processus de décision",
        max_length=20,
        choices=Process.choices,
        default=Process.NATIONAL,
        help_text="Choisi à la création de l'appel : il ne change plus une fois l'appel ouvert.",
    )
    advisory_opinions_published = models.BooleanField(
        "avis consultatifs publiés",
        default=False,
        help_text="Les avis des membres à voix consultative sont imprimés dans l'avis conjoint ; sinon, seuls les "
        "co-présidents les lisent.",
    )
    opens_on = models.DateField("ouverture", null=True, blank=True)
    submission_deadline = models.DateTimeField("date limite de dépôt", null=True, blank=True)
    instruction_deadline = models.DateField("date limite d'instruction régionale", null=True, blank=True)
    national_envelope = models.DecimalField(
        "enveloppe nationale (€)", max_digits=14, decimal_places=2, null=True, blank=True
    )
    cap_per_project = models.DecimalField(
        "plafond par projet (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_duration_years = models.PositiveSmallIntegerField("durée maximale (années)", default=3)
    departmental_preinstruction = models.BooleanField(
        "pré-instruction départementale",
        default=False,
        help_text="Le service départemental de l'État de chaque département d'un dossier donne son avis avant que le "
        "comité régional signe le sien.",
    )
    # The call's rules, checked over the dossiers retained (core/selection_rules.py).
    hlm_share_min = _percent(
        "part minimale de dossiers Hlm (%)",
        30,
        "Part des dossiers retenus portés ou co-portés par un organisme Hlm. Vide : pas de minimum.",
    )
    hlm_share_mode = _mode("règle de la part Hlm")
    fund_share_max = _percent(
        "part maximale du fonds dans les dépenses (%)",
        50,
        "Pour chaque dossier retenu : montant accordé sur le budget total du projet. Vide : pas de maximum.",
    )
    fund_share_mode = _mode("règle de la part du fonds")
    cap_mode = _mode("règle du plafond par projet")
    envelope_mode = _mode("règle des enveloppes régionales")
    publics = models.ManyToManyField(Public, blank=True, verbose_name="publics proposés")
    strands = models.JSONField("volets proposés", default=list, blank=True)
    required_documents = models.TextField(
        "pièces demandées",
        blank=True,
        default=default_required_documents,
        help_text="Une par ligne : chaque dossier les joint avant d'être déposé.",
    )
    # The grantor its open data name (SCDL « Subventions »: nomAttribuant, idAttribuant): the body that signs the
    # agreements, whose SIRET the published file must give.
    grantor = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="attribuant des subventions",
        help_text="L'organisme qui signe les conventions : son nom et son SIRET sont publiés avec les subventions.",
    )
    # Only the call's export URL carries it: a file of every dossier is not found by counting ids.
    uuid = models.UUIDField("identifiant des exports", default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = "appel à projets"
        verbose_name_plural = "appels à projets"
        ordering = ["-edition"]

    def __str__(self) -> str:
        return self.title

    @property
    def decision_name(self) -> str:
        """What its decisions are called on its pages and in its e-mails, as its process says who takes them."""
        return "décision régionale" if self.process == self.Process.REGIONAL else "décision nationale"

    @property
    def decider_name(self) -> str:
        """Who decides and notifies, as its pages and e-mails name them."""
        return "le comité régional" if self.process == self.Process.REGIONAL else "le secrétariat national"

    def documents(self) -> list[str]:
        """The documents a dossier of this call joins before it is submitted, in the call's order, each once."""
        return list(dict.fromkeys(line.strip() for line in self.required_documents.splitlines() if line.strip()))


class Committee(models.Model):
    """A regional committee (CPR), co-chaired by two or three institutions (the AR Hlm, the State's regional services),
    with advisory members since 2020: its seats (core.models.seats)."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="committees", verbose_name="appel")
    name = models.CharField("nom", max_length=255)
    region = models.CharField("région", max_length=2, choices=Region.choices, blank=True)
    instructed_on = models.DateField("date de l'instruction", null=True, blank=True)
    envelope = models.DecimalField(
        "enveloppe régionale (€)",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Ce que les montants accordés aux dossiers retenus de la région ne dépassent pas.",
    )
    dossiers_received = models.PositiveIntegerField(
        "nombre de dossiers reçus", null=True, blank=True, help_text="Tel qu'annoncé par l'avis conjoint importé."
    )
    # Only the URLs of the committee's files (PROJET draft, exports) carry it; its pages keep the integer id.
    uuid = models.UUIDField("identifiant des documents", default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = "comité régional"
        verbose_name_plural = "comités régionaux"
        ordering = ["call", "name"]
        constraints = [
            models.UniqueConstraint(fields=["call", "name"], name="unique_committee_name_per_call"),
            models.UniqueConstraint(
                fields=["call", "region"], condition=~Q(region=""), name="unique_committee_region_per_call"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.call.year})"

    def _seats(self) -> list:
        """Its seats in their order, read once per instance (core.models.seats: each with its organisation), or from
        prefetch_related("seats") when a list of committees asked for them."""
        prefetch_related_objects([self], "seats")
        return sorted(self.seats.all(), key=lambda seat: seat.position)

    def seat_of(self, organisation_id: int):
        """The seat this organisation holds in the committee, if any."""
        return next((seat for seat in self._seats() if seat.organisation_id == organisation_id), None)

    @property
    def institutions(self) -> list:
        """The co-chairing institutions, in the order the committee names them: each signs its opinions."""
        return [seat.organisation for seat in self._seats() if seat.kind == Seat.Kind.CO_CHAIR]

    @property
    def advisers(self) -> list:
        """The advisory members: each gives its own opinion on the dossiers, never signs nor decides."""
        return [seat.organisation for seat in self._seats() if seat.kind == Seat.Kind.ADVISORY]
