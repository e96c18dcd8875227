"""French numbers and dates, one way everywhere: the money field reads what the formatter writes and the formatter
writes what the field reads (core.formats, front.fields)."""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from core.formats import euros, french_date, french_datetime, number, plural
from core.models import Call
from front.call_forms import CallForm, TrancheForm
from front.fields import EurosField, WholeNumberField
from tests.access import text

NNBSP = "\u202f"
AMOUNTS = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2)
SEPARATORS = st.sampled_from(["", " ", "\u00a0", "\u202f"])
EURO_SIGNS = st.sampled_from(["", " €", "\u00a0€", "\u202f€", "€"])


def grouped(units: str, separator: str) -> str:
    return separator.join(re.findall(r"\d{1,3}(?=(?:\d{3})*$)", units))


@settings(max_examples=150, deadline=None)
@given(amount=AMOUNTS)
def test_the_field_reads_what_the_formatter_shows(amount):
    shown = euros(amount)
    assert EurosField().clean(shown) == amount
    # The form shows an amount back without its euro sign (the label carries it): that too reads as the amount.
    assert EurosField().clean(EurosField().prepare_value(amount)) == amount


@settings(max_examples=150, deadline=None)
@given(amount=AMOUNTS, separator=SEPARATORS, euro=EURO_SIGNS)
def test_the_formatter_shows_what_the_field_reads(amount, separator, euro):
    units, cents = f"{amount:.2f}".split(".")
    typed = grouped(units, separator) + "," + cents + euro
    expected = grouped(units, NNBSP) + ("" if cents == "00" else "," + cents) + " €"
    assert euros(EurosField().clean(typed)) == expected


@settings(max_examples=100, deadline=None)
@given(count=st.integers(min_value=0, max_value=10**9), separator=SEPARATORS)
def test_whole_numbers_the_same_way(count, separator):
    assert WholeNumberField().clean(number(count)) == count
    assert number(WholeNumberField().clean(grouped(str(count), separator))) == grouped(str(count), NNBSP)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("150 000,50", "150000.50"),
        ("150000,50", "150000.50"),
        ("150 000,50 €", "150000.50"),
        ("150\u202f000,50\u00a0€", "150000.50"),
        ("5 000 000", "5000000"),
        ("5.000.000", "5000000"),
        ("1.234.567,89", "1234567.89"),
        ("40000.50", "40000.50"),
        ("0,5", "0.5"),
    ],
)
def test_amounts_as_french_users_type_them(typed, amount):
    assert EurosField().clean(typed) == Decimal(amount)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("1.500", "« 1.500 » se lit des deux façons"),
        ("cent euros", "Écrivez un montant en euros, par exemple 150 000,50."),
        ("12,345", "deux chiffres après la virgule"),
        ("-3", "ne peut pas être négatif"),
        ("1 000 000 000 000", "trop grand"),
        ("1,5,0", "Écrivez un montant en euros"),
    ],
)
def test_a_bad_amount_is_refused_in_french(typed, says):
    with pytest.raises(ValidationError) as refused:
        EurosField().clean(typed)
    assert says in " ".join(refused.value.messages)


def test_a_whole_number_refuses_decimals():
    with pytest.raises(ValidationError, match="nombre entier"):
        WholeNumberField().clean("12,5")


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("150000.50"), "150\u202f000,50 €"),
        (Decimal("150000.5"), "150\u202f000,50 €"),
        (Decimal("260000.00"), "260\u202f000 €"),
        (Decimal("0.05"), "0,05 €"),
        (Decimal("999.999"), "999,999 €"),
        (Decimal("-1500"), "-1\u202f500 €"),
        (7, "7 €"),
    ],
)
def test_euros_never_rounds(amount, shown):
    assert euros(amount) == shown


def test_the_first_of_the_month_is_written_1er():
    assert french_date(date(2026, 12, 1)) == "1er décembre 2026"
    assert french_date(date(2027, 3, 15)) == "15 mars 2027"
    assert [french_date(date(2026, 8, day)).split()[0] for day in (1, 2, 11, 21, 31)] == ["1er", "2", "11", "21", "31"]
    # A moment is dated where it is in France: 23:30 in UTC on 30 November is 1 December in Paris.
    late = datetime(2026, 11, 30, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert french_datetime(late) == "1er décembre 2026 à 00:30"


def test_templates_share_the_formatter():
    template = Template(
        "{{ amount|euros }}|{{ none|euros|default:'non fixé' }}|{{ count|number }}|{{ day|french_date }}|"
        "{{ empty|french_date }}"
    )
    context = Context({"amount": Decimal("150000.5"), "none": None, "count": 12000, "day": date(2026, 12, 1)})
    assert template.render(context) == "150\u202f000,50 €|non fixé|12\u202f000|1er décembre 2026|"


def test_the_call_form_takes_french_amounts_and_shows_them_back(cast):
    data = {
        "title": "6e appel",
        "edition": "6",
        "year": "2026",
        "max_duration_years": "3",
        "national_envelope": "5 000 000",
        "cap_per_project": "150000,50",
        "opens_on": "01/12/2026",
    }
    form = CallForm(data)
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["national_envelope"], form.cleaned_data["cap_per_project"]) == (
        Decimal("5000000"),
        Decimal("150000.50"),
    )
    shown = CallForm(instance=Call(national_envelope=Decimal("5000000.00"), cap_per_project=Decimal("150000.50")))
    html = str(shown["national_envelope"]) + str(shown["cap_per_project"])
    assert 'value="5\u202f000\u202f000"' in html and 'value="150\u202f000,50"' in html
    assert 'type="text"' in html and 'inputmode="decimal"' in html


def test_a_tranche_due_date_is_a_date_field_shown_to_the_browser_in_iso():
    form = TrancheForm(initial={"amount": Decimal("1000"), "due_on": date(2026, 12, 1)})
    assert 'type="date"' in str(form["due_on"]) and 'value="2026-12-01"' in str(form["due_on"])
    typed = TrancheForm({"amount": "1 000", "due_on": "01/12/2026"})
    assert typed.is_valid() and typed.cleaned_data["due_on"] == date(2026, 12, 1)
    assert TrancheForm({"amount": "1 000", "due_on": "31/02/2026"}).errors["due_on"] == [
        "Indiquez une date, par exemple 01/12/2026."
    ]


def test_the_call_page_shows_amounts_to_the_cent(cast, login):
    call = cast.committee.call
    Call.objects.filter(pk=call.pk).update(national_envelope=Decimal("5000000"), cap_per_project=Decimal("150000.50"))
    page = text(login(cast.users["secretariat"]).get(reverse("call_detail", args=[call.pk])))
    assert "5\u202f000\u202f000 €" in page and "150\u202f000,50 €" in page
    assert "150001" not in page.replace("\u202f", "") and "150000.50" not in page


def test_the_french_plural_starts_at_two():
    assert [plural(n) for n in (0, 1, 2, -3, Decimal("1.5"))] == ["", "", "s", "s", ""]
    shown = Template("{{ a }} demandé{{ a|plural }} / {{ b }} rendu{{ b|plural }}").render(Context({"a": 0, "b": 3}))
    assert shown == "0 demandé / 3 rendus"
