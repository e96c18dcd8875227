"""A past avis conjoint imported from its file: uploaded, read by a task, reviewed, then written or cancelled."""

import uuid

from django.conf import settings
from django.db import models


class ArchiveImport(models.Model):
    class State(models.TextChoices):
        PARSING = "en_lecture", "En lecture"
        READY = "a_verifier", "À vérifier"
        REFUSED = "refuse", "Refusé"
        CONFIRMED = "importe", "Importé"
        CANCELLED = "annule", "Annulé"

    # Named by a uuid in its URLs, never by a counter (SECURITY.md).
    uuid = models.UUIDField("identifiant", default=uuid.uuid4, unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="déposé par"
    )
    created_at = models.DateTimeField("déposé le", auto_now_add=True)
    # The committee the document speaks of, known once it is written (it may not exist before).
    committee = models.ForeignKey(
        "core.Committee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="archive_imports",
        verbose_name="comité",
    )
    # The region the document names, once read: a committee member imports for their own region only.
    region = models.CharField("région", max_length=2, blank=True)
    file = models.FileField("fichier", upload_to="imports/%Y/%m/")
    filename = models.CharField("nom du fichier", max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    state = models.CharField("état", max_length=20, choices=State.choices, default=State.PARSING)
    # The document as read (documents/joint_opinion_parser.py's as_json, its letterheads and each field's confidence),
    # and the text it was read from.
    document = models.JSONField("document lu", default=dict, blank=True)
    text = models.TextField("texte lu", blank=True)
    # What the reviewer changed before writing: {"header": {field: value}, "projects": {"3": {field: value}}}.
    corrections = models.JSONField("corrections", default=dict, blank=True)
    # The landlord of each name the document gives: {name: organisation id, or None to create it}.
    landlord_links = models.JSONField("rapprochement des bailleurs", default=dict, blank=True)
    error = models.TextField("motif du refus", blank=True)
    # A PDF's pages read so far, out of its pages, while it is read: the page follows them.
    pages_read = models.PositiveIntegerField("pages lues", default=0)
    pages = models.PositiveIntegerField("pages", null=True, blank=True)
    # What writing it changed: {"created": [...], "updated": [...]}.
    changes = models.JSONField("changements", default=dict, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "import d'avis conjoint"
        verbose_name_plural = "imports d'avis conjoints"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename
