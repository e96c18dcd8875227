from django.conf import settings
from django.db import models


class SeatManager(models.Manager):
    def get_queryset(self):
        # A seat is read for its organisation: its name, its letterhead, whom its members represent.
        return super().get_queryset().select_related("organisation")


class Seat(models.Model):
    """An organisation's place in a regional committee: a co-chair signs the committee's opinions and decides with the
    other co-chairs; an advisory member gives its own opinion on each dossier, and never signs nor decides."""

    class Kind(models.TextChoices):
        CO_CHAIR = "copresidence", "Co-présidence"
        ADVISORY = "consultatif", "Voix consultative"

    committee = models.ForeignKey(
        "core.Committee", on_delete=models.CASCADE, related_name="seats", verbose_name="comité"
    )
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="seats", verbose_name="organisme"
    )
    kind = models.CharField("siège", max_length=20, choices=Kind.choices)
    position = models.PositiveSmallIntegerField("rang", help_text="L'ordre où le comité le nomme et où il signe.")

    objects = SeatManager()

    class Meta:
        verbose_name = "siège au comité"
        verbose_name_plural = "sièges au comité"
        ordering = ["committee", "position"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "organisation"], name="unique_seat_per_organisation"),
            models.UniqueConstraint(fields=["committee", "position"], name="unique_seat_position"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_kind_display().lower()})"


class AdvisoryOpinion(models.Model):
    """What an advisory member of the committee says of a dossier while the committee instructs it: read by the
    co-chairs, printed in the avis conjoint only when the call publishes them (Call.advisory_opinions_published)."""

    dossier = models.ForeignKey(
        "core.Dossier", on_delete=models.CASCADE, related_name="advisory_opinions", verbose_name="dossier"
    )
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name="membre à voix consultative"
    )
    text = models.TextField("avis consultatif")
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="donné par"
    )
    given_at = models.DateTimeField("donné le")

    class Meta:
        verbose_name = "avis consultatif"
        verbose_name_plural = "avis consultatifs"
        ordering = ["dossier", "given_at"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "organisation"], name="unique_advisory_opinion_per_member")
        ]

    def __str__(self) -> str:
        return f"Avis consultatif de {self.organisation}"
