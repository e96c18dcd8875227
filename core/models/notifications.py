"""What the application tells its users: a notification per event and recipient, and how each wants to be told."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One event told to one user, kept in the application whatever the e-mail does."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name="destinataire"
    )
    subject = models.CharField("objet", max_length=500)
    body = models.TextField("message")
    # Where the event can be read, as a path of the site.
    link = models.CharField("lien", max_length=500, blank=True)
    created_at = models.DateTimeField("le", auto_now_add=True)
    read_at = models.DateTimeField("lu le", null=True, blank=True)
    # For the daily digest: when it was sent by e-mail, immediately or in a digest.
    mailed_at = models.DateTimeField("envoyé par e-mail le", null=True, blank=True)

    class Meta:
        verbose_name = "notification"
        ordering = ["-created_at", "-id"]
        # The header's unread count and the page's list: both by user.
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return f"{self.subject} — {self.user}"


class Preference(models.Model):
    """How a user wants to be told, and when it last read its workspace. A user without a row gets the defaults."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediat", "Un e-mail à chaque événement"
        DIGEST = "quotidien", "Un e-mail récapitulatif par jour"
        NONE = "aucun", "Aucun e-mail : dans aap seulement"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference", verbose_name="utilisateur"
    )
    delivery = models.CharField("e-mails", max_length=20, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    workspace_seen_at = models.DateTimeField("espace de travail lu le", null=True, blank=True)

    class Meta:
        verbose_name = "préférence"

    def __str__(self) -> str:
        return f"Préférences de {self.user}"


class Dispatch(models.Model):
    """A message the schedule sends once: its key names what and for when (a report's reminder at one of its dates, a
    user's digest of one day). Written in the transaction that sends it, so that a second run finds it."""

    key = models.CharField("clé", max_length=200, unique=True)
    sent_at = models.DateTimeField("envoyé le", auto_now_add=True)

    class Meta:
        verbose_name = "envoi programmé"
        verbose_name_plural = "envois programmés"

    def __str__(self) -> str:
        return self.key
