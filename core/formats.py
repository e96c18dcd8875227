from decimal import Decimal
from functools import cache

from django.db.models import Choices


def euros(amount: Decimal) -> str:
    """French style: narrow no-break spaces between thousands, no cents ("260 000 €")."""
    return f"{amount:,.0f}".replace(",", "\u202f") + " €"


@cache
def _labels(choices: type[Choices]) -> dict:
    return dict(choices.choices)


def label(choices: type[Choices], value: str) -> str:
    """The label of a choice, or the value itself if it is none, as get_FOO_display() gives it. For rows by the
    thousand: get_FOO_display() builds a tuple of every choice on each call, and an export of 100 000 rows
    filled Python's tuple free lists with them (a quarter of its peak memory)."""
    return _labels(choices).get(value, value)
