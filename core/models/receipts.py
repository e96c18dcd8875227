import uuid

from django.conf import settings
from django.db import models


def receipt_path(receipt: "Receipt", filename: str) -> str:
    return f"recepisses/{receipt.dossier_id}/{receipt.uuid}.pdf"


class Receipt(models.Model):
    """The receipt of a submission: the dossier as it was submitted, its SHA-256, and the PDF given to the landlord.
    Kept with the dossier, one per submission (a dossier returned and submitted again has a second one)."""

    uuid = models.UUIDField("identifiant", default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey("core.Dossier", on_delete=models.CASCADE, related_name="receipts",
                                verbose_name="dossier")  # fmt: skip
    submitted_at = models.DateTimeField("déposé le", auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                     related_name="+", verbose_name="déposé par")  # fmt: skip
    content = models.JSONField("contenu déposé")
    sha256 = models.CharField("SHA-256 du contenu déposé", max_length=64)
    pdf = models.FileField("récépissé (PDF)", upload_to=receipt_path, blank=True)
    pdf_sha256 = models.CharField("SHA-256 du PDF", max_length=64, blank=True)

    class Meta:
        verbose_name = "récépissé de dépôt"
        verbose_name_plural = "récépissés de dépôt"
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"Récépissé du {self.submitted_at:%d/%m/%Y} — {self.dossier}"
