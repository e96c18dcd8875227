"""The landlord's side: create a draft, fill it in (its documents: front/attachments.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.models import Committee, Dossier, Organisation
from core.permissions import Access
from core.services.dossiers import DraftRefused, dossier_create, dossier_problems, dossier_save_draft
from core.workflow import allows, guard, guard_who
from front.attachments import attachments_context
from front.fields import DepartmentField, error_summary
from front.forms import BudgetFormSet, DossierCreateForm, DossierForm, StrandFormSet, TerritoryFormSet

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
            **attachments_context(access, dossier),
            "errors": error_summary(form, {f.legend: f for f in formsets.values()}) if data is not None else [],
            "department_suggestions": DepartmentField.suggestions,
            # What the submission will refuse, as it will say it: the draft is saved anyway.
            "problems": dossier_problems(dossier) if data is None else [],
        },
        status=400 if data is not None else 200,
    )
