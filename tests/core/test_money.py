"""Money: integer minor units, typed and shown in the clinic's currency and
language, and one rounding rule (half away from zero) for every fraction of a cent."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from babel.core import get_global
from babel.numbers import get_currency_precision, get_territory_currencies

from clinic.core.locale import Locale
from clinic.core.money import (
    MAX_AMOUNT,
    MoneyError,
    allocate,
    format_money,
    minor_units,
    money_for_input,
    parse_money,
    percent_of,
    round_minor,
    split_by_percent,
    times,
    to_decimal,
)

US = Locale.for_country("US", "America/New_York")
GERMANY = Locale.for_country("DE", "Europe/Berlin")
GERMAN = GERMANY.with_overrides(language="de_DE")
FRANCE = Locale.for_country("FR", "Europe/Paris")
INDIA = Locale.for_country("IN", "Asia/Kolkata")
SWITZERLAND = Locale.for_country("CH", "Europe/Zurich")
JAPAN = Locale.for_country("JP", "Asia/Tokyo")
KUWAIT = Locale.for_country("KW", "Asia/Kuwait")
BRAZIL = Locale.for_country("BR", "America/Sao_Paulo")
HUNGARY = Locale.for_country("HU", "Europe/Budapest")
ALL = [US, GERMANY, GERMAN, FRANCE, INDIA, SWITZERLAND, JAPAN, KUWAIT, BRAZIL, HUNGARY]


# Minor units

def test_each_currency_has_its_iso_number_of_decimals():
    assert {code: minor_units(code) for code in ("USD", "EUR", "GBP", "JPY", "KRW", "KWD", "BHD", "HUF")} == {
        "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3, "HUF": 2}
    with pytest.raises(ValueError):
        minor_units("ZZZ")


def test_our_minor_units_differ_from_babels_display_digits_only_where_we_know():
    """If a babel update changes CLDR's digits this fails, and someone decides;
    what a stored integer means never changes by itself."""
    territories = get_global("territory_currencies").keys()
    in_use = {code for territory in territories for code in get_territory_currencies(territory, dt.date(2025, 1, 1))}
    differences = {code: (minor_units(code), get_currency_precision(code)) for code in in_use
                   if minor_units(code) != get_currency_precision(code)}
    assert differences == {
        "AFN": (2, 0), "ALL": (2, 0), "COP": (2, 0), "HUF": (2, 0), "IDR": (2, 0), "IQD": (3, 0), "IRR": (2, 0),
        "KPW": (2, 0), "LAK": (2, 0), "LBP": (2, 0), "MGA": (2, 0), "MMK": (2, 0), "SOS": (2, 0), "SYP": (2, 0),
        "YER": (2, 0)}


def test_minor_units_become_an_exact_decimal():
    assert to_decimal(1250, "USD") == Decimal("12.50") and str(to_decimal(1250, "USD")) == "12.50"
    assert str(to_decimal(1250, "JPY")) == "1250"
    assert str(to_decimal(1250, "KWD")) == "1.250"
    assert str(to_decimal(-5, "USD")) == "-0.05"


# Typed amounts

@pytest.mark.parametrize("locale,text,expected", [
    (US, "12", 1200),
    (US, "12.5", 1250),
    (US, "12.50", 1250),
    (US, "0.07", 7),
    (US, ".5", 50),
    (US, "1,234.56", 123456),
    (US, "1234.56", 123456),
    (US, "1,234,567.89", 123456789),
    (US, "$1,234.56", 123456),
    (US, " $ 12 ", 1200),
    (US, "12 USD", 1200),
    (US, "usd 12", 1200),
    (US, "+12", 1200),
    (US, "0", 0),
    (GERMANY, "1.234,56", 123456),
    (GERMANY, "1234,56", 123456),
    (GERMANY, "12,5 €", 1250),
    (GERMANY, "1.234", 123400),  # a group sign here, not a decimal point
    (GERMAN, "1.234,56 €", 123456),
    (FRANCE, "1 234,56", 123456),
    (FRANCE, "1\u202f234,56\u00a0€", 123456),
    (INDIA, "12,34,567.50", 123456750),
    (INDIA, "₹1,234,567.50", 123456750),
    (SWITZERLAND, "1'234.50", 123450),
    (SWITZERLAND, "CHF 1’234.50", 123450),
    (JAPAN, "¥1,234", 1234),
    (JAPAN, "1234", 1234),
    (KUWAIT, "1.5", 1500),
    (KUWAIT, "1,234.567", 1234567),
    (BRAZIL, "R$ 1.234,56", 123456),
    (HUNGARY, "1 234,50", 123450),
])
def test_an_amount_is_read_as_the_clinic_writes_it(locale, text, expected):
    assert parse_money(text, locale) == expected


@pytest.mark.parametrize("locale,text,message", [
    (US, "", "Enter an amount."),
    (US, "   ", "Enter an amount."),
    (US, "12.345", "Use at most 2 decimal places."),
    (US, "0.001", "Use at most 2 decimal places."),
    (JAPAN, "12.5", "JPY amounts have no decimal places."),
    (KUWAIT, "1.2345", "Use at most 3 decimal places."),
    (US, "1.234,56", "Enter an amount such as $1,234.56."),  # German signs in a US clinic
    (GERMANY, "12.50", "Enter an amount such as 1.234,56\u00a0€."),  # US signs in a German clinic
    (US, "1,23.45", "Enter an amount such as $1,234.56."),
    (US, "1234,567", "Enter an amount such as $1,234.56."),
    (US, "12$50", "Enter an amount such as $1,234.56."),
    (US, "€12", "Enter an amount such as $1,234.56."),  # not the clinic's currency
    (US, "12.5.0", "Enter an amount such as $1,234.56."),
    (US, "twelve", "Enter an amount such as $1,234.56."),
    (US, "NaN", "Enter an amount such as $1,234.56."),
    (US, "inf", "Enter an amount such as $1,234.56."),
    (US, "Infinity", "Enter an amount such as $1,234.56."),
    (US, "1e5", "Enter an amount such as $1,234.56."),
    (US, "٣", "Enter an amount such as $1,234.56."),  # only ASCII digits
    (US, "--5", "Enter an amount such as $1,234.56."),
    (US, "-$-5", "Enter an amount such as $1,234.56."),
    (US, "-12", "Enter an amount of zero or more."),
    (US, "−12", "Enter an amount of zero or more."),  # a typographic minus is a minus too
    (US, "1" * 41, "Enter an amount such as $1,234.56."),
    (US, "100,000,000,000", "Enter an amount up to $99,999,999,999.99."),
])
def test_an_amount_we_cannot_trust_is_refused_with_a_message(locale, text, message):
    with pytest.raises(MoneyError) as error:
        parse_money(text, locale)
    assert str(error.value) == message


def test_a_negative_amount_is_read_only_where_allowed():
    assert parse_money("-12.50", US, allow_negative=True) == -1250
    assert parse_money("-$12.50", US, allow_negative=True) == -1250
    assert parse_money("$-12.50", US, allow_negative=True) == -1250
    assert parse_money("−1.234,56 €", GERMANY, allow_negative=True) == -123456
    assert parse_money("-0", US) == 0


def test_the_largest_amount_is_a_choice_of_the_caller():
    assert parse_money("99,999,999,999.99", US) == MAX_AMOUNT
    assert parse_money("500", US, maximum=50000) == 50000
    with pytest.raises(MoneyError, match=r"up to \$500.00"):
        parse_money("500.01", US, maximum=50000)


def test_an_amount_in_another_currency_uses_that_currencys_decimals():
    assert parse_money("1,234", US, currency="JPY") == 1234
    with pytest.raises(MoneyError, match="JPY amounts have no decimal places"):
        parse_money("12.50", US, currency="JPY")


# Shown amounts

@pytest.mark.parametrize("amount,currency,language,shown", [
    (123456, "USD", "en_US", "$1,234.56"),
    (-50, "USD", "en_US", "-$0.50"),
    (0, "USD", "en_US", "$0.00"),
    (123456, "GBP", "en_GB", "£1,234.56"),
    (123456, "EUR", "de_DE", "1.234,56\u00a0€"),
    (-123456, "EUR", "en_DE", "-1.234,56\u00a0€"),
    (1234, "JPY", "en_US", "¥1,234"),
    (1500, "KWD", "en_US", "KWD1.500"),
    (123456789, "INR", "en_IN", "₹12,34,567.89"),
    (123450, "HUF", "en_US", "HUF1,234.50"),  # ISO's two decimals shown, not CLDR's none: nothing hidden
    (123456789012, "CHF", "en_CH", "CHF\u00a01'234'567'890.12"),  # babel alone drops apostrophes in pairs
    (-123456789, "CHF", "de_CH", "CHF-1'234'567.89"),
])
def test_an_amount_is_shown_in_the_clinics_language_with_the_currencys_decimals(amount, currency, language, shown):
    assert format_money(amount, currency, language) == shown


def test_an_amount_is_shown_for_a_locale_in_its_own_language():
    assert format_money(123456, "EUR", GERMANY) == "1.234,56\u00a0€"
    assert format_money(123456, "CAD", Locale.for_country("CA")) == "$1,234.56"
    assert format_money(123456, "CAD", US) == "CA$1,234.56"  # a Canadian dollar is not a US one


def test_floats_are_not_amounts():
    with pytest.raises(TypeError):
        format_money(12.5, "USD", US)
    with pytest.raises(TypeError):
        format_money(True, "USD", US)


@pytest.mark.parametrize("locale", ALL, ids=lambda locale: f"{locale.language}-{locale.currency}")
def test_what_is_shown_reads_back_as_the_same_amount(locale):
    digits = minor_units(locale.currency)
    for amount in (0, 1, 7, 99, 100, 1234, 123456, 100000000, 123456789012, 10**digits):
        assert parse_money(format_money(amount, locale.currency, locale), locale) == amount
        assert parse_money(money_for_input(amount, locale), locale) == amount
        assert parse_money(format_money(-amount, locale.currency, locale), locale, allow_negative=True) == -amount


def test_a_form_field_shows_the_amount_without_symbol_or_grouping():
    assert money_for_input(123456, US) == "1234.56"
    assert money_for_input(123456, GERMANY) == "1234,56"
    assert money_for_input(1234, JAPAN) == "1234"
    assert money_for_input(1500, KUWAIT) == "1.500"


# The rounding rule

@pytest.mark.parametrize("value,rounded", [
    ("0.5", 1), ("1.5", 2), ("2.5", 3), ("3.5", 4),  # banker's rounding would give 0, 2, 2, 4
    ("-0.5", -1), ("-2.5", -3),  # halves go away from zero
    ("0.49", 0), ("0.51", 1), ("-0.49", 0), ("-0.51", -1),
    ("2", 2), ("0", 0),
])
def test_half_a_cent_rounds_away_from_zero(value, rounded):
    assert round_minor(Decimal(value)) == rounded


def test_the_rule_is_decimals_round_half_up_for_every_thousandth():
    for thousandths in range(-5000, 5001):
        value = Decimal(thousandths) / 1000
        assert round_minor(value) == int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_nothing_rounds_before_the_rule_does():
    # 0.4999...9 (29 nines) is below a half; a 28-digit Decimal product would make it 0.5 and round up.
    assert times(1, "0." + "4" + "9" * 29) == 0
    assert round_minor(Fraction(1, 2) - Fraction(1, 10**40)) == 0


@pytest.mark.parametrize("amount,percent,share", [
    (12345, 20, 2469),  # 24.69 exactly
    (1, 50, 1),  # 0.5 cent
    (3, 50, 2),  # 1.5 cents
    (5, 50, 3),  # 2.5 cents: banker's would give 2
    (-5, 50, -3),
    (999, "12.5", 125),  # 124.875
    (10000, "33.333", 3333),
    (10001, 0, 0),
    (10001, 100, 10001),
])
def test_a_percentage_of_an_amount_is_rounded_once(amount, percent, share):
    assert percent_of(amount, percent) == share
    assert percent_of(amount, Decimal(str(percent))) == share


def test_a_coinsurance_split_adds_up_to_the_amount():
    assert split_by_percent(10001, 20) == (2000, 8001)
    for amount in range(0, 2000, 7):
        for percent in ("0", "10", "12.5", "20", "33.3", "50", "100"):
            patient, payer = split_by_percent(amount, percent)
            assert patient + payer == amount


@pytest.mark.parametrize("unit_price,quantity,total", [
    (333, 3, 999),
    (1999, "1.5", 2999),  # 2998.5
    (125, "0.5", 63),  # 62.5
    (125, "0.25", 31),  # 31.25
    (-125, "0.5", -63),
    (1000, 0, 0),
])
def test_quantity_times_unit_price_is_rounded_once(unit_price, quantity, total):
    assert times(unit_price, quantity) == total


def test_floats_and_non_numbers_are_refused_in_computations():
    with pytest.raises(TypeError):
        percent_of(100, 0.1)
    with pytest.raises(TypeError):
        times(100, 1.5)
    with pytest.raises(TypeError):
        times(100.0, 1)
    with pytest.raises(ValueError):
        percent_of(100, "NaN")
    with pytest.raises(ValueError):
        times(100, Decimal("Infinity"))


# Allocation: parts that add up exactly

@pytest.mark.parametrize("amount,weights,parts", [
    (100, 3, [34, 33, 33]),
    (-100, 3, [-34, -33, -33]),
    (5, [1, 1], [3, 2]),  # the tie goes to the earlier part
    (1, [1, 1, 1], [1, 0, 0]),
    (100, [1, 2], [33, 67]),  # 33.33 and 66.67: the larger remainder gets the cent
    (1000, [70, 30], [700, 300]),
    (10, [0, 1], [0, 10]),
    (0, [1, 2], [0, 0]),
    (1001, ["0.5", "0.25", "0.25"], [501, 250, 250]),
    (7, 1, [7]),
])
def test_an_amount_is_split_by_largest_remainder(amount, weights, parts):
    assert allocate(amount, weights) == parts


def test_every_split_adds_up_and_no_part_is_a_cent_off_its_share():
    rng = random.Random(20240310)
    for _ in range(2000):
        amount = rng.randint(-10**7, 10**7)
        weights = [rng.randint(0, 50) for _ in range(rng.randint(1, 8))]
        if not any(weights):
            weights[0] = 1
        parts = allocate(amount, weights)
        assert sum(parts) == amount
        for part, weight in zip(parts, weights):
            assert abs(part - Fraction(amount * weight, sum(weights))) < 1


@pytest.mark.parametrize("weights", [[], [0, 0], [-1, 2], 0, [1.5, 1]])
def test_a_split_that_makes_no_sense_is_refused(weights):
    with pytest.raises((ValueError, TypeError)):
        allocate(100, weights)
