"""Buttons that move a dossier: submit, withdraw (landlord), return as incomplete (committee)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from core.permissions import Access
from core.services.dossiers import (
    SubmissionRefused,
    TransitionRefused,
    dossier_return_incomplete,
    dossier_submit,
    dossier_withdraw,
)
from core.workflow import guard
from front.confirmations import confirmation_page, submission
from front.dossiers import render_dossier
from front.forms import ReturnForm


@require_http_methods(["GET", "POST"])
@login_required
def dossier_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation, without JavaScript; POST: the submission."""
    access = Access(request.user)
    dossier = access.dossier_or_404(pk)
    guard(access, "dossier.submit", dossier)
    if request.method == "GET":
        return confirmation_page(request, submission(dossier))
    try:
        dossier_submit(dossier=dossier, by=request.user)
    except SubmissionRefused as refusal:
        return render_dossier(request, access, dossier.pk, problems=refusal.problems, status=400)
    messages.success(request, "Dossier déposé : le comité régional en est averti. Il ne peut plus être modifié.")
    return redirect("dossier_detail", pk=dossier.pk)


@require_POST
@login_required
def dossier_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = access.dossier_or_404(pk)
    guard(access, "dossier.withdraw", dossier)
    if not request.POST.get("confirm"):
        messages.error(request, "Cochez « Je confirme le retrait définitif » pour retirer le dossier.")
        return redirect("dossier_detail", pk=dossier.pk)
    dossier_withdraw(dossier=dossier, by=request.user)
    messages.success(request, "Dossier retiré.")
    return redirect("dossier_detail", pk=dossier.pk)


@require_POST
@login_required
def dossier_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = access.dossier_or_404(pk)
    guard(access, "dossier.return", dossier)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return render_dossier(request, access, dossier.pk, return_form=form, status=400)
    try:
        dossier_return_incomplete(dossier=dossier, by=request.user, message=form.cleaned_data["message"])
    except TransitionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "Dossier renvoyé au porteur comme incomplet ; il en est averti.")
    return redirect("dossier_detail", pk=dossier.pk)
