"""Forms of the national secretariat: calls, committees and their members, decisions."""

from django import forms
from django.contrib.auth.models import User

from core.models import OTHER_DOCUMENT, Call, Decision, Dossier, Organisation, Public, Rank, RuleMode, Strand
from core.models.calls import DOCUMENT_NAME_LENGTH
from core.regions import Region
from core.services.calls import process_refusal
from core.services.decisions import amount_warnings
from front.fields import DateField, EurosField, Form, IdsField, ModelForm, WholeNumberField

RULE_MODES = ("hlm_share_mode", "fund_share_mode", "cap_mode", "envelope_mode")
GRANTOR_KINDS = (Organisation.Kind.NATIONAL, Organisation.Kind.STATE_SERVICE, Organisation.Kind.FUNDER)


class CallForm(ModelForm):
    strands = forms.MultipleChoiceField(
        label="Volets proposés", choices=Strand.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Call
        fields = [
            "title",
            "process",
            "advisory_opinions_published",
            "departmental_preinstruction",
            "edition",
            "year",
            "opens_on",
            "submission_deadline",
            "instruction_deadline",
            "national_envelope",
            "cap_per_project",
            "max_duration_years",
            "publics",
            "strands",
            "required_documents",
            "grantor",
            "hlm_share_min",
            "hlm_share_mode",
            "fund_share_max",
            "fund_share_mode",
            "cap_mode",
            "envelope_mode",
        ]
        widgets = {
            "required_documents": forms.Textarea(attrs={"rows": 4}),
            "submission_deadline": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "publics": forms.CheckboxSelectMultiple,
        }
        field_classes = {
            "publics": IdsField,
            "hlm_share_min": WholeNumberField,
            "fund_share_max": WholeNumberField,
            "opens_on": DateField,
            "instruction_deadline": DateField,
            "national_envelope": EurosField,
            "cap_per_project": EurosField,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["publics"].queryset = Public.objects.all()
        self.fields["publics"].required = False
        self.fields["process"].required = False
        # The grantor signs the agreements: a public body, never a landlord or an association.
        self.fields["grantor"].queryset = Organisation.objects.filter(kind__in=GRANTOR_KINDS).order_by("name")
        # A form that does not send a rule's mode (a script, an older page) keeps the rule a warning.
        for name in RULE_MODES:
            self.fields[name].required = False

    def clean_required_documents(self) -> str:
        """One document a line, each named once; "Autre document" is the type of what no line names."""
        longest = DOCUMENT_NAME_LENGTH
        lines = [" ".join(line.split()) for line in self.cleaned_data["required_documents"].splitlines()]
        lines = list(dict.fromkeys(line for line in lines if line))
        for line in lines:
            if len(line) > longest:
                raise forms.ValidationError(f"Le nom d'une pièce fait au plus {longest} caractères : une par ligne.")
            if line.casefold() == OTHER_DOCUMENT.casefold():
                raise forms.ValidationError(
                    f"« {OTHER_DOCUMENT} » est le type de toute pièce que la liste ne nomme pas : nommez la pièce "
                    "demandée."
                )
        return "\n".join(lines)

    def clean_process(self) -> str:
        # The instance holds the value posted once the form is cleaned: the saved call says what it was.
        saved = Call.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        # Not given (a form of before the choice): the call keeps its process, a new one is national.
        process = self.cleaned_data["process"] or (saved.process if saved else Call.Process.NATIONAL)
        if reason := process_refusal(saved, process):
            raise forms.ValidationError(reason)
        return process

    def clean(self):
        data = super().clean()
        for name in RULE_MODES:
            data[name] = data.get(name) or RuleMode.WARNING
        if (
            data.get("cap_per_project")
            and data.get("national_envelope")
            and (data["cap_per_project"] > data["national_envelope"])
        ):
            self.add_error("cap_per_project", "Le plafond par projet dépasse l'enveloppe nationale.")
        return data


class CommitteeForm(Form):
    region = forms.ChoiceField(label="Région", choices=[("", "Choisissez la région"), *Region.choices])
    name = forms.CharField(
        label="Nom du comité", required=False, max_length=255, help_text="Par défaut, le nom de la région."
    )
    ar_hlm_name = forms.CharField(
        label="Association régionale Hlm", max_length=255, help_text="Par exemple « AR Hlm PACA & Corse »."
    )
    state_service_name = forms.CharField(
        label="Service régional de l'État", max_length=255, help_text="Par exemple « DREETS PACA »."
    )
    third_co_chair_name = forms.CharField(
        label="Second service de l'État co-président",
        required=False,
        max_length=255,
        help_text="Facultatif. Par exemple « DREAL PACA ».",
    )
    advisory_names = forms.CharField(
        label="Membres à voix consultative",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Facultatif, un par ligne. Par exemple « Fondation pour le logement » ou « Action Logement ».",
    )
    envelope = EurosField(
        label="Enveloppe régionale (€)",
        required=False,
        help_text="Ce que les montants accordés aux dossiers retenus de la région ne dépassent pas.",
    )

    def clean_advisory_names(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["advisory_names"].splitlines() if line.strip()]


class MemberForm(Form):
    username = forms.CharField(label="Identifiant de l'utilisateur", max_length=150)
    institution = forms.ChoiceField(label="Organisme représenté")

    def __init__(self, *args, committee, **kwargs):
        super().__init__(*args, **kwargs)
        self.committee = committee
        self.fields["institution"].choices = [
            *[(org.pk, str(org)) for org in committee.institutions],
            *[(org.pk, f"{org} (voix consultative)") for org in committee.advisers],
        ]

    def clean_username(self):
        user = User.objects.filter(username=self.cleaned_data["username"].strip(), is_active=True).first()
        if user is None:
            raise forms.ValidationError("Aucun utilisateur actif avec cet identifiant.")
        return user

    def institution_chosen(self):
        seated = self.committee.institutions + self.committee.advisers
        return next(org for org in seated if str(org.pk) == self.cleaned_data["institution"])


class DecisionForm(Form):
    outcome = forms.ChoiceField(label="Décision", choices=Decision.Outcome.choices, widget=forms.RadioSelect)
    amount_granted = EurosField(label="Montant accordé (€)", required=False)
    conditions = forms.CharField(label="Conditions", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    confirmed = forms.BooleanField(label="Je confirme ce montant", required=False)

    def __init__(self, *args, dossier: Dossier, **kwargs):
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        self.warnings: list[str] = []

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Decision.Outcome.RETAINED and data.get("amount_granted") is None:
            self.add_error("amount_granted", "Indiquez le montant accordé au dossier retenu.")
        if data.get("outcome") == Decision.Outcome.RETAINED:
            self.warnings = amount_warnings(self.dossier, data.get("amount_granted"))
        if self.warnings and not data.get("confirmed"):
            self.add_error("confirmed", "Vérifiez le montant : cochez la case pour le confirmer malgré l'alerte.")
        return data


class AgreementForm(Form):
    amount = EurosField(label="Montant conventionné (€)")
    signed_on = DateField(label="Signée le", required=False)
    starts_on = DateField(label="Début")
    ends_on = DateField(label="Fin")

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] <= data["starts_on"]:
            self.add_error("ends_on", "La fin de la convention doit suivre son début.")
        return data


class TrancheForm(Form):
    amount = EurosField(label="Montant (€)")
    condition = forms.CharField(label="Condition de versement", max_length=255, required=False)
    due_on = DateField(label="Échéance", required=False)


TrancheFormSet = forms.formset_factory(TrancheForm, extra=3, min_num=1, validate_min=True)


class PaymentForm(Form):
    paid_on = DateField(label="Versé le")


class ReviewForm(Form):
    decision = forms.ChoiceField(choices=[("valider", "Valider"), ("renvoyer", "Renvoyer au porteur")])
    message = forms.CharField(
        label="Message au porteur (pour un renvoi)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecideManyForm(Form):
    """One decision for a choice of a call's dossiers: which ones (a committee, the committee's opinion), the decision,
    then the dossiers themselves, each checked, as the preview lists them."""

    OPINIONS = [("", "Tous"), *Rank.choices, ("retenu", "Retenus par le comité"), ("non_retenu", "Non retenus")]

    comite = forms.TypedChoiceField(label="Comité régional", coerce=int, required=False, empty_value=None)
    avis = forms.ChoiceField(label="Avis du comité", choices=OPINIONS, required=False)
    outcome = forms.ChoiceField(label="Décision", choices=Decision.Outcome.choices)
    amount = EurosField(
        label="Montant accordé à chacun (€)",
        required=False,
        help_text="Laissez vide pour accorder à chaque dossier retenu le montant qu'il demande.",
    )
    conditions = forms.CharField(label="Conditions", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    dossiers = IdsField(queryset=Dossier.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)
    confirmed = forms.BooleanField(label="Je confirme ces montants malgré les alertes", required=False)

    def __init__(self, *args, call, decidable, access, **kwargs):
        super().__init__(*args, **kwargs)
        self.decidable, self.access = decidable, access
        committees = call.committees.order_by("name")
        self.fields["comite"].choices = [("", "Tous"), *((c.pk, c.name) for c in committees)]
        self.fields["dossiers"].queryset = decidable
        self.rows: list = []

    def matching(self) -> list[Dossier]:
        """The decidable dossiers the filters choose; the opinion's as this user reads its working copy."""
        rows, opinion = self.decidable, self.cleaned_data.get("avis")
        if self.cleaned_data.get("comite"):
            rows = rows.filter(committee_id=self.cleaned_data["comite"])
        if opinion:
            rows = rows.filter(self.access.opinion_drafts())
            if opinion in Rank.values:
                rows = rows.filter(opinion__retained=True, opinion__rank=opinion)
            else:
                rows = rows.filter(opinion__retained=opinion == "retenu")
        return list(rows)

    def clean(self):
        data = super().clean()
        rows = self.matching()
        outcome, amount = data.get("outcome"), data.get("amount")
        for dossier in rows:
            dossier.granted = (amount if amount is not None else dossier.requested) if outcome == "retenu" else None
            dossier.warnings = amount_warnings(dossier, dossier.granted)
        self.rows = rows
        return data

    def chosen(self) -> list[Dossier]:
        """The rows checked: those the user posted, among those the filters choose now."""
        ids = {dossier.pk for dossier in self.cleaned_data.get("dossiers") or []}
        return [dossier for dossier in self.rows if dossier.pk in ids]
