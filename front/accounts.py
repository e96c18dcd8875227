"""Accounts: the lockout page after too many failed logins, password reset by e-mail, session lifetime."""

import time
from collections.abc import Callable

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from axes.utils import reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path

from core.services.accounts import password_reset_send

# When the user logged in (seconds since the epoch), for the absolute cap on the session's life.
LOGIN_TIME_KEY = "aap_login_time"
# When the session was last renewed: its idle timeout is pushed back at most once a minute.
SEEN_TIME_KEY = "aap_seen_time"
SEEN_EVERY_SECONDS = 60
# Password reset requests are counted by django-axes like failed logins, under names that no username can
# take (usernames hold no space): one per address asked for, one per client asking.
RESET_REQUEST = "mot de passe oublié"


def lockout_parameters(request, credentials: dict | None) -> list:
    """What django-axes counts attempts by: failed logins per username and client address; reset requests
    by their name alone, which already says whether it counts an address or a client."""
    if credentials and credentials.get("purpose") == RESET_REQUEST:
        return ["username"]
    return [["username", "ip_address"]]


def lockout_response(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """django-axes' answer to a locked-out client: the login page again, or the reset page, saying why and for
    how long."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if credentials and credentials.get("purpose") == RESET_REQUEST:
        context = {"form": PasswordResetForm(), "locked_out": True, "cooloff_minutes": minutes}
        return render(request, "registration/password_reset_form.html", context, status=429)
    context = {
        "form": AuthenticationForm(request),
        "locked_out": True,
        "cooloff_minutes": minutes,
        "next": request.POST.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)


def reset_request_counted(request: HttpRequest, email: str) -> dict | None:
    """Counts a reset request against the address and the client; the credentials that are over the limit,
    if one is. The same count, cool-off and limit as failed logins (AXES_FAILURE_LIMIT, AXES_COOLOFF_TIME)."""
    for counted in (f"{RESET_REQUEST} : {email.lower()}", f"{RESET_REQUEST} depuis {get_client_ip_address(request)}"):
        credentials = {"username": counted[:255], "purpose": RESET_REQUEST}
        AxesProxyHandler.user_login_failed(sender=PasswordResetView, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            return credentials
    return None


class PasswordResetView(auth_views.PasswordResetView):
    """The same work and the same answer whether the address has an account or not: the accounts are looked
    up, and the e-mail sent, by a task (password_reset_send), so that the answer's timing tells nothing either.
    Throttled per address and per client."""

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        locked = reset_request_counted(self.request, email)
        if locked is not None:
            return lockout_response(self.request, credentials=locked)
        # Queued at once: the request saves nothing for it to wait for.
        password_reset_send.enqueue(email, self.request.get_host(), self.request.is_secure())
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        # Whoever sets a new password through the e-mailed link proved they own the account: the lockout
        # that an attacker may have caused on it must not keep them out for the rest of the cool-off.
        reset(username=self.user.get_username())
        return super().form_valid(form)


@receiver(user_logged_in)
def stamp_login_time(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_TIME_KEY] = int(time.time())


class SessionLifetimeMiddleware:
    """Renews the session's idle timeout (SESSION_COOKIE_AGE) while it is used, and ends it SESSION_MAX_AGE
    seconds after login however active: the idle timeout alone would let a busy or stolen session live for ever."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            logged_in_at = request.session.get(LOGIN_TIME_KEY)
            now = int(time.time())
            if logged_in_at is None:
                # A session opened before this check existed: its clock starts now.
                request.session[LOGIN_TIME_KEY] = now
            elif now - logged_in_at > settings.SESSION_MAX_AGE:
                logout(request)
                hours = settings.SESSION_MAX_AGE // 3600
                messages.info(request, f"Votre session a expiré après {hours} heures : reconnectez-vous.")
                return redirect_to_login(request.get_full_path())
            # A changed session is saved with its idle timeout pushed back; once a minute is precise enough,
            # and spares every other request a write to the sessions table.
            if now - request.session.get(SEEN_TIME_KEY, 0) >= SEEN_EVERY_SECONDS:
                request.session[SEEN_TIME_KEY] = now
        return self.get_response(request)


urlpatterns = [
    path("oublie/", PasswordResetView.as_view(), name="password_reset"),
    path("oublie/envoye/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("nouveau/<uidb64>/<token>/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("nouveau/termine/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
