import re

from django import forms
from django.core.exceptions import ValidationError

# Ids are 64-bit integers on both databases.
MAX_ID = 2**63 - 1


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
