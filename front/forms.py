from django import forms
from django.contrib.auth.models import User

from core import departments
from core.identifiers import read_identifier
from core.models import (
    BudgetLine,
    Committee,
    Dossier,
    DossierStrand,
    Membership,
    Organisation,
    Public,
    Rank,
    Strand,
    Territory,
    Verdict,
)
from core.services.dossiers import partner_candidates
from core.services.organisations import NewOrganisation
from core.text import name_key
from front.fields import DepartmentField, DsfrForm, DsfrModelForm, EurosField, Form, IdsField, WholeNumberField


def verdict_field(label: str) -> forms.ChoiceField:
    """The sense of an opinion, the committee's or a department's: favorable, réservé or défavorable."""
    return forms.ChoiceField(
        label=label,
        choices=Verdict.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez le sens de l'avis : favorable, réservé ou défavorable."},
    )


class DepartmentalOpinionForm(Form):
    verdict = verdict_field("Avis du service départemental")
    reasons = forms.CharField(
        label="Motifs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Obligatoires pour un avis réservé ou défavorable.",
    )


class OpinionForm(Form):
    verdict = verdict_field("Avis du comité")
    questions = forms.CharField(
        label="Questions soulevées",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Paragraphes séparés par une ligne vide ; « - » en début de ligne pour une liste ; "
        "*italique*, **gras**, ^^souligné^^.",
    )
    remarks = forms.CharField(label="Remarques / avis global", required=False, widget=forms.Textarea(attrs={"rows": 5}))
    retained = forms.BooleanField(label="Dossier retenu", required=False)
    rank = forms.ChoiceField(
        label="Rang de classement parmi les dossiers retenus",
        choices=[("", "Aucun (non retenu)"), *Rank.choices],
        required=False,
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean(self):
        data = super().clean()
        if data.get("rank") and not data.get("retained"):
            self.add_error("rank", "Un rang de classement n'est donné qu'à un dossier retenu.")
        if data.get("retained") and data.get("verdict") == Verdict.UNFAVORABLE:
            self.add_error("retained", "Un dossier retenu doit avoir un avis favorable ou réservé.")
        if data.get("retained") and not data.get("rank"):
            self.add_error("rank", "Donnez un rang de classement (P1, P2 ou P3) au dossier retenu.")
        return data


class DossierCreateForm(Form):
    committee = forms.ModelChoiceField(
        label="Appel à projets et comité régional",
        queryset=Committee.objects.none(),
        empty_label="Choisissez le comité de votre région",
        error_messages={
            "required": "Choisissez l'appel et le comité régional.",
            "invalid_choice": "Ce comité n'accepte pas de dépôt.",
        },
    )
    landlord = forms.ModelChoiceField(label="Bailleur porteur", queryset=Organisation.objects.none(), empty_label=None)
    title = forms.CharField(
        label="Nom du projet", max_length=500, error_messages={"required": "Donnez un nom au projet."}
    )

    def __init__(self, *args, committees, landlords, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees
        self.fields["committee"].label_from_instance = lambda c: f"{c.call.title} — {c.name}"
        self.fields["landlord"].queryset = landlords


class DossierForm(DsfrModelForm):
    """The landlord's draft. What the call allows (its maximum duration, its cap) and what must add up (households,
    budget) are checked when the dossier is submitted (core.services.dossiers.dossier_problems), never here: a draft
    is saved however incomplete or inconsistent. Only what cannot be read is refused, on its field."""

    new_partners = forms.CharField(
        label="Nouveaux partenaires",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Seulement ceux qui ne sont pas dans la liste : un organisme par ligne, il sera créé ; son SIREN, "
        "SIRET ou numéro RNA après un point-virgule si vous le connaissez : « Habitat Alpes ; 123 456 782 ».",
    )

    class Meta:
        model = Dossier
        fields = [
            "title",
            "summary",
            "duration_years",
            "households_total",
            "publics",
            "co_landlords",
            "partners",
            "evaluation_plan",
            "renews",
            "renewal_note",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 6}),
            "evaluation_plan": forms.Textarea(attrs={"rows": 4}),
            "publics": forms.CheckboxSelectMultiple,
            "co_landlords": forms.SelectMultiple(attrs={"size": 5}),
            "partners": forms.SelectMultiple(attrs={"size": 6}),
        }
        help_texts = {
            "partners": "Choisissez-les dans la liste (Ctrl ou Cmd pour en choisir plusieurs).",
            "co_landlords": "Ctrl ou Cmd pour en choisir plusieurs.",
        }
        field_classes = {
            "publics": IdsField,
            "co_landlords": IdsField,
            "partners": IdsField,
            "households_total": WholeNumberField,
        }

    def __init__(self, *args, renewable, **kwargs):
        super().__init__(*args, **kwargs)
        dossier = self.instance
        offered = dossier.call.publics.all()
        self.fields["publics"].queryset = offered if offered.exists() else Public.objects.all()
        self.fields["co_landlords"].queryset = Organisation.objects.filter(kind=Organisation.Kind.LANDLORD).exclude(
            pk=dossier.lead_landlord_id
        )
        self.fields["co_landlords"].required = False
        self.fields["partners"].queryset = partner_candidates(dossier.committee).exclude(pk=dossier.lead_landlord_id)
        self.fields["partners"].required = False
        self.fields["renews"].queryset = renewable
        self.fields["renews"].label_from_instance = lambda d: f"{d.call.year} — N°{d.number} « {d.title} »"

    def clean_new_partners(self) -> list[NewOrganisation]:
        """One organisation a line, "name ; number" (the number optional), each once whatever its case, accents,
        spaces and punctuation."""
        longest = Organisation._meta.get_field("name").max_length
        partners: dict[str, NewOrganisation] = {}
        for line in self.cleaned_data["new_partners"].splitlines():
            name, _, number = line.partition(";")
            name = " ".join(name.split())
            if len(name) > longest:
                raise forms.ValidationError(f"Un nom d'organisme fait au plus {longest} caractères : un par ligne.")
            if not name_key(name):
                if number.strip():
                    raise forms.ValidationError(f"Donnez le nom de l'organisme avant son numéro {number.strip()}.")
                continue
            try:
                identifier = read_identifier(number)
            except forms.ValidationError as error:
                raise forms.ValidationError(f"{name} : {error.messages[0]}") from error
            partners.setdefault(name_key(name), NewOrganisation(name, identifier))
        return list(partners.values())

    def values(self) -> dict:
        """The draft's fields, for core.services.dossiers.dossier_save_draft."""
        return {name: self.cleaned_data[name] for name in self._meta.fields if name != "partners"}


