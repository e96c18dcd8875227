"""The landlord's side: create a draft, fill it in, attach documents."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.models import Attachment, Dossier, Organisation
from core.permissions import Access
from core.services.attachments import AttachmentRefused, attachment_add
from core.services.dossiers import EDITABLE_STATES, dossier_create
from front.forms import AttachmentForm, BudgetFormSet, DossierCreateForm, DossierForm, StrandFormSet, TerritoryFormSet


def _landlords(access: Access):
    if not access.can_create_dossiers:
        raise PermissionDenied("Seuls les porteurs de projet (bailleurs) créent des dossiers.")
    return Organisation.objects.filter(pk__in=access.landlord_ids)


def editable_dossier(access: Access, pk: int) -> Dossier:
    """The dossier, if this user carries it and it may still be changed."""
    dossier = access.dossier_or_404(pk)
    if not access.carries(dossier):
        raise PermissionDenied("Seul le bailleur porteur modifie son dossier.")
    if dossier.state not in EDITABLE_STATES:
        raise PermissionDenied(f"Un dossier « {dossier.get_state_display()} » ne peut plus être modifié.")
    return dossier


@login_required
def dossier_new(request: HttpRequest) -> HttpResponse:
    access = Access(request.user)
    form = DossierCreateForm(request.POST or None, landlords=_landlords(access))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        dossier = dossier_create(
            committee=data["committee"], lead_landlord=data["landlord"], title=data["title"], by=request.user
        )
        messages.success(request, f"Brouillon N°{dossier.number} créé. Complétez-le puis déposez-le.")
        return redirect("dossier_edit", pk=dossier.pk)
    return render(
        request,
        "front/dossier_new.html",
        {"title": "Nouveau dossier", "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def dossier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = editable_dossier(access, pk)
    renewable = access.dossiers().exclude(call=dossier.call).select_related("call").order_by("-call__year", "number")
    data = request.POST if request.method == "POST" else None
    form = DossierForm(data, instance=dossier, renewable=renewable)
    formsets = {
        "strands": StrandFormSet(data, instance=dossier, prefix="strands"),
        "territories": TerritoryFormSet(data, instance=dossier, prefix="territories"),
        "budget": BudgetFormSet(data, instance=dossier, prefix="budget"),
    }
    if data is not None and form.is_valid() and all(f.is_valid() for f in formsets.values()):
        _save_draft(dossier, request.user, form, formsets.values())
        messages.success(request, "Brouillon enregistré.")
        return redirect("dossier_edit" if "continuer" in request.POST else "dossier_detail", pk=dossier.pk)
    return render(
        request,
        "front/dossier_edit.html",
        {"title": f"Modifier le dossier N°{dossier.number}", "dossier": dossier, "form": form, "formsets": formsets},
        status=400 if data is not None else 200,
    )


@transaction.atomic
def _save_draft(dossier: Dossier, by, form: DossierForm, formsets) -> None:
    # Re-read under lock: the committee may have received the dossier since the form was opened.
    if Dossier.objects.select_for_update().get(pk=dossier.pk).state not in EDITABLE_STATES:
        raise PermissionDenied("Le dossier a changé d'état entre-temps : il ne peut plus être modifié.")
    dossier._history_user = by
    form.save()
    partners = [
        Organisation.objects.filter(name__iexact=name).first()
        or Organisation.objects.create(name=name, kind=Organisation.Kind.ASSOCIATION)
        for name in form.partner_names()
    ]
    dossier.partners.set(partners)
    for formset in formsets:
        formset.save()


@require_POST
@login_required
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = editable_dossier(access, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("file", []):
            messages.error(request, error)
        return redirect("dossier_detail", pk=dossier.pk)
    try:
        attachment = attachment_add(dossier=dossier, upload=form.cleaned_data["file"], by=request.user)
    except AttachmentRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Pièce jointe « {attachment.name} » ajoutée.")
    return redirect("dossier_detail", pk=dossier.pk)


@login_required
def attachment_download(request: HttpRequest, uuid) -> FileResponse:
    attachment = Attachment.objects.filter(uuid=uuid).first()
    if attachment is None:
        raise Http404("Pièce jointe introuvable.")
    access = Access(request.user)
    dossier = access.dossier_or_404(attachment.dossier_id)
    # A message's attachment belongs to the thread, read by its two sides and the secretariat only.
    if attachment.message_id and not access.can_read_thread(dossier):
        raise Http404("Pièce jointe introuvable.")
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)
