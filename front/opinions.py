from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.permissions import Access
from core.services.opinions import OpinionConflict, OpinionRefused, opinion_save, opinion_sign
from front.dossiers import render_dossier
from front.forms import OpinionForm

CONFLICT_REFUSAL = (
    "Votre organisme porte ce dossier ou en est partenaire : en raison de ce conflit d'intérêts, "
    "vous ne pouvez pas agir sur l'avis du comité."
)


def dossier_for_opinion(access: Access, pk: int):
    dossier = access.dossier_or_404(pk)
    if not access.can_act_on_opinion(dossier):
        raise PermissionDenied(CONFLICT_REFUSAL if access.in_conflict(dossier) else "Réservé aux membres du comité.")
    return dossier


@require_POST
@login_required
def opinion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = dossier_for_opinion(access, pk)
    form = OpinionForm(request.POST)
    if not form.is_valid():
        return render_dossier(request, access, dossier.pk, form=form, status=400)
    values = {name: value for name, value in form.cleaned_data.items() if name != "version"}
    try:
        opinion = opinion_save(
            dossier=dossier, by=request.user, expected_version=form.cleaned_data["version"], **values
        )
    except OpinionConflict as conflict:
        # Keep this editor's text, but on the new version: saving again is a deliberate overwrite.
        data = request.POST.copy()
        data["version"] = conflict.current.version if conflict.current else 0
        return render_dossier(
            request, access, dossier.pk, form=OpinionForm(data), conflict=conflict.current, status=409
        )
    except OpinionRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("dossier_detail", pk=dossier.pk)
    messages.success(request, f"Avis enregistré (version {opinion.version}).")
    return redirect("dossier_detail", pk=dossier.pk)


@require_POST
@login_required
def opinion_sign_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = dossier_for_opinion(access, pk)
    institution = access.institution_in(dossier.committee)
    if institution is None:
        raise PermissionDenied("Seuls les membres des deux institutions co-présidentes signent l'avis.")
    try:
        opinion_sign(dossier=dossier, institution=institution, by=request.user)
    except OpinionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Avis signé pour {institution}.")
    return redirect("dossier_detail", pk=dossier.pk)