# A dossier has a few lines per year and strand; a tampered form count must not make Django build thousands.
MAX_LINES = 60


def _formset(model, fields, form=DsfrModelForm, **options):
    return forms.inlineformset_factory(
        Dossier,
        model,
        form=form,
        fields=fields,
        # One empty line to fill; "Ajouter une ligne" adds more in place (front.drafts.dossier_line_add).
        extra=1,
        can_delete=True,
        max_num=MAX_LINES,
        absolute_max=MAX_LINES,
        **options,
    )


class StrandLines(forms.BaseInlineFormSet):
    def clean(self):
        """Django checks the lines against each other, not against lines saved since the page was sent: the same
        page posted twice would meet the database's constraint (one line per strand and year)."""
        super().clean()
        posted = [form.instance.pk for form in self.initial_forms]
        saved_since = set(self.instance.strands.exclude(pk__in=posted).values_list("strand", "year"))
        for form in self.extra_forms:
            data = form.cleaned_data if form.is_valid() and form.has_changed() else {}
            if (data.get("strand"), data.get("year")) in saved_since and not data.get("DELETE"):
                raise forms.ValidationError(
                    f"La ligne « {Strand(data['strand']).label}, année {data['year']} » est déjà enregistrée (la "
                    "page a sans doute été envoyée deux fois) : rechargez la page avant de la modifier."
                )


StrandFormSet = _formset(
    DossierStrand, ["strand", "year", "households"], formset=StrandLines, field_classes={"households": WholeNumberField}
)


class TerritoryForm(DsfrModelForm):
    """A territory's department, typed by name or number, or found from its commune's postal or INSEE code. The
    departments are suggested by one list of the page (its datalist "departements"), whatever its number of lines."""

    department = DepartmentField(
        label="Département (nom ou numéro)",
        required=False,
        widget=forms.TextInput(attrs={"list": "departements", "autocomplete": "off"}),
    )
    commune = forms.CharField(label="Commune (et code postal)", required=False, max_length=255)

    class Meta:
        model = Territory
        fields = ["department", "commune", "qpv", "qpv_name"]

    def clean(self):
        data = super().clean()
        commune, department = data.get("commune", ""), data.get("department")
        try:
            found = departments.commune_department(commune)
        except departments.NotADepartment as error:
            self.add_error("commune", str(error))
            return data
        if found and department and found != department:
            self.add_error(
                "commune",
                f"« {commune} » est dans le département {departments.label(found)}, pas {departments.label(department)}"
                " : corrigez la commune ou le département.",
            )
        elif found:
            data["department"] = found
        elif not department and "department" not in self.errors:
            self.add_error("department", f"Le département manque : {departments.EXPECTED}.")
        return data


