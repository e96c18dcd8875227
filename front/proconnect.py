"""ProConnect, the State's single sign-on, through mozilla-django-oidc: an agent is matched to the account they were
invited to, by e-mail; a login never creates an account nor gives a role. Logging out ends the ProConnect session
too. Off unless PROCONNECT_ENABLED."""

import logging
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.module_loading import import_string
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView
from requests import RequestException

from core.models import Invitation
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
        """No account is ever made from a login: whoever has none must be invited, and accept with the link."""
        email = claims["email"]
        if Invitation.objects.pending().filter(email__iexact=email.strip()).exists():
            reason = (
                f"Aucun compte aap n'est encore ouvert pour l'adresse {email}. Une invitation vous a été envoyée à "
                "cette adresse : ouvrez le lien de son courriel pour créer votre compte."
            )
        else:
            reason = (
                f"Aucun compte aap n'est ouvert pour l'adresse {email}. Demandez une invitation au secrétariat "
                "national de l'appel à projets."
            )
        _refuse(self.request, reason)
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


class LogoutView(auth_views.LogoutView):
    """Ends aap's session. After a ProConnect login, the browser then goes to end ProConnect's session too
    (OIDC_OP_LOGOUT_URL_METHOD, as mozilla-django-oidc's own logout view asks it); a password login's logout is
    Django's."""

    def post(self, request, *args, **kwargs):
        provider = None
        if request.user.is_authenticated and request.session.get("oidc_id_token"):
            # Read before the session ends: the ID token is in it.
            provider = import_string(settings.OIDC_OP_LOGOUT_URL_METHOD)(request)
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(provider) if provider else response


def provider_logout_url(request) -> str:
    """Where logging out sends the browser after a ProConnect login: the provider's end-session endpoint, with the ID
    token it issued (id_token_hint), a state, as ProConnect requires, and aap's login page to come back to. Without
    the endpoint set, aap's page after logout."""
    id_token = request.session.get("oidc_id_token")
    after = resolve_url(settings.LOGOUT_REDIRECT_URL)
    if not (settings.PROCONNECT_ENABLED and settings.OIDC_OP_LOGOUT_ENDPOINT and id_token):
        return after
    query = {"id_token_hint": id_token, "state": secrets.token_urlsafe(16),
             "post_logout_redirect_uri": request.build_absolute_uri(after)}  # fmt: skip
    return f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{urlencode(query)}"


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
        # The library kept the refused agent's ID token: a password login in this session must not log out of
        # ProConnect with it.
        self.request.session.pop("oidc_id_token", None)
        messages.error(self.request, getattr(self.request, REFUSAL, FAILED))
        return HttpResponseRedirect(resolve_url("login"))
