from django import forms

from core.models import Priority, Verdict


class OpinionForm(forms.Form):
    verdict = forms.ChoiceField(
        label="Avis du comité",
        choices=Verdict.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez le sens de l'avis : favorable, réservé ou défavorable."},
    )
    questions = forms.CharField(
        label="Questions soulevées",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Paragraphes séparés par une ligne vide ; « - » en début de ligne pour une liste ; "
        "*italique*, **gras**, ^^souligné^^.",
    )
    remarks = forms.CharField(label="Remarques / avis global", required=False, widget=forms.Textarea(attrs={"rows": 5}))
    retained = forms.BooleanField(label="Dossier retenu", required=False)
    priority = forms.ChoiceField(
        label="Rang de classement parmi les dossiers retenus",
        choices=[("", "Aucun (non retenu)"), *Priority.choices],
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean(self):
        data = super().clean()
        if data.get("priority") and not data.get("retained"):
            self.add_error("priority", "Un rang de classement n'est donné qu'à un dossier retenu.")
        if data.get("retained") and data.get("verdict") == Verdict.UNFAVORABLE:
            self.add_error("retained", "Un dossier retenu doit avoir un avis favorable ou réservé.")
        if data.get("retained") and not data.get("priority"):
            self.add_error("priority", "Donnez un rang de classement (P1, P2 ou P3) au dossier retenu.")
        return data
