import re
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.datastructures import MultiValueDict
from dsfr.forms import DsfrBoundField, DsfrDjangoTemplates
from dsfr.utils import dsfr_input_class_attr

from core import departments
from core.formats import AmbiguousNumber, NotANumber, number, parse_number
from core.text import xml_safe

# Ids are 64-bit integers on both databases.
MAX_ID = 2**63 - 1


class XmlSafeInput:
    """A form whose input loses, as it is bound, the characters XML 1.0 cannot hold (core.text.xml_safe): every
    field then reads the text as it will be stored, and a stored \\x0b can no longer break the Word documents.
    Every form of the pages is one, through Form and ModelForm below (tests/test_control_characters.py).
    A password is kept as typed: a secret, compared as it is and never shown."""

    def __init__(self, data=None, *args, **kwargs):
        secrets = {name for name, field in self.base_fields.items() if isinstance(field.widget, forms.PasswordInput)}

        def safe(key, value):
            return xml_safe(value) if isinstance(value, str) and key not in secrets else value

        if isinstance(data, MultiValueDict):
            data = MultiValueDict({key: [safe(key, value) for value in values] for key, values in data.lists()})
        elif data is not None:
            data = {key: safe(key, value) for key, value in data.items()}
        super().__init__(data, *args, **kwargs)


class Form(XmlSafeInput, forms.Form):
    pass


class ModelForm(XmlSafeInput, forms.ModelForm):
    pass


class Dsfr:
    """A form whose fields django-dsfr renders: `{{ field.as_field_group }}` lays out its label, hint, widget and
    errors as DSFR's input, select, checkbox and upload groups; `{{ field|dsfr_input_class_attr }}` the widget alone,
    with DSFR's classes and, once the field has errors, aria-invalid and the errors' id. Its error lists are DSFR's
    too. A widget given a class keeps it (the upload's fr-upload)."""

    bound_field_class = DsfrBoundField
    default_renderer = DsfrDjangoTemplates

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.visible_fields():
            dsfr_input_class_attr(field)


class DsfrForm(Dsfr, Form):
    pass


class DsfrModelForm(Dsfr, ModelForm):
    pass


class EurosField(forms.DecimalField):
    """The one money field: an amount as French users write it ("150 000,50", "150000,50", "150 000,50 €",
    "5 000 000"), shown back as core.formats shows it, without the euro sign the label carries."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    default_error_messages = {
        "invalid": "Écrivez un montant en euros, par exemple 150 000,50.",
        "max_digits": "Ce montant est trop grand : %(max)s chiffres au plus, centimes compris.",
        "max_decimal_places": "Un montant a au plus deux chiffres après la virgule : les centimes.",
        "max_whole_digits": "Ce montant est trop grand : %(max)s chiffres au plus avant la virgule.",
        "min_value": "Un montant ne peut pas être négatif.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            try:
                value = parse_number(value)
            except AmbiguousNumber as error:
                raise ValidationError(str(error), code="invalid") from error
            except NotANumber as error:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from error
        return super().to_python(value)

    def widget_attrs(self, widget):
        # Not the "step" and "min" of a number input: the field is text, to take spaces and a comma.
        return {}

    def prepare_value(self, value):
        return number(value) if isinstance(value, Decimal | int) else value


class WholeNumberField(forms.IntegerField):
    """A count (households, entries into housing) as French users write it: "1 200" as well as "1200"."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
    default_error_messages = {
        "invalid": "Écrivez un nombre entier, par exemple 1 200.",
        "min_value": "Ce nombre ne peut pas être inférieur à %(limit_value)s.",
        "max_value": "Ce nombre ne peut pas dépasser %(limit_value)s.",
    }

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            try:
                parsed = parse_number(value)
            except NotANumber as error:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from error
            if parsed != parsed.to_integral_value():
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            value = str(int(parsed))
        return super().to_python(value)

    def widget_attrs(self, widget):
        return {}

    def prepare_value(self, value):
        return number(value) if isinstance(value, int) else value


class DateField(forms.DateField):
    """A date picked in the browser's calendar (ISO as the input type date sends it), or typed day first."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    input_formats = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
    default_error_messages = {"invalid": "Indiquez une date, par exemple 01/12/2026."}


class DepartmentField(forms.CharField):
    """A department chosen by its name or its number, or found from a commune written with its code
    (core.departments); its code is stored. The list is offered as suggestions (`suggestions`, a datalist)."""

    suggestions = [name for _, name in departments.CHOICES]

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 300)
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return departments.find_department(super().to_python(value)) or ""
        except departments.NotADepartment as error:
            raise ValidationError(str(error), code="invalid") from error

    def prepare_value(self, value):
        return departments.label(value) if value in departments.DEPARTMENTS else value


class IdsField(forms.ModelMultipleChoiceField):
    """A multiple choice of objects by id. An id past 64 bits is refused as an invalid choice: SQLite would
    raise an OverflowError on it before Django could say so."""

    def _check_values(self, value):
        for pk in value:
            # ASCII digits only: "²" is a digit to str.isdigit(), not to int().
            if isinstance(pk, str) and re.fullmatch(r"\s*[0-9]+\s*", pk) and int(pk) > MAX_ID:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


@dataclass(frozen=True)
class FieldError:
    """One error of a page's error summary: the id of the field it links to (None: the form's own), what the field
    is, and the message."""

    anchor: str | None
    label: str
    message: str


def _anchor(field) -> str:
    # A group of checkboxes or radios has no label of its own: its first choice stands for it.
    return field.id_for_label or f"{field.auto_id}_0"


def field_errors(form, where: str = "") -> list[FieldError]:
    """The errors of a form in the order of its fields, the form's own first; `where` says which line of which
    table, for a formset's form."""
    visible = form.visible_fields()
    first = _anchor(visible[0]) if visible else None
    found = [FieldError(first if where else None, where, message) for message in form.non_field_errors()]
    for field in form:
        label = f"{field.label}, {where}" if where else field.label
        anchor = first if field.is_hidden else _anchor(field)
        found += [FieldError(anchor, label, message) for message in field.errors]
    return found


def error_summary(form, formsets: dict) -> list[FieldError]:
    """Every error of a form and of its formsets ({legend: formset}), each linked to its field: the summary at the
    top of the page (front/error_summary.html), each line's fields named with their line."""
    found = field_errors(form)
    for legend, formset in formsets.items():
        found += [FieldError(formset.prefix, legend, message) for message in formset.non_form_errors()]
        for index, line in enumerate(formset.forms, 1):
            found += field_errors(line, f"ligne {index} — {legend}")
    return found
