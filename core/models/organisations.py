from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q


class Organisation(models.Model):
    class Kind(models.TextChoices):
        LANDLORD = "bailleur", "Bailleur social"
        ASSOCIATION = "association", "Association ou opérateur"
        AR_HLM = "ar_hlm", "Association régionale Hlm"
        STATE_SERVICE = "etat", "Service de l'État"
        NATIONAL = "national", "Niveau national"
        FUNDER = "financeur", "Financeur"
        OTHER = "autre", "Autre"

    class LegalForm(models.TextChoices):
        OPH = "oph", "Office public de l'habitat (OPH)"
        ESH = "esh", "Entreprise sociale pour l'habitat (ESH)"
        SEM = "sem", "Société d'économie mixte (SEM)"
        COOP = "coop", "Coopérative Hlm"

    name = models.CharField("nom", max_length=255, unique=True)
    short_name = models.CharField("nom court", max_length=80, blank=True)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    legal_form = models.CharField("forme juridique", max_length=10, choices=LegalForm.choices, blank=True)
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
                condition=Q(legal_form="") | Q(kind="bailleur"),
                name="legal_form_only_for_landlords",
            )
        ]

    def __str__(self) -> str:
        return self.short_name or self.name


class Membership(models.Model):
    """What a user does, and for whom: the roles of DESIGN §2."""

    class Role(models.TextChoices):
        LANDLORD_STAFF = "porteur", "Porteur de projet (bailleur)"
        COMMITTEE_MEMBER = "membre_comite", "Membre de comité régional"
        SECRETARIAT = "secretariat", "Secrétariat national"
        OBSERVER = "observateur", "Observateur (financeur)"
        EXPERT = "expert", "Expert invité (avis consultatif)"

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

    class Meta:
        verbose_name = "rattachement"
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="membre_comite") | Q(committee__isnull=False),
                name="committee_member_has_committee",
            ),
            models.UniqueConstraint(fields=["user", "organisation", "role", "committee"], name="unique_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.organisation}"
