"""The landlord's side: create a draft, fill it in (its documents: front/attachments.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from core.models import Committee, Dossier, Organisation
from core.permissions import Access
from core.services.dossiers import DraftRefused, dossier_create, dossier_problems, dossier_save_draft
from core.workflow import allows, guard, guard_who
from front.attachments import attachments_context
from front.fields import DepartmentField, error_summary
from front.forms import (
    MAX_LINES,
    BudgetFormSet,
    DossierCreateForm,
    DossierForm,
    StrandFormSet,
    TerritoryFormSet,
)

# The draft's tables: their formsets by prefix, and their titles, as the page shows them and its error summary names
# their lines.
FORMSETS = {"strands": StrandFormSet, "territories": TerritoryFormSet, "budget": BudgetFormSet}
LEGENDS = {
    "strands": "Ménages accompagnés par volet et par année",
    "territories": "Territoires",
    "budget": "Budget par année et par financeur",
}


def lines(dossier: Dossier, prefix: str, data=None):
    """One of the draft's tables, by its prefix (404 for another)."""
    if prefix not in FORMSETS:
        raise Http404("Tableau introuvable.")
    formset = FORMSETS[prefix](data, instance=dossier, prefix=prefix)
    formset.legend = LEGENDS[prefix]
    return formset


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
    formsets = {prefix: lines(dossier, prefix, data) for prefix in FORMSETS}
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
            # Without JavaScript, "Ajouter une ligne" saves the draft and comes back to its table, an empty line
            # at its end.
            if request.POST.get("ajouter") in FORMSETS:
                return redirect(reverse("dossier_edit", args=[dossier.pk]) + f"#{request.POST['ajouter']}")
            return redirect("dossier_detail", pk=dossier.pk)
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


def _line(formset, index: int):
    """The table's empty line at this index, as formset.empty_form is, numbered."""
    line = formset.form(
        **formset.get_form_kwargs(index),
        auto_id=formset.auto_id,
        prefix=formset.add_prefix(index),
        empty_permitted=True,
        use_required_attribute=False,
        renderer=formset.form_renderer,
    )
    formset.add_fields(line, index)
    return line


@login_required
def dossier_line_add(request: HttpRequest, pk: int, prefix: str) -> HttpResponse:
    """htmx: an empty line at the end of one of the draft's tables, its first field focused, and the table's count
    of lines one more (its management form's TOTAL_FORMS, swapped out of band). Without JavaScript the button saves
    the draft instead (dossier_edit)."""
    dossier = editable_dossier(Access(request.user), pk)
    formset = lines(dossier, prefix)
    try:
        index = int(request.GET.get(f"{prefix}-TOTAL_FORMS", ""))
    except ValueError:
        index = formset.total_form_count()
    # Never one of the lines saved, whatever the page sent.
    index = max(index, formset.initial_form_count())
    context = {"dossier": dossier, "formset": formset, "prefix": prefix}
    if index >= MAX_LINES:
        return render(request, "front/formset_line_refused.html", context)
    line = _line(formset, index)
    first = next(iter(line.visible_fields()))
    first.field.widget.attrs["autofocus"] = True
    context |= {"line": line, "index": index, "number": index + 1, "total": index + 1}
    return render(request, "front/formset_line_added.html", context)


@login_required
def dossier_line_remove(request: HttpRequest, pk: int, prefix: str, index: int) -> HttpResponse:
    """htmx: a line taken off one of the draft's tables, given what the page holds of it. A line saved stays in the
    page, hidden, marked to be deleted when the draft is saved; a line not saved yet goes. The table then says so,
    and the focus goes to its "Ajouter une ligne". Without JavaScript, its "Supprimer" box does it."""
    dossier = editable_dossier(Access(request.user), pk)
    formset = lines(dossier, prefix)
    line = formset.form(
        request.GET, auto_id=formset.auto_id, prefix=formset.add_prefix(index), renderer=formset.form_renderer
    )
    formset.add_fields(line, index)
    pk_field = formset.model._meta.pk.name
    saved = formset.get_queryset().filter(pk=request.GET.get(f"{line.prefix}-{pk_field}") or None).exists()
    # The last line, not saved: the table's count goes back to it.
    shrunk = not saved and request.GET.get(f"{prefix}-TOTAL_FORMS") == str(index + 1)
    context = {"dossier": dossier, "formset": formset, "prefix": prefix, "line": line, "index": index,
               "number": index + 1, "saved": saved, "shrunk": shrunk, "focus": True}  # fmt: skip
    return render(request, "front/formset_line_removed.html", context)
