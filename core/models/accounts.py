"""Bringing users in: an invitation names the organisation and the role its account will have."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.models.organisations import Membership, instructor_department, instructor_has_committee_and_department


def account_for(email: str):
    """The account an e-mail address belongs to, compared without case, as ProConnect's matching does."""
    if not email.strip():
        return None
    users = get_user_model().objects
    return users.filter(email__iexact=email.strip()).first() or users.filter(username__iexact=email.strip()).first()


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        """Sent, neither accepted nor expired: its link still gives its role."""
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An e-mailed, single-use link that gives one membership: to a new account, or to the account the address
    already belongs to, which accepts it logged in. Only the SHA-256 of its secret is kept: the link itself is in the
    e-mail alone."""

    email = models.EmailField("adresse électronique")
    first_name = models.CharField("prénom", max_length=150, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.CASCADE, related_name="invitations", verbose_name="organisme"
    )
    role = models.CharField("rôle", max_length=20, choices=Membership.Role.choices)
    committee = models.ForeignKey(
        "core.Committee",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name="comité",
    )
    department = instructor_department()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="invité par"
    )
    created_at = models.DateTimeField("envoyée le", auto_now_add=True)
    expires_at = models.DateTimeField("expire le")
    key_hash = models.CharField("empreinte SHA-256 du lien", max_length=64, unique=True)
    accepted_at = models.DateTimeField("acceptée le", null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name="compte",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = "invitation"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="membre_comite") | Q(committee__isnull=False),
                name="invited_member_has_committee",
            ),
            instructor_has_committee_and_department("invited_instructor_has_committee_and_department"),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(user__isnull=False), name="accepted_invitation_has_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} — {self.get_role_display()} — {self.organisation}"

    def account(self):
        """The account the invited address already belongs to, if any: the invitation then adds to it."""
        return account_for(self.email)
