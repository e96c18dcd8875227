import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.datastructures import MultiValueDict

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


class EurosField(forms.DecimalField):
    """An amount as French users write it: "40 000,50", "40000.50 €"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[\s€]", "", value).replace(",", ".")
        return super().to_python(value)


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
