from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q

from core import departments
from core.identifiers import validate_rna, validate_siren_or_siret
from core.text import name_key


class Organisation(models.Model):
    class Kind(models.TextChoices):
        LANDLORD = "bailleur", "Bailleur social"
        ASSOCIATION = "association", "Association ou opérateur"
        AR_HLM = "ar_hlm", "Association régionale Hlm"
        STATE_SERVICE = "etat", "Service de l'État"
        DEPARTMENTAL_SERVICE = "etat_dep", "Service départemental de l'État"
        NATIONAL = "national", "Niveau national"
        FUNDER = "financeur", "Financeur"
        OTHER = "autre", "Autre"

    class LegalForm(models.TextChoices):
        OPH = "oph", "Office public de l'habitat (OPH)"
        ESH = "esh", "SA d'HLM – entreprise sociale pour l'habitat (ESH)"
        COOP = "coop", "Société coopérative d'HLM (SCIC, SCP)"
        SEM = "sem", "Société d'économie mixte (SEM)"
        ASSOCIATION = "association", "Association"
        FOUNDATION = "fondation", "Fondation"
        LOCAL_AUTHORITY = "collectivite", "Collectivité territoriale ou groupement"
        STATE = "etat", "État"
        OTHER = "autre", "Autre"

    # The forms only an Hlm body has.
    HLM_FORMS = (LegalForm.OPH, LegalForm.ESH, LegalForm.COOP)
    # Who carries a dossier, as lead or co-carrier: a social landlord, or an association with Hlm bodies as
    # co-carriers (issue #21: associations carry projects, at least 30 % of them with an Hlm body).
    CARRIER_KINDS = (Kind.LANDLORD, Kind.ASSOCIATION)

    name = models.CharField("nom", max_length=255, unique=True)
    # The name as it is compared (core.text.name_key), set on each save: "LOGEO MÉDITERRANÉE" and "Logeo
    # Mediterranee" are one organisation, which the database holds to.
    folded_name = models.CharField(
        "nom comparé",
        max_length=255,
        unique=True,
        editable=False,
        error_messages={
            "unique": "Un organisme porte déjà ce nom, comparé sans majuscules, accents, espaces ni ponctuation."
        },
    )
    siret = models.CharField(
        "SIREN ou SIRET",
        max_length=14,
        blank=True,
        validators=[validate_siren_or_siret],
        help_text="9 chiffres (SIREN) ou 14 (SIRET), sans espaces ; leur clé de contrôle est vérifiée.",
    )
    rna = models.CharField(
        "numéro RNA",
        max_length=10,
        blank=True,
        validators=[validate_rna],
        help_text="Pour une association : W suivi de 9 chiffres.",
    )
    short_name = models.CharField("nom court", max_length=80, blank=True)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    legal_form = models.CharField("forme juridique", max_length=20, choices=LegalForm.choices, blank=True)
    logo = models.FileField(
        "logo",
        upload_to="logos/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg"])],
        help_text="PNG ou JPEG, imprimé au-dessus de l'en-tête dans l'avis conjoint.",
    )
    letterhead = models.TextField(
        "en-tête", blank=True, help_text="Lignes de l'en-tête des documents, telles qu'elles sont imprimées."
    )

    class Meta:
        verbose_name = "organisme"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(legal_form__in=["oph", "esh", "coop"]) | Q(kind="bailleur"),
                name="hlm_legal_forms_only_for_landlords",
            ),
            models.CheckConstraint(
                condition=Q(rna="") | Q(legal_form__in=["", "association"]), name="rna_only_for_associations"
            ),
            models.UniqueConstraint(fields=["siret"], condition=~Q(siret=""), name="unique_siret"),
            models.UniqueConstraint(fields=["rna"], condition=~Q(rna=""), name="unique_rna"),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    def save(self, *args, **kwargs):
        self.folded_name = name_key(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "folded_name"}
        super().save(*args, **kwargs)

    def clean(self):
        # Before validate_unique(), which then holds the name as compared unique.
        self.folded_name = name_key(self.name)
        if self.rna and self.legal_form not in ("", self.LegalForm.ASSOCIATION):
            raise ValidationError({"rna": "Seule une association a un numéro RNA."})
        if self.legal_form in self.HLM_FORMS and self.kind != self.Kind.LANDLORD:
            raise ValidationError({"legal_form": "Cette forme juridique est celle d'un bailleur social."})

    @property
    def is_hlm(self) -> bool:
        """An Hlm body (organisme Hlm): a social landlord, unless it is a SEM, which builds social housing without
        being one. A landlord whose legal form is not given counts as one: the kind says it is a social landlord."""
        return self.kind == self.Kind.LANDLORD and self.legal_form != self.LegalForm.SEM

    @classmethod
    def hlm_bodies(cls, prefix: str = "") -> models.Q:
        """is_hlm as a filter (prefix: the path from the rows filtered to their organisation); legal_form is never
        NULL, so the negation needs no IS NULL."""
        return models.Q(**{f"{prefix}kind": cls.Kind.LANDLORD}) & ~models.Q(
            **{f"{prefix}legal_form": cls.LegalForm.SEM}
        )


def instructor_department() -> models.CharField:
    """The department whose dossiers a departmental instructor pre-instructs for its committee (its INSEE code): a
    membership's, or the one an invitation gives. Blank for every other role."""
    return models.CharField(
        "département",
        max_length=3,
        choices=departments.CHOICES,
        blank=True,
        help_text="Pour un instructeur départemental : le département dont il instruit les dossiers.",
    )


def instructor_has_committee_and_department(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(role="instructeur_dep", committee__isnull=False) & ~Q(department="")
        | ~Q(role="instructeur_dep") & Q(department=""),
        name=name,
    )


class Membership(models.Model):
    """What a user does, and for whom: the roles of DESIGN §2."""

    class Role(models.TextChoices):
        LANDLORD_STAFF = "porteur", "Porteur de projet (bailleur)"
        COMMITTEE_MEMBER = "membre_comite", "Membre de comité régional"
        SECRETARIAT = "secretariat", "Secrétariat national"
        OBSERVER = "observateur", "Observateur (financeur)"
        EXPERT = "expert", "Expert invité (avis consultatif)"
        DEPARTMENTAL_INSTRUCTOR = "instructeur_dep", "Instructeur départemental"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name="utilisateur"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name="organisme"
    )
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    committee = models.ForeignKey(
        "core.Committee",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name="comité",
        help_text="Pour un membre : son comité. Pour un observateur : le comité qu'il peut consulter (vide = tous).",
    )
    department = instructor_department()

    class Meta:
        verbose_name = "rattachement"
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="membre_comite") | Q(committee__isnull=False),
                name="committee_member_has_committee",
            ),
            instructor_has_committee_and_department("departmental_instructor_has_committee_and_department"),
            models.UniqueConstraint(
                fields=["user", "organisation", "role", "committee", "department"], name="unique_membership"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.organisation}"
