"""The landlord's side: create a draft, fill it in, attach documents."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.filetypes import TYPES, named_as
from core.models import Attachment, Committee, Dossier, Organisation
from core.permissions import Access
from core.services.attachments import AttachmentRefused, attachment_add
from core.services.dossiers import DraftRefused, dossier_create, dossier_problems, dossier_save_draft
from core.workflow import allows, guard, guard_who
from front.fields import DepartmentField, error_summary
from front.files import download
from front.forms import AttachmentForm, BudgetFormSet, DossierCreateForm, DossierForm, StrandFormSet, TerritoryFormSet

# The draft's tables, as the page titles them and its error summary names their lines.
LEGENDS = {
    "strands": "Ménages accompagnés par volet et par année",
    "territories": "Territoires",
    "budget": "Budget par année et par financeur",
}


def editable_dossier(access: Access, pk: int) -> Dossier:
    """The dossier, if this user may change it now."""
    dossier = access.dossier_or_404(pk)
    guard(access, "dossier.edit", dossier)
    return dossier


@login_required
def dossier_new(request: HttpRequest) -> HttpResponse:
    access = Access(request.user)
    guard_who(access, "committee.create_dossier")
    # The committees that take a new dossier from this user now, as the workflow says.
    committees = Committee.objects.select_related("call")
    open_to_it = [c.pk for c in committees if allows(access, "committee.create_dossier", c)]
    form = DossierCreateForm(
        request.POST or None,
        committees=committees.filter(pk__in=open_to_it),
        landlords=Organisation.objects.filter(pk__in=access.landlord_ids),
    )
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
    for name, formset in formsets.items():
        formset.legend = LEGENDS[name]
    if data is not None and form.is_valid() and all(f.is_valid() for f in formsets.values()):
        try:
            dossier_save_draft(
                dossier=dossier,
                by=request.user,
                values=form.values(),
                partners=list(form.cleaned_data["partners"]),
                new_partners=form.cleaned_data["new_partners"],
                parts=formsets.values(),
            )
        except DraftRefused as refusal:
            form.add_error(refusal.field, str(refusal))
        else:
            messages.success(request, "Brouillon enregistré.")
            return redirect("dossier_edit" if "continuer" in request.POST else "dossier_detail", pk=dossier.pk)
    return render(
        request,
        "front/dossier_edit.html",
        {
            "title": f"Modifier le dossier N°{dossier.number}",
            "dossier": dossier,
            "form": form,
            "formsets": formsets,
            "errors": error_summary(form, {f.legend: f for f in formsets.values()}) if data is not None else [],
            "department_suggestions": DepartmentField.suggestions,
            # What the submission will refuse, as it will say it: the draft is saved anyway.
            "problems": dossier_problems(dossier) if data is None else [],
        },
        status=400 if data is not None else 200,
    )


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
    # Served as what its content is, under the matching extension, whatever name it was uploaded under.
    filename, content_type = named_as(attachment.name, attachment.kind), TYPES[attachment.kind].content_type
    return download(attachment.file, filename=filename, content_type=content_type)
