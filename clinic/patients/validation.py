"""Checking a patient form: clear messages per field, the same on every backend."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from clinic.core.errors import Invalid
from clinic.patients.normalise import (
    IdentifierError,
    PhoneError,
    date_hint,
    normalise_national_id,
    parse_date,
    parse_phone,
)

SEXES = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown"}
RELATIONS = ("self", "spouse", "child", "other")
MAX_AGE_YEARS = 130
TEXT_LIMITS = {
    "first_name": 80, "last_name": 80, "preferred_name": 80, "address_line1": 120, "address_line2": 120,
    "city": 80, "region": 80, "postal_code": 20, "preferred_language": 40, "emergency_contact_name": 120,
    "emergency_contact_relation": 40, "front_desk_notes": 2000,
}


@dataclass(frozen=True)
class Locale:
    """What the clinic's country decides: phone parsing and the date order."""

    country: str
    date_order: str
    today: dt.date


def clean_patient(values: dict, locale: Locale) -> dict:
    errors: dict[str, str] = {}
    clean: dict = {}
    for name, limit in TEXT_LIMITS.items():
        value = " ".join(str(values.get(name, "")).split()) if name != "front_desk_notes" else str(
            values.get(name, "")).strip()
        if len(value) > limit:
            errors[name] = f"Use at most {limit} characters."
        clean[name] = value
    if not clean["first_name"]:
        errors["first_name"] = "Enter the patient's first (given) name."
    if not clean["last_name"]:
        errors["last_name"] = "Enter the patient's last (family) name."

    birth_text = str(values.get("date_of_birth", "")).strip()
    birth = parse_date(birth_text, locale.date_order)
    if not birth_text:
        errors["date_of_birth"] = "Enter the date of birth."
    elif birth is None:
        errors["date_of_birth"] = f"Enter a real date as {date_hint(locale.date_order)}."
    elif birth > locale.today:
        errors["date_of_birth"] = "The date of birth cannot be in the future."
    elif birth.year < locale.today.year - MAX_AGE_YEARS:
        errors["date_of_birth"] = f"That would make the patient older than {MAX_AGE_YEARS}. Check the year."
    clean["date_of_birth"] = birth

    sex = str(values.get("sex", "")).strip()
    if sex not in SEXES:
        errors["sex"] = "Choose one."
    clean["sex"] = sex

    for name in ("phone", "phone_alt", "emergency_contact_phone"):
        raw = str(values.get(name, "")).strip()
        clean[name] = ""
        if raw:
            try:
                clean[name] = parse_phone(raw, locale.country)
            except PhoneError as error:
                errors[name] = str(error)

    email = str(values.get("email", "")).strip()
    clean["email"] = ""
    if email:
        try:
            clean["email"] = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError as error:
            errors["email"] = f"Enter a valid email address ({error})."

    try:
        clean["national_id"] = normalise_national_id(str(values.get("national_id", "")), locale.country)
    except IdentifierError as error:
        errors["national_id"] = str(error)

    provider = str(values.get("primary_provider", "")).strip()
    clean["primary_provider"] = int(provider) if provider.isdigit() else None
    if provider and not provider.isdigit():
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
    }
    if not payer:
        errors["payer_name"] = "Enter the insurer's name."
    elif len(payer) > 120:
        errors["payer_name"] = "Use at most 120 characters."
    if not member:
        errors["member_number"] = "Enter the member number from the insurance card."
    elif not member.replace("-", "").isalnum() or not 3 <= len(member) <= 30:
        errors["member_number"] = "Use 3 to 30 letters and digits."
    if len(clean["group_number"]) > 40:
        errors["group_number"] = "Use at most 40 characters."
    if clean["priority"] not in ("primary", "secondary"):
        errors["priority"] = "Choose primary or secondary."
    if clean["subscriber_relation"] not in RELATIONS:
        errors["subscriber_relation"] = "Choose who holds the policy."
    if errors:
        raise Invalid(errors)
    return clean
