"""Checking the patient and insurance forms, for a US and a British clinic (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.core.errors import Invalid
from clinic.core.locale import Locale
from clinic.patients.validation import MAX_AGE_YEARS, clean_insurance, clean_patient

US = Locale.for_country("US", "America/New_York")
GB = Locale.for_country("GB", "Europe/London")
REQUIRED = {"first_name": "Ana", "last_name": "Lee", "date_of_birth": "1980-03-15", "sex": "female"}
POLICY = {"payer_name": "Aetna", "member_number": "W123456789", "priority": "primary", "subscriber_relation": "self"}


def cleaned(locale: Locale, **values) -> dict:
    return clean_patient({**REQUIRED, **values}, locale)


def problems(locale: Locale, **values) -> dict[str, str]:
    with pytest.raises(Invalid) as refused:
        clean_patient({**REQUIRED, **values}, locale)
    return refused.value.errors


def insurance_problems(**values) -> dict[str, str]:
    with pytest.raises(Invalid) as refused:
        clean_insurance({**POLICY, **values})
    return refused.value.errors


# Names, sex and what is required

def test_it_accepts_the_four_required_fields_alone():
    clean = cleaned(US)
    assert (clean["first_name"], clean["last_name"], clean["sex"]) == ("Ana", "Lee", "female")
    assert clean["date_of_birth"] == dt.date(1980, 3, 15)
    assert clean["phone"] == "" and clean["email"] == "" and clean["national_id"] == ""
    assert clean["primary_provider"] is None


def test_it_says_what_is_missing_in_the_clinics_words():
    errors = problems(US, first_name=" ", last_name="", date_of_birth="", sex="")
    assert errors == {
        "first_name": "Enter the patient's first (given) name.",
        "last_name": "Enter the patient's last (family) name.",
        "date_of_birth": "Enter the date of birth.",
        "sex": "Choose one.",
    }


def test_it_collapses_the_spaces_typed_inside_a_name():
    assert cleaned(US, first_name="  Mary   Ann ")["first_name"] == "Mary Ann"


def test_it_refuses_a_sex_that_is_not_one_of_the_choices():
    assert problems(US, sex="robot") == {"sex": "Choose one."}


# Phones

def test_it_stores_a_phone_typed_the_us_way_as_e164():
    clean = cleaned(US, phone="(415) 555-0123", phone_alt="415.555.0199", emergency_contact_phone="+44 20 7946 0958")
    assert (clean["phone"], clean["phone_alt"], clean["emergency_contact_phone"]) == (
        "+14155550123", "+14155550199", "+442079460958")


def test_it_stores_a_phone_typed_the_british_way_as_e164():
    clean = cleaned(GB, phone="020 7946 0958", phone_alt="+1 415 555 0123")
    assert (clean["phone"], clean["phone_alt"]) == ("+442079460958", "+14155550123")


def test_it_reads_a_phone_without_a_country_code_as_the_clinics_country():
    # The same digits are a US number in New York and not a number at all in London.
    assert cleaned(US, phone="(415) 555-0123")["phone"] == "+14155550123"
    assert problems(GB, phone="(415) 555-0123") == {
        "phone": "This is not a valid phone number for the country it belongs to."}
    assert problems(US, phone="020 7946 0958") == {
        "phone": "This is not a valid phone number for the country it belongs to."}


@pytest.mark.parametrize("name", ["phone", "phone_alt", "emergency_contact_phone"])
def test_it_refuses_something_that_is_not_a_phone_number_in_each_phone_field(name):
    errors = problems(US, **{name: "call me"})
    assert list(errors) == [name] and errors[name].startswith("Enter a phone number")
    assert "call me" not in errors[name]


# Emails

def test_it_stores_an_email_in_lower_case():
    assert cleaned(US, email=" Ana.Lee@Example.ORG ")["email"] == "ana.lee@example.org"


@pytest.mark.parametrize("email", ["not-an-email", "ana@", "ana@example", "ana..lee@example.org", "ana lee@example.org"])
def test_it_refuses_an_email_address_that_cannot_be_one(email):
    errors = problems(US, email=email)
    assert list(errors) == ["email"] and errors["email"].startswith("Enter a valid email address")
    assert email not in errors["email"]


# Social Security and national numbers

@pytest.mark.parametrize("typed", ["123-45-6789", "123 45 6789", "123456789"])
def test_it_stores_a_social_security_number_as_nine_digits(typed):
    assert cleaned(US, national_id=typed)["national_id"] == "123456789"


@pytest.mark.parametrize("typed", ["12345678", "1234567890", "123-45-678a", "SSN 123456789"])
def test_it_asks_for_nine_digits_when_the_ssn_is_the_wrong_shape(typed):
    assert problems(US, national_id=typed) == {
        "national_id": "Enter the 9-digit Social Security number, e.g. 123-45-6789."}


@pytest.mark.parametrize("typed", ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000"])
def test_it_refuses_a_social_security_number_that_is_never_issued(typed):
    assert problems(US, national_id=typed) == {"national_id": "This is not a valid Social Security number."}


def test_it_refuses_a_social_security_number_written_in_other_digits():
    # Arabic-Indic digits pass str.isdigit and \d; they must not pass as an SSN.
    assert problems(US, national_id="١٢٣-٤٥-٦٧٨٩") == {
        "national_id": "Enter the 9-digit Social Security number, e.g. 123-45-6789."}


def test_a_british_clinic_stores_a_national_number_in_capitals_without_spaces():
    assert cleaned(GB, national_id="qq 12 34 56 c")["national_id"] == "QQ123456C"
    assert cleaned(GB, national_id="943 476 5919")["national_id"] == "9434765919"


@pytest.mark.parametrize("typed", ["AB1", "QQ_123456", "9" * 21])
def test_a_british_clinic_refuses_a_national_number_of_the_wrong_shape(typed):
    assert problems(GB, national_id=typed) == {"national_id": "Use 4 to 20 letters and digits."}


# Dates

def test_it_reads_a_date_typed_in_the_clinics_order():
    assert cleaned(US, date_of_birth="03/15/1980")["date_of_birth"] == dt.date(1980, 3, 15)
    assert cleaned(GB, date_of_birth="15/03/1980")["date_of_birth"] == dt.date(1980, 3, 15)


def test_it_reads_an_iso_date_in_every_clinic():
    for locale in (US, GB):
        assert cleaned(locale, date_of_birth="1980-03-15")["date_of_birth"] == dt.date(1980, 3, 15)


def test_it_refuses_a_date_typed_in_the_other_countrys_order():
    assert problems(US, date_of_birth="15/03/1980") == {"date_of_birth": "Enter a real date as MM/DD/YYYY."}
    assert problems(GB, date_of_birth="03/15/1980") == {"date_of_birth": "Enter a real date as DD/MM/YYYY."}


def test_a_date_that_fits_both_orders_is_read_in_the_clinics():
    assert cleaned(US, date_of_birth="04/07/1975")["date_of_birth"] == dt.date(1975, 4, 7)
    assert cleaned(GB, date_of_birth="04/07/1975")["date_of_birth"] == dt.date(1975, 7, 4)


def test_it_refuses_a_day_that_does_not_exist():
    assert problems(US, date_of_birth="02/30/1975") == {"date_of_birth": "Enter a real date as MM/DD/YYYY."}


def test_it_refuses_a_birth_date_in_the_future_by_the_clinics_calendar():
    # 23:30 on 31 December in New York is already 1 January in London.
    with time_machine.travel(dt.datetime(2031, 1, 1, 4, 30, tzinfo=dt.timezone.utc), tick=False):
        assert cleaned(GB, date_of_birth="01/01/2031")["date_of_birth"] == dt.date(2031, 1, 1)
        assert problems(US, date_of_birth="01/01/2031") == {"date_of_birth": "This date cannot be in the future."}


def test_it_accepts_a_patient_of_exactly_130_and_refuses_anyone_older():
    with time_machine.travel(dt.datetime(2040, 6, 1, 12, tzinfo=dt.timezone.utc), tick=False):
        assert cleaned(US, date_of_birth="1910-06-01")["date_of_birth"] == dt.date(1910, 6, 1)
        assert cleaned(US, date_of_birth="1909-06-02")["date_of_birth"] == dt.date(1909, 6, 2)
        assert problems(US, date_of_birth="1909-06-01") == {
            "date_of_birth": f"That would make the patient older than {MAX_AGE_YEARS}. Check the year."}


def test_a_year_before_1900_is_a_typo_whatever_the_date():
    assert problems(US, date_of_birth="1899-12-31") == {"date_of_birth": "Check the year."}


# The primary clinician (a select of staff ids)

def test_no_primary_clinician_is_none():
    assert cleaned(US, primary_provider="")["primary_provider"] is None


def test_a_primary_clinician_is_read_as_a_staff_id():
    assert cleaned(US, primary_provider="12")["primary_provider"] == 12


@pytest.mark.parametrize("typed", ["x", "0", "-3", "²", "١٢", str(2**31), "12.5"])
def test_a_primary_clinician_that_is_not_a_staff_id_is_refused(typed):
    assert problems(US, primary_provider=typed) == {"primary_provider": "Choose a clinician from the list."}


def test_every_problem_is_reported_at_once():
    errors = problems(US, first_name="", phone="12", email="x", national_id="000-00-0000", primary_provider="x")
    assert set(errors) == {"first_name", "phone", "email", "national_id", "primary_provider"}


# Insurance

def test_a_policy_is_stored_with_spaces_collapsed_and_numbers_in_capitals():
    clean = clean_insurance({**POLICY, "payer_name": "  Blue   Cross ", "plan_name": " PPO  Gold",
                             "member_number": "w123 456 789", "group_number": "grp 42"})
    assert clean == {"payer_name": "Blue Cross", "plan_name": "PPO Gold", "member_number": "W123456789",
                     "group_number": "GRP42", "priority": "primary", "subscriber_relation": "self",
                     "subscriber_last_name": "", "subscriber_first_name": ""}


def test_a_policy_without_priority_or_holder_is_the_patients_own_primary_one():
    clean = clean_insurance({"payer_name": "Aetna", "member_number": "W123"})
    assert (clean["priority"], clean["subscriber_relation"]) == ("primary", "self")


def test_a_policy_needs_an_insurer_and_a_member_number():
    assert insurance_problems(payer_name=" ", member_number="") == {
        "payer_name": "Enter the insurer's name.", "member_number": "Enter the member number from the insurance card."}


@pytest.mark.parametrize("member", ["AB", "X" * 31, "W123!", "---", "٣٣٣٣", "ÄÖÜ1"])
def test_a_member_number_is_3_to_30_latin_letters_and_digits(member):
    assert insurance_problems(member_number=member) == {"member_number": "Use 3 to 30 letters and digits."}


def test_a_member_number_may_have_dashes():
    assert clean_insurance({**POLICY, "member_number": "abc-123"})["member_number"] == "ABC-123"


def test_a_policy_refuses_long_names_and_unknown_choices():
    assert insurance_problems(payer_name="x" * 121, group_number="9" * 41, priority="tertiary",
                              subscriber_relation="cousin") == {
        "payer_name": "Use at most 120 characters.", "group_number": "Use at most 40 characters.",
        "priority": "Choose primary or secondary.", "subscriber_relation": "Choose who holds the policy."}
