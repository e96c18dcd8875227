import re

from django import forms


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
