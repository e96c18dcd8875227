"""A dossier's documents: joined, replaced and deleted from the dossier form's page until it is submitted, each typed
as one the call asks or another; downloaded by whoever sees the dossier. The section changes in place (htmx) and,
without JavaScript, the page reloads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.filetypes import TYPES, named_as
from core.models import Attachment, Dossier
from core.permissions import Access
from core.services.attachments import (
    AttachmentRefused,
    attachment_delete,
    attachment_join,
    attachment_replace,
    document_types,
)
from core.services.dossiers import missing_documents
from core.workflow import available, guard
from front.files import download
from front.forms import AttachmentForm, ReplaceForm


def attachments_context(access: Access, dossier: Dossier, form: AttachmentForm | None = None) -> dict:
    """The section's documents: each the call asks, with the files of its type or none yet, then the others."""
    joined = list(dossier.attachments.filter(message=None).order_by("uploaded_at"))
    required = dossier.call.documents()
    missing = missing_documents(dossier)
    rows = [(document, [a for a in joined if a.document_type == document]) for document in required]
    others = [a for a in joined if a.document_type not in required]
    actions = available(access, dossier)
    for attachment in joined if "dossier.replace_attachment" in actions else ():
        attachment.replace_form = ReplaceForm(attachment=attachment)
    if form is None and "dossier.attach" in actions:
        form = AttachmentForm(types=document_types(dossier.call), missing=missing)
    return {
        "dossier": dossier,
        "required_rows": rows,
        "others": others,
        "missing": missing,
        "actions": actions,
        "attachment_form": form if "dossier.attach" in actions else None,
        "manages": bool(actions & {"dossier.replace_attachment", "dossier.delete_attachment"}),
    }


def _answer(request: HttpRequest, access: Access, dossier: Dossier, level: str, text: str, form=None) -> HttpResponse:
    """htmx: the section again, saying what was done; else the dossier form's page, the message on top."""
    if request.htmx:
        context = attachments_context(access, dossier, form) | {"notice": {"level": level, "text": text}}
        return render(request, "front/attachments.html", context)
    getattr(messages, level)(request, text)
    return redirect(reverse("dossier_edit", args=[dossier.pk]) + "#pieces")


@require_POST
@login_required
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = access.dossier_or_404(pk)
    guard(access, "dossier.attach", dossier)
    form = AttachmentForm(request.POST, request.FILES, types=document_types(dossier.call), missing=[])
    if not form.is_valid():
        errors = " ".join(message for messages_ in form.errors.values() for message in messages_)
        return _answer(request, access, dossier, "error", f"La pièce n'a pas été jointe : {errors}", form)
    data = form.cleaned_data
    try:
        attachment = attachment_join(
            dossier=dossier, upload=data["file"], document_type=data["document_type"], by=request.user
        )
    except AttachmentRefused as refusal:
        return _answer(request, access, dossier, "error", str(refusal), form)
    return _answer(
        request, access, dossier, "success", f"Pièce jointe « {attachment.name} » ajoutée : {attachment.document_type}."
    )


def _own_attachment(access: Access, pk: int, uuid, action: str) -> tuple[Dossier, Attachment]:
    """The dossier, if this user may take the action on it now, and its own attachment (not a message's)."""
    dossier = access.dossier_or_404(pk)
    guard(access, action, dossier)
    attachment = get_object_or_404(dossier.attachments, uuid=uuid, message=None)
    attachment.dossier = dossier
    return dossier, attachment


@require_POST
@login_required
def attachment_replace_view(request: HttpRequest, pk: int, uuid) -> HttpResponse:
    access = Access(request.user)
    dossier, attachment = _own_attachment(access, pk, uuid, "dossier.replace_attachment")
    form = ReplaceForm(request.POST, request.FILES, attachment=attachment)
    if not form.is_valid():
        errors = " ".join(form.errors["file"])
        return _answer(request, access, dossier, "error", f"« {attachment.name} » n'a pas été remplacé : {errors}")
    try:
        new = attachment_replace(attachment=attachment, upload=form.cleaned_data["file"], by=request.user)
    except AttachmentRefused as refusal:
        return _answer(request, access, dossier, "error", str(refusal))
    text = f"« {attachment.name} » remplacé par « {new.name} » : {new.document_type}."
    return _answer(request, access, dossier, "success", text)


@require_POST
@login_required
def attachment_delete_view(request: HttpRequest, pk: int, uuid) -> HttpResponse:
    access = Access(request.user)
    dossier, attachment = _own_attachment(access, pk, uuid, "dossier.delete_attachment")
    try:
        attachment_delete(attachment=attachment, by=request.user)
    except AttachmentRefused as refusal:
        return _answer(request, access, dossier, "error", str(refusal))
    text = f"« {attachment.name} » supprimé : {attachment.document_type}."
    return _answer(request, access, dossier, "success", text)


@login_required
def attachment_download(request: HttpRequest, uuid) -> HttpResponse:
    attachment = Attachment.objects.filter(uuid=uuid).first()
    if attachment is None:
        raise Http404("Pièce jointe introuvable.")
    access = Access(request.user)
    dossier = access.dossier_or_404(attachment.dossier_id)
    # A message's attachment belongs to the thread, read by its two sides and the secretariat only.
    if attachment.message_id and not access.can_read_thread(dossier):
        raise Http404("Pièce jointe introuvable.")
    # Served as what its content is, under the matching extension, whatever name it was uploaded under.
    filename, content_type = named_as(attachment.name, attachment.kind), TYPES[attachment.kind].content_type
    return download(attachment.file, filename=filename, content_type=content_type)