TerritoryFormSet = _formset(Territory, TerritoryForm.Meta.fields, form=TerritoryForm)
BudgetFormSet = _formset(
    BudgetLine,
    ["year", "funder", "label", "amount"],
    field_classes={"amount": EurosField},
    widgets={"label": forms.TextInput(attrs={"class": "fr-input aap-lines__wide"})},
)


class ReturnForm(Form):
    message = forms.CharField(
        label="Ce qui manque au dossier",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Expliquez au porteur ce qui manque à son dossier."},
    )


class AdvisoryForm(Form):
    text = forms.CharField(
        label="Votre avis sur le projet",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Écrivez l'avis consultatif."},
    )


UPLOAD_HINT = "PDF, DOCX, XLSX ou ODT, 20 Mo au plus."


def _upload(label: str) -> forms.FileField:
    """A file to upload, as DSFR's upload group shows it."""
    field = forms.FileField(
        label=label,
        help_text=UPLOAD_HINT,
        widget=forms.FileInput(attrs={"class": "fr-upload", "accept": ".pdf,.docx,.xlsx,.odt"}),
        error_messages={"required": "Choisissez un fichier.", "empty": "Ce fichier est vide."},
    )
    field.widget.group_class = "fr-upload-group"
    return field


class AttachmentForm(DsfrForm):
    """A document of the dossier: its type, one of those the call asks (the first still missing is offered), or
    another; and its file."""

    document_type = forms.ChoiceField(
        label="Type de pièce",
        error_messages={
            "required": "Choisissez le type de la pièce.",
            "invalid_choice": "Choisissez le type de la pièce dans la liste.",
        },
    )
    file = _upload("Fichier")

    def __init__(self, *args, types: list[str], missing: list[str], **kwargs):
        super().__init__(*args, initial={"document_type": missing[0] if missing else ""}, **kwargs)
        self.fields["document_type"].choices = [("", "Choisissez le type de la pièce"), *((t, t) for t in types)]


class ReplaceForm(DsfrForm):
    """Another file for a document of the dossier; its ids name the document, one such form per document on the
    page."""

    file = _upload("Nouveau fichier")

    def __init__(self, *args, attachment, **kwargs):
        super().__init__(*args, auto_id=f"remplacer-{attachment.uuid}-%s", **kwargs)
        self.fields["file"].label = f"Nouveau fichier pour « {attachment.name} »"


class MessageForm(Form):
    body = forms.CharField(
        label="Votre message",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Le message est vide."},
    )
    file = forms.FileField(label="Pièce jointe (facultative)", required=False, help_text=UPLOAD_HINT)


class NoteForm(Form):
    body = forms.CharField(
        label="Note réservée au comité",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "La note est vide."},
    )


class ExpertRequestForm(Form):
    expert = forms.ModelChoiceField(
        label="Expert invité",
        queryset=None,
        empty_label="Choisissez un expert",
        error_messages={"required": "Choisissez l'expert à consulter."},
    )
    question = forms.CharField(
        label="Question posée",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Posez votre question à l'expert."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = User.objects.filter(memberships__role=Membership.Role.EXPERT).distinct()
        self.fields["expert"].label_from_instance = lambda user: user.get_full_name() or user.username


class AdviceForm(Form):
    advice = forms.CharField(
        label="Votre avis consultatif",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "L'avis est vide."},
    )


class ReportForm(Form):
    """A yearly report: households per strand of the dossier and spend per funder are fields of their own."""

    entries_into_housing = WholeNumberField(label="Entrées dans le logement", min_value=0)
    evictions_avoided = WholeNumberField(label="Expulsions évitées", min_value=0)
    transfers = WholeNumberField(label="Mutations réalisées", min_value=0)
    comment = forms.CharField(label="Commentaire", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, strands: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for strand in strands:
            self.fields[f"households_{strand}"] = WholeNumberField(
                label=f"Ménages accompagnés — {Strand(strand).label}", min_value=0
            )
        for funder, label in BudgetLine.Funder.choices:
            self.fields[f"spend_{funder}"] = EurosField(label=f"Dépense — {label} (€)", required=False)

    def split(self) -> tuple[dict, dict, dict]:
        """(report fields, households per strand, spend per funder)."""
        data = self.cleaned_data
        households = {name.removeprefix("households_"): v for name, v in data.items() if name.startswith("households_")}
        spend = {name.removeprefix("spend_"): v for name, v in data.items() if name.startswith("spend_") and v}
        values = {name: data[name] for name in ("entries_into_housing", "evictions_avoided", "transfers", "comment")}
        return values, households, spend
