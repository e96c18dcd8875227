"""The user's personal API tokens: create (the secret is shown once), list, revoke."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from api.tokens import DEFAULT_DAYS, ApiToken, token_create, token_revoke
from front.fields import Form

DURATIONS = [(30, "30 jours"), (DEFAULT_DAYS, "90 jours"), (180, "6 mois"), (365, "1 an")]


class TokenForm(Form):
    name = forms.CharField(
        label="Nom du jeton",
        max_length=100,
        help_text="Pour le reconnaître : le script ou l'outil qui l'utilise.",
        error_messages={"required": "Donnez un nom au jeton."},
    )
    days = forms.TypedChoiceField(label="Durée de validité", choices=DURATIONS, coerce=int, initial=DEFAULT_DAYS)


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        created, secret = token_create(user=request.user, **form.cleaned_data)
        form = TokenForm()
    return render(
        request,
        "api/tokens.html",
        {
            "title": "Jetons d'API",
            "form": form,
            "created": created,
            "secret": secret,
            "tokens": ApiToken.objects.filter(user=request.user),
        },
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    # Another user's token is as unknown as a token that does not exist.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token_revoke(token)
    messages.success(request, f"Le jeton « {token.name} » est révoqué : il ne donne plus accès à l'API.")
    return redirect("api_tokens")
