"""core.formats as template filters, built into every template (settings.TEMPLATES): `{{ amount|euros }}`,
`{{ count|number }}`, `{{ day|french_date }}`, `{{ moment|french_datetime }}`, `{{ count|plural }}` (the French
"s"). An empty value shows as nothing, so that `|default:"…"` may follow."""

from django import template

from core import formats

register = template.Library()


def _or_empty(function):
    def filter_(value):
        return "" if value is None or value == "" else function(value)

    filter_.__name__ = function.__name__
    return filter_


for _function in (formats.euros, formats.number, formats.french_date, formats.french_datetime, formats.plural):
    register.filter(_function.__name__, _or_empty(_function), is_safe=False)
