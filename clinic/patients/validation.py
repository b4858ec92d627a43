"""Checking a patient form: clear messages per field, the same on every backend."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from clinic.core.errors import Invalid
from clinic.core.forms import check, parse_integer
from clinic.core.locale import Locale
from clinic.patients.forms import PATIENT_FORM, PRIORITIES, RELATIONS
from clinic.patients.normalise import (
    IdentifierError,
    PhoneError,
    age_on,
    normalise_national_id,
    parse_phone,
)

MAX_AGE_YEARS = 130


def clean_patient(values: dict, locale: Locale) -> dict:
    clean, errors = check(PATIENT_FORM, values, locale.reading)
    birth = clean["date_of_birth"]
    if "date_of_birth" not in errors and age_on(birth, locale.today()) > MAX_AGE_YEARS:
        errors["date_of_birth"] = f"That would make the patient older than {MAX_AGE_YEARS}. Check the year."

    for name in ("phone", "phone_alt", "emergency_contact_phone"):
        if clean[name] and name not in errors:
            try:
                clean[name] = parse_phone(clean[name], locale.country)
            except PhoneError as error:
                errors[name] = str(error)

    if clean["email"] and "email" not in errors:
        try:
            clean["email"] = validate_email(clean["email"], check_deliverability=False).normalized.lower()
        except EmailNotValidError as error:
            errors["email"] = f"Enter a valid email address ({error})."

    if "national_id" not in errors:
        try:
            clean["national_id"] = normalise_national_id(clean["national_id"], locale.country)
        except IdentifierError as error:
            errors["national_id"] = str(error)

    # Which clinicians exist is checked by the service (it reads the database).
    provider = parse_integer(str(values.get("primary_provider", "")), minimum=1, maximum=2**31 - 1)
    clean["primary_provider"] = provider
    errors.pop("primary_provider", None)
    if values.get("primary_provider") and provider is None:
        errors["primary_provider"] = "Choose a clinician from the list."

    if errors:
        raise Invalid(errors)
    return clean


def clean_insurance(values: dict) -> dict:
    errors: dict[str, str] = {}
    payer = " ".join(str(values.get("payer_name", "")).split())
    member = "".join(str(values.get("member_number", "")).split()).upper()
    clean = {
        "payer_name": payer,
        "plan_name": " ".join(str(values.get("plan_name", "")).split()),
        "member_number": member,
        "group_number": "".join(str(values.get("group_number", "")).split()).upper(),
        "priority": str(values.get("priority", "primary")),
        "subscriber_relation": str(values.get("subscriber_relation", "self")),
        "subscriber_last_name": " ".join(str(values.get("subscriber_last_name", "")).split()),
        "subscriber_first_name": " ".join(str(values.get("subscriber_first_name", "")).split()),
    }
    if not payer:
        errors["payer_name"] = "Enter the insurer's name."
    elif len(payer) > 120:
        errors["payer_name"] = "Use at most 120 characters."
    if not member:
        errors["member_number"] = "Enter the member number from the insurance card."
    elif not (member.isascii() and member.replace("-", "").isalnum()) or not 3 <= len(member) <= 30:
        errors["member_number"] = "Use 3 to 30 letters and digits."
    if len(clean["group_number"]) > 40:
        errors["group_number"] = "Use at most 40 characters."
    if clean["priority"] not in PRIORITIES:
        errors["priority"] = "Choose primary or secondary."
    if clean["subscriber_relation"] not in RELATIONS:
        errors["subscriber_relation"] = "Choose who holds the policy."
    elif clean["subscriber_relation"] == "self":
        # The patient holds it: claims name the patient as the subscriber.
        clean["subscriber_last_name"] = clean["subscriber_first_name"] = ""
    else:
        # Claims name the holder as the subscriber, as the payer knows them.
        for name, limit, missing in (("subscriber_last_name", 60, "Enter the policy holder's last name."),
                                     ("subscriber_first_name", 35, "Enter the policy holder's first name.")):
            if not clean[name]:
                errors[name] = missing
            elif len(clean[name]) > limit:
                errors[name] = f"Use at most {limit} characters."
    if errors:
        raise Invalid(errors)
    return clean
