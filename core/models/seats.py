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
