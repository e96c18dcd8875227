import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core import departments


class Verdict(models.TextChoices):
    FAVORABLE = "favorable", "Favorable"
    RESERVED = "reserve", "Réservé"
    UNFAVORABLE = "defavorable", "Défavorable"


SMILEYS = {Verdict.FAVORABLE: "☺", Verdict.RESERVED: "😐", Verdict.UNFAVORABLE: "☹"}


class Rank(models.TextChoices):
    P1 = "P1", "P1"
    P2 = "P2", "P2"
    P3 = "P3", "P3"


class Opinion(models.Model):
    """The committee's opinion on one dossier, one per dossier; publishing copies it into a JointOpinion version."""

    dossier = models.OneToOneField(
        "core.Dossier", on_delete=models.CASCADE, related_name="opinion", verbose_name="dossier"
    )
    verdict = models.CharField("avis", max_length=20, choices=Verdict.choices, blank=True)
    questions = models.TextField("questions soulevées", blank=True)
    remarks = models.TextField("remarques / avis global", blank=True)
    retained = models.BooleanField("retenu", default=False)
    rank = models.CharField("rang de classement", max_length=2, choices=Rank.choices, blank=True)
    # Incremented on every save so that a second editor working on a stale copy is refused.
    # Counts the saves, so that an editor does not overwrite unawares what another saved meanwhile.
    revision = models.PositiveIntegerField("révision", default=1)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    history = HistoricalRecords(verbose_name="historique de l'avis")

    class Meta:
        verbose_name = "avis du comité"
        verbose_name_plural = "avis du comité"
        constraints = [
            models.CheckConstraint(condition=Q(rank="") | Q(retained=True), name="rank_only_when_retained"),
        ]

    def __str__(self) -> str:
        return f"Avis sur {self.dossier}"

    @property
    def smiley(self) -> str:
        return SMILEYS.get(self.verdict, "")


class OpinionSignature(models.Model):
    """One co-chairing institution's signature; the opinion is final when both have signed."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="signatures", verbose_name="avis")
    institution = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, verbose_name="institution")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="signataire",
        help_text="Vide lorsque l'avis provient d'un document signé importé.",
    )
    signed_at = models.DateTimeField("signé le", auto_now_add=True)

    class Meta:
        verbose_name = "signature d'avis"
        verbose_name_plural = "signatures d'avis"
        constraints = [
            models.UniqueConstraint(fields=["opinion", "institution"], name="one_signature_per_institution"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} — {self.opinion}"


class ClearedSignature(models.Model):
    """A signature that an edit of the opinion cleared: what was signed is no longer what is written. Shown to the
    committee, and told to the institution's members, until the institution signs again."""

    opinion = models.ForeignKey(
        Opinion, on_delete=models.CASCADE, related_name="cleared_signatures", verbose_name="avis"
    )
    institution = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, verbose_name="institution")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="signataire",
    )  # fmt: skip
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="modifié par",
    )  # fmt: skip
    cleared_at = models.DateTimeField("effacée le", auto_now=True)

    class Meta:
        verbose_name = "signature effacée"
        verbose_name_plural = "signatures effacées"
        constraints = [
            models.UniqueConstraint(fields=["opinion", "institution"], name="one_cleared_signature_per_institution"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} — {self.opinion} (effacée)"


class DepartmentalOpinion(models.Model):
    """The opinion of a department's State service on a dossier that covers it, on a call with a departmental
    pre-instruction (Call.departmental_preinstruction): the regional committee reads it before it signs its own."""

    dossier = models.ForeignKey(
        "core.Dossier", on_delete=models.CASCADE, related_name="departmental_opinions", verbose_name="dossier"
    )
    department = models.CharField("département", max_length=3, choices=departments.CHOICES)
    verdict = models.CharField("avis", max_length=20, choices=Verdict.choices)
    reasons = models.TextField("motifs", blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="donné par"
    )
    given_at = models.DateTimeField("donné le")

    class Meta:
        verbose_name = "avis départemental"
        verbose_name_plural = "avis départementaux"
        ordering = ["dossier", "department"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "department"], name="one_departmental_opinion_per_department"),
            # A reserved or unfavourable opinion says why: the committee weighs its reasons.
            models.CheckConstraint(
                condition=Q(verdict="favorable") | ~Q(reasons=""), name="departmental_opinion_reasons_unless_favorable"
            ),
        ]

    def __str__(self) -> str:
        return f"Avis de {departments.label(self.department)} sur {self.dossier}"

    def clean(self):
        self.reasons = self.reasons.strip()
        if self.verdict and self.verdict != Verdict.FAVORABLE and not self.reasons:
            raise ValidationError(
                {"reasons": f"Un avis « {self.get_verdict_display().lower()} » dit ses motifs : le comité les pèse."}
            )

    @property
    def smiley(self) -> str:
        return SMILEYS.get(self.verdict, "")


class JointOpinion(models.Model):
    """A published version of a committee's avis conjoint: frozen content and its SHA-256."""

    class Source(models.TextChoices):
        PUBLISHED = "publication", "Publié dans aap"
        IMPORTED = "import", "Importé d'un document"

    committee = models.ForeignKey(
        "core.Committee", on_delete=models.PROTECT, related_name="joint_opinions", verbose_name="comité"
    )
    version = models.PositiveIntegerField("version")
    # The published document's URLs carry this id, not (committee, version), which anyone could count through.
    uuid = models.UUIDField("identifiant", default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField("origine", max_length=20, choices=Source.choices)
    # The document's data as published (call, region, projects with their opinions), rendered by the
    # page and the DOCX/PDF exports; never modified once written.
    content = models.JSONField("contenu figé")
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    source_text = models.TextField("texte du document importé", blank=True)
    published_at = models.DateTimeField("publié le", auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, verbose_name="publié par"
    )
    # The whole document, rendered once by a task after publication (documents/joint_opinion_files.py), each file
    # with its SHA-256; empty until then.
    pdf = models.FileField("PDF", upload_to="avis-conjoints/", blank=True)
    pdf_sha256 = models.CharField("empreinte SHA-256 du PDF", max_length=64, blank=True)
    docx = models.FileField("DOCX", upload_to="avis-conjoints/", blank=True)
    docx_sha256 = models.CharField("empreinte SHA-256 du DOCX", max_length=64, blank=True)

    class Meta:
        verbose_name = "avis conjoint publié"
        verbose_name_plural = "avis conjoints publiés"
        ordering = ["committee", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "version"], name="unique_joint_opinion_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="joint_opinion_version_from_one"),
        ]

    def __str__(self) -> str:
        return f"Avis conjoint {self.committee} v{self.version}"
