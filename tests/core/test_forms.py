"""Declared forms: the generic rules every field gets, without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clinic.core.errors import Invalid
from clinic.core.forms import Field, FormSpec, Reading, check, clean, parse_decimal, parse_integer
from clinic.core.locale import parse_date

TODAY = dt.date(2026, 11, 30)
US = Reading(parse_date=lambda text: parse_date(text, "MDY"), date_hint="MM/DD/YYYY", today=TODAY)


@pytest.mark.parametrize("text", ["²", "٣", "1e3", "0x10", " ", "12.0", "9" * 23, "+", "--1"])
def test_whole_numbers_are_ascii_digits_of_sensible_length(text):
    assert parse_integer(text) is None


def test_whole_numbers_respect_their_range():
    assert parse_integer("42", minimum=1, maximum=100) == 42
    assert parse_integer("0", minimum=1) is None
    assert parse_integer("101", maximum=100) is None


@pytest.mark.parametrize("text", ["NaN", "sNaN", "Infinity", "-inf", "1e9", "١٢", "1.2.3"])
def test_decimals_are_finite_and_written_plainly(text):
    assert parse_decimal(text) is None


def test_a_decimal_comma_is_read_as_a_point():
    assert parse_decimal("37,5") == Decimal("37.5")


def test_every_problem_is_reported_at_once_and_values_are_not_echoed():
    spec = FormSpec((
        Field("name", "Name", required=True, max_length=5),
        Field("kind", "Kind", kind="choice", required=True, choices=(("a", "A"),)),
        Field("born", "Born", kind="date", past_only=True),
        Field("dose", "Dose", kind="decimal", minimum=Decimal("0.5"), maximum=Decimal(10), unit="mg"),
    ))
    with pytest.raises(Invalid) as raised:
        clean(spec, {"name": "Alexandra", "kind": "z", "born": "12/31/2099", "dose": "NaN"}, US)
    assert raised.value.errors == {
        "name": "Use at most 5 characters.", "kind": "Choose one of the options.",
        "born": "This date cannot be in the future.", "dose": "Enter a number."}
    assert "Alexandra" not in str(raised.value)


def test_a_required_field_left_empty_says_what_to_do():
    spec = FormSpec((Field("first_name", "First name", required=True, missing="Enter the first (given) name."),
                     Field("sex", "Sex", kind="choice", required=True, choices=(("f", "F"),))))
    _, errors = check(spec, {"first_name": "   ", "sex": ""}, US)
    assert errors == {"first_name": "Enter the first (given) name.", "sex": "Choose the sex."}


def test_clean_values_have_their_types():
    spec = FormSpec((Field("n", "N", kind="integer"), Field("d", "D", kind="date"), Field("x", "X", kind="checkbox"),
                     Field("t", "T", kind="time"), Field("name", "Name")))
    values = clean(spec, {"n": "12", "d": "03/04/1980", "x": "1", "t": "09:30", "name": "  Ada   Lovelace "}, US)
    assert values == {"n": 12, "d": dt.date(1980, 3, 4), "x": True, "t": dt.time(9, 30), "name": "Ada Lovelace"}


def test_a_range_error_names_the_unit():
    spec = FormSpec((Field("pulse", "Pulse", kind="integer", minimum=20, maximum=250, unit="/min"),))
    _, errors = check(spec, {"pulse": "720"})
    assert errors == {"pulse": "Expected between 20 and 250 /min."}


def test_a_form_may_fill_in_its_choices_later():
    spec = FormSpec((Field("provider", "Clinician", kind="choice", blank="None"),))
    filled = spec.with_choices("provider", [("7", "Dr. Okafor")])
    assert filled["provider"].choices == (("7", "Dr. Okafor"),) and spec["provider"].choices == ()
