"""The chart's list sections: what each form requires and refuses (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.clinical.sections import SECTIONS, clean_entry, same_thing
from clinic.core.errors import Invalid
from clinic.core.forms import Reading
from clinic.core.locale import parse_date

TODAY = dt.date(2026, 11, 30)
US = Reading(parse_date=lambda text: parse_date(text, "MDY"), date_hint="MM/DD/YYYY", today=TODAY)


def cleaned(section_key: str, **values) -> dict:
    return clean_entry(SECTIONS[section_key], values, US)


def problems(section_key: str, **values) -> dict[str, str]:
    with pytest.raises(Invalid) as refused:
        clean_entry(SECTIONS[section_key], values, US)
    return refused.value.errors


# What each section requires

@pytest.mark.parametrize("section_key, missing", [
    ("allergies", {"substance": "Enter the substance.", "severity": "Choose the severity."}),
    ("medications", {"name": "Enter the medication."}),
    ("problems", {"description": "Enter the problem / condition."}),
    ("history", {"kind": "Choose the kind.", "description": "Enter the description."}),
    ("immunizations", {"vaccine": "Enter the vaccine.", "given_on": "Enter the date given."}),
])
def test_an_empty_form_says_what_each_section_needs(section_key, missing):
    assert problems(section_key) == missing


def test_an_allergy_needs_a_severity_even_if_it_is_not_known():
    assert cleaned("allergies", substance="Latex", severity="unknown")["severity"] == "unknown"
    assert problems("allergies", substance="Latex", severity="deadly") == {"severity": "Choose one of the options."}


def test_a_history_item_is_one_of_the_four_kinds():
    assert cleaned("history", kind="family", description="Mother: diabetes")["kind"] == "family"
    assert problems("history", kind="spiritual", description="x") == {"kind": "Choose one of the options."}


def test_free_text_is_kept_with_its_spaces_collapsed_and_notes_with_their_lines():
    clean = cleaned("medications", name="  Metformin   XR ", dose="500  mg", notes="  Take with food.\nNot at night. ")
    assert (clean["name"], clean["dose"], clean["notes"]) == ("Metformin XR", "500 mg", "Take with food.\nNot at night.")


def test_a_field_longer_than_its_limit_is_refused():
    assert problems("allergies", substance="x" * 121, severity="mild") == {"substance": "Use at most 120 characters."}


# Dates

def test_dates_are_read_in_the_clinics_order():
    assert cleaned("immunizations", vaccine="Influenza", given_on="10/01/2025")["given_on"] == dt.date(2025, 10, 1)


def test_an_onset_or_a_dose_in_the_future_is_refused():
    future = (TODAY + dt.timedelta(days=1)).isoformat()
    assert problems("allergies", substance="Latex", severity="mild", onset=future) == {
        "onset": "This date cannot be in the future."}
    assert problems("immunizations", vaccine="Influenza", given_on=future) == {
        "given_on": "This date cannot be in the future."}


def test_a_medication_may_have_a_planned_stop_date():
    planned = TODAY + dt.timedelta(days=7)
    clean = cleaned("medications", name="Amoxicillin", start_date=TODAY.isoformat(), stop_date=planned.isoformat())
    assert clean["stop_date"] == planned


def test_a_medication_cannot_stop_before_it_starts():
    assert problems("medications", name="Metformin", start_date="02/01/2024", stop_date="01/01/2024") == {
        "stop_date": "The stop date is before the start date."}


def test_a_medication_may_stop_the_day_it_starts_or_have_only_one_date():
    assert cleaned("medications", name="M", start_date="02/01/2024", stop_date="02/01/2024")["stop_date"]
    assert cleaned("medications", name="M", stop_date="01/01/2024")["start_date"] is None


def test_a_problem_cannot_be_resolved_before_its_onset():
    assert problems("problems", description="Asthma", onset="2020-05-01", resolved_on="2019-05-01") == {
        "resolved_on": "The problem cannot be resolved before its onset."}
    assert cleaned("problems", description="Asthma", onset="2019-05-01", resolved_on="2020-05-01")["resolved_on"]


# ICD-10 codes

@pytest.mark.parametrize("typed, stored", [
    ("E11.9", "E11.9"),
    ("e11.9", "E11.9"),
    ("J45.909", "J45.909"),
    ("I10", "I10"),
    ("S72.001A", "S72.001A"),
    ("U07.1", "U07.1"),
    ("u09.9", "U09.9"),
    ("C4A.9", "C4A.9"),
])
def test_an_icd10_code_is_stored_in_capitals(typed, stored):
    assert cleaned("problems", description="x", icd10_code=typed)["icd10_code"] == stored


@pytest.mark.parametrize("typed", ["123", "E1", "E11.", "E11.12345", "EE11", "E11-9", "1E1.9", "E11.9!"])
def test_something_that_is_not_an_icd10_code_is_refused_with_an_example(typed):
    errors = problems("problems", description="x", icd10_code=typed)
    assert list(errors) == ["icd10_code"] and "such as E11.9" in errors["icd10_code"]


def test_a_problem_needs_no_code():
    assert cleaned("problems", description="Back pain")["icd10_code"] == ""


def test_every_problem_is_reported_at_once():
    errors = problems("problems", description="", icd10_code="123", onset="2999-01-01")
    assert set(errors) == {"description", "icd10_code", "onset"}


# The same allergen or drug twice

def test_the_same_thing_ignores_case_and_spacing():
    assert same_thing("  Peanut   Butter ") == same_thing("peanut butter") == "peanut butter"
    assert same_thing("STRASSE") == same_thing("straße")
    assert same_thing("Penicillin") != same_thing("Penicillin G")


def test_an_entry_is_named_by_its_headline_field():
    assert SECTIONS["allergies"].describe({"substance": "Latex", "reaction": "Hives"}) == "Latex"
    assert SECTIONS["immunizations"].describe({"vaccine": "Influenza"}) == "Influenza"


def test_each_section_offers_entered_in_error_as_a_status():
    for section in SECTIONS.values():
        assert "entered_in_error" in dict(section.status_field.choices), section.key
