"""The dossiers exported as a file, by a task: asked for by one user, readable by that user alone, for a week."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

# How long an export is kept, from when it was asked for: the schedule deletes it, file and row, after that.
KEPT_DAYS = 7


class Export(models.Model):
    class State(models.TextChoices):
        QUEUED = "en_attente", "En attente"
        RUNNING = "en_cours", "En cours"
        READY = "pret", "Prêt"
        FAILED = "echec", "Échec"

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (XLSX)"
        CSV = "csv", "CSV"

    # Named by a uuid in its URLs, never by a counter (SECURITY.md).
    uuid = models.UUIDField("identifiant", default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports", verbose_name="demandé par"
    )
    # What is exported: the dossiers of one committee, or of one whole call.
    committee = models.ForeignKey(
        "core.Committee", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name="comité"
    )
    call = models.ForeignKey(
        "core.Call", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name="appel"
    )
    format = models.CharField("format", max_length=4, choices=Format.choices)
    state = models.CharField("état", max_length=20, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField("dossiers à exporter", null=True, blank=True)
    rows_done = models.PositiveIntegerField("dossiers exportés", default=0)
    file = models.FileField("fichier", upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField("nom du fichier", max_length=200)
    requested_at = models.DateTimeField("demandé le", auto_now_add=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "export"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(committee__isnull=True, call__isnull=False) | Q(committee__isnull=False, call__isnull=True),
                name="export_of_a_committee_or_a_call",
            ),
            # Asked twice while it runs, an export is the same job (core.services.exports.export_request).
            *[
                models.UniqueConstraint(
                    fields=["requested_by", subject, "format"],
                    condition=Q(state__in=["en_attente", "en_cours"], **{f"{subject}__isnull": False}),
                    name=f"one_running_export_per_{subject}",
                )
                for subject in ("committee", "call")
            ],
        ]

    def __str__(self) -> str:
        return self.filename
