"""ProConnect, the State's single sign-on, through mozilla-django-oidc: an agent is matched to the account they were
invited to, by e-mail; a login never creates an account nor gives a role. Off unless PROCONNECT_ENABLED."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import resolve_url
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView
from requests import RequestException

from core.permissions import Access
from core.workflow import refusal
from demo.auth import DemoAwareBackend

logger = logging.getLogger(__name__)

# Why the backend refused the agent, for the callback to say it: the library only returns no user.
REFUSAL = "proconnect_refusal"
FAILED = "La connexion avec ProConnect n'a pas abouti. Réessayez, ou connectez-vous avec votre identifiant."


def _refuse(request, reason: str) -> None:
    setattr(request, REFUSAL, reason)


class ProConnectBackend(OIDCAuthenticationBackend):
    def verify_claims(self, claims) -> bool:
        return bool((claims.get("email") or "").strip())

    def filter_users_by_claims(self, claims):
        users = User.objects.filter(email__iexact=claims["email"].strip())
        if len(users) > 1:
            _refuse(self.request, f"Plusieurs comptes portent l'adresse {claims['email']} : le secrétariat national "
                    "doit n'en garder qu'un.")  # fmt: skip
        return users

    def create_user(self, claims):
        """No account is ever made from a login: whoever has none must be invited."""
        _refuse(self.request, f"Aucun compte aap n'est ouvert pour l'adresse {claims['email']}. Demandez une "
                "invitation au secrétariat national de l'appel à projets.")  # fmt: skip
        return None

    def update_user(self, user: User, claims):
        """The matched account, if the workflow lets it log in this way (core/workflow.py, account.proconnect)."""
        reason = refusal(Access(user), "account.proconnect", user)
        if reason is None and not DemoAwareBackend().user_can_authenticate(user):
            reason = "Les comptes de démonstration ne se connectent qu'en mode démonstration."
        if reason is not None:
            _refuse(self.request, reason)
            return None
        return user

    def get_user(self, user_id):
        # The session's user, refused once deactivated, as for a password login.
        return DemoAwareBackend().get_user(user_id)


class LoginView(auth_views.LoginView):
    """The login page, offering ProConnect when it is on."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "proconnect": settings.PROCONNECT_ENABLED}


class Enabled:
    """404 while ProConnect is off: its pages do not exist."""

    def dispatch(self, request, *args, **kwargs):
        if not settings.PROCONNECT_ENABLED:
            raise Http404("ProConnect n'est pas activé.")
        return super().dispatch(request, *args, **kwargs)


class ProConnectLogin(Enabled, OIDCAuthenticationRequestView):
    """Sends the browser to ProConnect, with a state, a nonce and a PKCE challenge kept in the session."""


class ProConnectCallback(Enabled, OIDCAuthenticationCallbackView):
    """ProConnect's answer: the agent logged in, or back on the login page with the reason in French."""

    def get(self, request):
        try:
            return super().get(request)
        except (RequestException, SuspiciousOperation) as error:
            # An unreachable provider, a forged or replayed answer: a refusal, never an error page.
            logger.warning("ProConnect login failed: %s", error)
            return self.login_failure()

    def login_failure(self):
        messages.error(self.request, getattr(self.request, REFUSAL, FAILED))
        return HttpResponseRedirect(resolve_url("login"))
