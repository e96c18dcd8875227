"""Personal API tokens: the secret is shown once, only its SHA-256 is kept; Bearer authentication."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from demo.auth import acting_users

DEFAULT_DAYS = 90
MAX_DAYS = 365
# The prefix tells an aap token apart in a leaked file or a secret scanner.
SECRET_PREFIX = "aap_"
DISPLAYED_CHARS = 12
USE_RECORDED_EVERY = timedelta(minutes=1)


def default_expiry():
    return timezone.now() + timedelta(days=DEFAULT_DAYS)


def secret_digest(secret: str) -> str:
    # A token carries 256 random bits: a plain SHA-256 resists guessing without a slow hash.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="utilisateur"
    )
    name = models.CharField("nom", max_length=100)
    prefix = models.CharField("début du jeton", max_length=DISPLAYED_CHARS)
    key_hash = models.CharField("empreinte SHA-256", max_length=64, unique=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    expires_at = models.DateTimeField("expire le", default=default_expiry)
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)
    read_only = models.BooleanField("lecture seule", default=True)

    class Meta:
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class TokenRefused(Exception):
    """The message is for the user."""


def token_create(*, user, name: str, days: int = DEFAULT_DAYS) -> tuple[ApiToken, str]:
    """A new token and its secret, which is returned here and nowhere else."""
    if not 1 <= days <= MAX_DAYS:
        raise TokenRefused(f"Un jeton vaut au plus {MAX_DAYS} jours.")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:DISPLAYED_CHARS],
        key_hash=secret_digest(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, secret


def token_revoke(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; a token that is presented but not valid is refused outright."""

    def authenticate(self, request: HttpRequest, token: str):
        found = (
            ApiToken.objects.select_related("user")
            .annotate(user_may_act=Exists(acting_users(User.objects.filter(pk=OuterRef("user_id")))))
            .filter(key_hash=secret_digest(token))
            .first()
        )
        if found is None:
            raise AuthenticationError(message="Jeton d'accès inconnu.")
        if not found.user_may_act:
            raise AuthenticationError(message="Jeton d'accès refusé : ce compte ne peut plus se connecter.")
        if found.revoked_at is not None:
            raise AuthenticationError(message="Jeton d'accès révoqué.")
        if found.expires_at <= timezone.now():
            raise AuthenticationError(message="Jeton d'accès expiré.")
        now = timezone.now()
        # To the minute is enough to tell a used token from a forgotten one, and spares most requests a write.
        if found.last_used_at is None or now - found.last_used_at >= USE_RECORDED_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        return found.user
