"""The audit trail: who did what, when, with the values before and after."""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One action of the workflow that changed money, a decision, a review, a call's status or a membership.

    A dossier's own state changes are its StateTransition rows; this trail holds the rest. Rows are only ever added.
    """

    at = models.DateTimeField("le", auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="par"
    )
    # The workflow's qualified action name (core/workflow.py), e.g. "decision.record".
    action = models.CharField("action", max_length=60)
    # What it acted on, named as it was (the object may be deleted since), and the dossier, committee or call whose
    # pages show it.
    subject = models.CharField("objet", max_length=500)
    dossier = models.ForeignKey(
        "core.Dossier",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name="dossier",
    )
    committee = models.ForeignKey(
        "core.Committee",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name="comité",
    )
    call = models.ForeignKey(
        "core.Call", on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events", verbose_name="appel"
    )
    before = models.JSONField("avant", default=dict, blank=True)
    after = models.JSONField("après", default=dict, blank=True)
    message = models.TextField("message", blank=True)

    class Meta:
        verbose_name = "événement du journal"
        verbose_name_plural = "journal des actions"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.action} — {self.subject}"
