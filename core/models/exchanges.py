"""Talking about a dossier: the thread with the landlord, the committee's notes, experts' advice."""

from django.conf import settings
from django.db import models


class Message(models.Model):
    """A message between the committee and the landlord, read by both sides."""

    dossier = models.ForeignKey(
        "core.Dossier", on_delete=models.CASCADE, related_name="messages", verbose_name="dossier"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="auteur")
    from_committee = models.BooleanField("envoyé par le comité")
    body = models.TextField("message")
    created_at = models.DateTimeField("envoyé le", auto_now_add=True)

    class Meta:
        verbose_name = "message"
        ordering = ["dossier", "created_at", "id"]

    def __str__(self) -> str:
        return f"Message de {self.author} sur {self.dossier}"


class Note(models.Model):
    """A note among committee members; the landlord never sees it."""

    dossier = models.ForeignKey("core.Dossier", on_delete=models.CASCADE, related_name="notes", verbose_name="dossier")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="auteur")
    body = models.TextField("note")
    created_at = models.DateTimeField("écrite le", auto_now_add=True)

    class Meta:
        verbose_name = "note du comité"
        verbose_name_plural = "notes du comité"
        ordering = ["dossier", "created_at", "id"]

    def __str__(self) -> str:
        return f"Note de {self.author} sur {self.dossier}"


class ExpertRequest(models.Model):
    """An advisory opinion asked from an invited expert, read by the committee only."""

    dossier = models.ForeignKey(
        "core.Dossier", on_delete=models.CASCADE, related_name="expert_requests", verbose_name="dossier"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert_requests", verbose_name="expert"
    )
    question = models.TextField("question posée")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="demandé par"
    )
    requested_at = models.DateTimeField("demandé le", auto_now_add=True)
    advice = models.TextField("avis consultatif", blank=True)
    answered_at = models.DateTimeField("rendu le", null=True, blank=True)

    class Meta:
        verbose_name = "demande d'avis d'expert"
        verbose_name_plural = "demandes d'avis d'expert"
        ordering = ["dossier", "requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "expert"], name="one_request_per_expert_and_dossier"),
        ]

    def __str__(self) -> str:
        return f"Avis de {self.expert} sur {self.dossier}"
