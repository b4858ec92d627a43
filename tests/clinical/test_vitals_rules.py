"""Vital signs: units both ways, BMI, plausible ranges and the form's rules (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clinic.clinical.vitals import (
    add_bmi,
    bmi,
    clean_vitals,
    from_metric,
    measures,
    to_metric,
    unit_labels,
    vitals_form_values,
)
from clinic.core.errors import Invalid

NOW = dt.datetime(2026, 11, 30, 14, 5, tzinfo=dt.timezone.utc)


def problems(values: dict, units: str = "us") -> dict[str, str]:
    with pytest.raises(Invalid) as refused:
        clean_vitals(values, units, NOW)
    return refused.value.errors


# Units

@pytest.mark.parametrize("name, typed, stored", [
    ("temperature", "98.6", "37.0"),
    ("temperature", "32", "0.0"),
    ("temperature", "104", "40.0"),
    ("weight", "154", "69.9"),
    ("weight", "1", "0.5"),
    ("height", "65", "165.1"),
    ("height", "70.5", "179.1"),
])
def test_us_units_are_stored_in_metric_to_one_decimal(name, typed, stored):
    assert to_metric(name, Decimal(typed), "us") == Decimal(stored)


@pytest.mark.parametrize("name, stored, shown", [
    ("temperature", "37.0", "98.6"),
    ("temperature", "0", "32.0"),
    ("weight", "69.9", "154.1"),
    ("height", "165.1", "65.0"),
])
def test_stored_metric_values_are_shown_in_us_units_to_one_decimal(name, stored, shown):
    assert from_metric(name, Decimal(stored), "us") == Decimal(shown)


def test_a_us_temperature_comes_back_as_it_was_typed():
    for typed in ("96.8", "98.6", "99.5", "101.3", "104.0"):
        assert from_metric("temperature", to_metric("temperature", Decimal(typed), "us"), "us") == Decimal(typed)


def test_a_weight_in_pounds_comes_back_within_a_fifth_of_a_pound():
    # Stored to 0.1 kg (0.22 lb), so 154 lb is shown as 154.1 lb.
    for pounds in range(2, 400, 7):
        shown = from_metric("weight", to_metric("weight", Decimal(pounds), "us"), "us")
        assert abs(shown - pounds) <= Decimal("0.2"), pounds


def test_a_metric_clinic_stores_what_was_typed_to_one_decimal():
    assert to_metric("weight", Decimal("70.25"), "metric") == Decimal("70.3")
    assert to_metric("temperature", Decimal("37.24"), "metric") == Decimal("37.2")
    assert to_metric("height", Decimal("170"), "metric") == Decimal("170.0")


def test_a_metric_clinic_is_shown_the_stored_value():
    assert from_metric("weight", Decimal("70.3"), "metric") == Decimal("70.3")
    assert from_metric("temperature", 37, "metric") == Decimal("37.0")


def test_counts_and_pressures_have_no_units_to_convert():
    for name in ("pulse", "systolic", "respiratory_rate", "oxygen_saturation"):
        assert to_metric(name, Decimal(72), "us") == Decimal(72)


def test_nothing_measured_is_shown_as_nothing():
    assert from_metric("weight", None, "us") is None


def test_the_form_names_each_unit_in_the_clinics_system():
    assert unit_labels("us") == {"systolic": "mmHg", "diastolic": "mmHg", "pulse": "/min", "respiratory_rate": "/min",
                                 "oxygen_saturation": "%", "temperature": "°F", "weight": "lb", "height": "in"}
    assert (unit_labels("metric")["temperature"], unit_labels("metric")["weight"],
            unit_labels("metric")["height"]) == ("°C", "kg", "cm")


# BMI

def test_bmi_is_weight_over_height_squared_to_one_decimal():
    assert bmi(Decimal("69.9"), Decimal("165.1")) == Decimal("25.6")
    assert bmi(70, 175) == Decimal("22.9")
    assert bmi(3.4, 50) == Decimal("13.6")  # a newborn


def test_there_is_no_bmi_without_a_weight_and_a_height():
    assert bmi(None, 170) is None and bmi(70, None) is None and bmi(0, 170) is None


def test_a_reading_without_a_height_takes_the_latest_height_measured():
    newest_first = [
        {"weight_kg": Decimal("80"), "height_cm": None},
        {"weight_kg": Decimal("78"), "height_cm": Decimal("180")},
        {"weight_kg": None, "height_cm": None},
        {"weight_kg": Decimal("70"), "height_cm": Decimal("170")},
        {"weight_kg": Decimal("69"), "height_cm": None},
    ]
    add_bmi(newest_first)
    assert [row["bmi"] for row in newest_first] == [
        Decimal("24.7"), Decimal("24.1"), None, Decimal("24.2"), Decimal("21.3")]


def test_without_any_height_no_reading_has_a_bmi():
    readings = [{"weight_kg": Decimal("80"), "height_cm": None}]
    add_bmi(readings)
    assert readings[0]["bmi"] is None


# Ranges

def test_the_ranges_are_in_the_clinics_units():
    us = {m.name: (m.low, m.high) for m in measures("us")}
    metric = {m.name: (m.low, m.high) for m in measures("metric")}
    assert us["temperature"] == (86, 113) and metric["temperature"] == (30, 45)
    assert us["height"] == (8, 100) and metric["height"] == (20, 250)
    assert us["pulse"] == metric["pulse"] == (20, 250)


def test_a_typo_such_as_a_pulse_of_720_is_refused_with_the_range():
    assert problems({"pulse": "720"}) == {"pulse": "Expected between 20 and 250 /min."}


def test_forty_degrees_is_a_fever_in_celsius_and_a_typo_in_fahrenheit():
    assert clean_vitals({"temperature": "40"}, "metric", NOW)["temperature_c"] == Decimal("40.0")
    assert problems({"temperature": "40"}, "us") == {"temperature": "Expected between 86 and 113 °F."}


def test_a_decimal_comma_is_read_as_a_point():
    assert clean_vitals({"temperature": "37,5"}, "metric", NOW)["temperature_c"] == Decimal("37.5")


@pytest.mark.parametrize("typed", ["NaN", "nan", "sNaN", "Infinity", "-inf", "1e2", "37.5.1", "٣٧"])
def test_something_that_is_not_a_plain_number_is_refused(typed):
    assert problems({"temperature": typed}) == {"temperature": "Enter a number."}


@pytest.mark.parametrize("typed", ["NaN", "sNaN", "72.5", "7e1", "²"])
def test_a_count_must_be_a_whole_number(typed):
    assert problems({"pulse": typed}) == {"pulse": "Enter a whole number."}


# The form's own rules

def test_a_full_reading_is_stored_in_metric_with_the_time_it_was_taken():
    clean = clean_vitals({"systolic": "128", "diastolic": "82", "pulse": "72", "respiratory_rate": "16",
                          "oxygen_saturation": "98", "temperature": "98.6", "weight": "154", "height": "65",
                          "notes": "  After a short walk. "}, "us", NOW)
    assert clean == {"systolic": 128, "diastolic": 82, "pulse": 72, "respiratory_rate": 16, "oxygen_saturation": 98,
                     "temperature_c": Decimal("37.0"), "weight_kg": Decimal("69.9"), "height_cm": Decimal("165.1"),
                     "notes": "After a short walk.", "measured_at": NOW}


def test_one_measurement_is_enough():
    clean = clean_vitals({"pulse": "70"}, "us", NOW)
    assert clean["pulse"] == 70 and clean["systolic"] is None and clean["weight_kg"] is None


def test_a_reading_needs_at_least_one_measurement():
    assert problems({}) == {"systolic": "Enter at least one measurement."}
    assert problems({"systolic": " ", "notes": "Patient refused."}) == {"systolic": "Enter at least one measurement."}


def test_the_diastolic_pressure_must_be_below_the_systolic():
    message = "The diastolic pressure must be lower than the systolic."
    assert problems({"systolic": "80", "diastolic": "120"}) == {"diastolic": message}
    assert problems({"systolic": "90", "diastolic": "90"}) == {"diastolic": message}
    assert clean_vitals({"systolic": "90", "diastolic": "89"}, "us", NOW)["diastolic"] == 89


def test_a_blood_pressure_needs_both_numbers():
    assert problems({"systolic": "120"}) == {"diastolic": "Enter both blood pressure numbers."}
    assert problems({"diastolic": "80"}) == {"systolic": "Enter both blood pressure numbers."}


def test_a_missing_blood_pressure_number_is_reported_with_the_other_problems():
    assert problems({"systolic": "120", "pulse": "720"}) == {
        "pulse": "Expected between 20 and 250 /min.", "diastolic": "Enter both blood pressure numbers."}


def test_a_pressure_out_of_range_says_so_rather_than_asking_for_both():
    assert problems({"systolic": "400", "diastolic": "80"}) == {"systolic": "Expected between 50 and 300 mmHg."}


def test_every_problem_is_reported_at_once():
    errors = problems({"systolic": "80", "diastolic": "120", "pulse": "720", "temperature": "NaN"})
    assert set(errors) == {"diastolic", "pulse", "temperature"}


def test_a_stored_reading_fills_the_form_in_the_clinics_units():
    stored = {"systolic": 128, "diastolic": 82, "pulse": None, "respiratory_rate": None, "oxygen_saturation": 97,
              "temperature_c": Decimal("37.0"), "weight_kg": Decimal("69.9"), "height_cm": None, "notes": "Calm."}
    assert vitals_form_values(stored, "us") == {
        "systolic": "128", "diastolic": "82", "pulse": "", "respiratory_rate": "", "oxygen_saturation": "97",
        "temperature": "98.6", "weight": "154.1", "height": "", "notes": "Calm."}
    assert vitals_form_values(stored, "metric")["temperature"] == "37.0"
