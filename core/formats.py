"""Numbers, amounts and dates as French readers write them: the one formatter of every page, e-mail and document,
and the one reading of what users type (front.fields.EurosField and WholeNumberField read with it).

An amount is shown to the cent and never rounded: "150 000,50 €"; a whole amount without its ",00": "150 000 €".
Digits are grouped by three with a narrow no-break space (U+202F), as the Imprimerie nationale's rules and
Django's French locale do; the decimal mark is the comma. The API and the exports' cells stay numbers.
"""

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from django.db.models import Choices
from django.utils import timezone

GROUP = "\u202f"
# What users put between groups of digits: a space, a no-break space (U+00A0), a narrow one (U+202F), a tab.
SEPARATORS = re.compile(r"[\s\u00a0\u202f]+")
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def plural(count: int | Decimal) -> str:
    """The French plural's "s": for two and more, "0 dossier", "1 dossier", "2 dossiers" (Django's pluralize says
    "0 dossiers", the English rule)."""
    return "s" if abs(count) >= 2 else ""


def number(value: int | Decimal) -> str:
    """A number in French: "1 234", "150 000,5" is "150 000,50" (an amount has two decimals or none), never
    rounded: a value with more decimals keeps them all."""
    value = Decimal(value)
    sign, units = ("-", -value) if value < 0 else ("", value)
    whole = int(units)
    cents = units - whole
    text = f"{whole:,}".replace(",", GROUP)
    if cents:
        decimals = format(cents, "f").split(".")[1].rstrip("0")
        text += "," + decimals.ljust(2, "0")
    return sign + text


def euros(amount: int | Decimal) -> str:
    """An amount in euros: "150 000,50 €", "260 000 €"."""
    return f"{number(amount)} €"


def percent(value: int | Decimal, rounding: str = ROUND_HALF_UP) -> str:
    """A percentage to a tenth, with a no-break space before the sign: "19,5 %", "30 %". A rule shows its figure
    rounded away from its limit (`rounding`), so that 29,96 % against a minimum of 30 % does not read "30 %"."""
    tenths = int(Decimal(value).quantize(Decimal("0.1"), rounding=rounding) * 10)
    whole, tenth = divmod(abs(tenths), 10)
    sign = "-" if tenths < 0 else ""
    return f"{sign}{number(whole)}{f',{tenth}' if tenth else ''}\u00a0%"


class NotANumber(ValueError):
    """The text is no number as French users write one; the message says what is expected, in French."""


class AmbiguousNumber(NotANumber):
    """A number that reads two ways: its message says how to write it."""


def parse_number(text: str) -> Decimal:
    """What a user typed, as a number: "150 000,50", "150000,50", "150 000,50 €", "5 000 000", "1.234.567,8",
    "40000.50". Digits may be grouped by spaces of any kind or by dots; the decimal mark is the comma, or a dot
    followed by one or two digits. A dot followed by three digits alone ("1.500") is refused: it reads 1 500 in
    France and 1.5 elsewhere."""
    text = SEPARATORS.sub("", text.strip().removesuffix("€").removesuffix("EUR").strip())
    text = text.replace("\u2212", "-")
    if "," in text:
        units, _, decimals = text.rpartition(",")
        if re.fullmatch(r"-?\d{1,3}(\.\d{3})+", units):
            units = units.replace(".", "")
        text = f"{units}.{decimals}"
    elif re.fullmatch(r"-?\d{1,3}(\.\d{3}){2,}", text):
        text = text.replace(".", "")
    elif re.fullmatch(r"-?\d{1,3}\.\d{3}", text):
        raise AmbiguousNumber(
            "Écrivez les centimes après une virgule (1 500 ou 1,50) : « 1.500 » se lit des deux façons."
        )
    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)", text):
        raise NotANumber("Écrivez un nombre en chiffres, par exemple 150 000,50.")
    try:
        return Decimal(text)
    except InvalidOperation as error:  # pragma: no cover - the pattern above lets only decimals through
        raise NotANumber("Écrivez un nombre en chiffres, par exemple 150 000,50.") from error


def french_date(day: date) -> str:
    """ "1er décembre 2026", "15 mars 2027"; a moment's day where it is in France."""
    if isinstance(day, datetime) and timezone.is_aware(day):
        day = timezone.localtime(day)
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def french_datetime(moment: datetime) -> str:
    """ "1er décembre 2026 à 09:30", in the local time zone."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{french_date(moment)} à {moment:%H:%M}"


@cache
def _labels(choices: type[Choices]) -> dict:
    return dict(choices.choices)


def label(choices: type[Choices], value: str) -> str:
    """The label of a choice, or the value itself if it is none, as get_FOO_display() gives it. For rows by the
    thousand: get_FOO_display() builds a tuple of every choice on each call, and an export of 100 000 rows
    filled Python's tuple free lists with them (a quarter of its peak memory)."""
    return _labels(choices).get(value, value)
