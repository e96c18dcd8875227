"""The user's notifications: the list, marking them read, and how the user wants to be told."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.models import Preference
from core.services.notifications import delivery, notifications_mark_read, preference_set
from front.fields import Form

PER_PAGE = 50


class PreferenceForm(Form):
    delivery = forms.ChoiceField(
        label="Recevoir les notifications par e-mail",
        choices=Preference.Delivery.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez comment recevoir les notifications.",
                        "invalid_choice": "Choisissez l'une des options proposées."},
    )  # fmt: skip


@login_required
def notification_list(request: HttpRequest, form: PreferenceForm | None = None) -> HttpResponse:
    notifications = request.user.notifications.all()
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    form = form or PreferenceForm(initial={"delivery": delivery(request.user)})
    return render(
        request,
        "front/notifications.html",
        {"title": "Notifications", "page": page, "form": form},
        status=400 if form.is_bound else 200,
    )


@require_POST
@login_required
def notification_read(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is not None:
        # Another user's notification is not known here.
        get_object_or_404(request.user.notifications, pk=pk)
    notifications_mark_read(by=request.user, pk=pk)
    messages.success(request, "Notification lue." if pk is not None else "Toutes vos notifications sont lues.")
    return redirect("notification_list")


@require_POST
@login_required
def preference_edit(request: HttpRequest) -> HttpResponse:
    form = PreferenceForm(request.POST)
    if not form.is_valid():
        return notification_list(request, form)
    preference_set(by=request.user, delivery=form.cleaned_data["delivery"])
    messages.success(request, "Vos préférences sont enregistrées.")
    return redirect("notification_list")
