"""What the form walk types: valid values by field name, invalid ones by kind of field.

A new screen needs nothing here unless it has a text field whose name is not
below and whose kind says nothing (an email, a phone, a date, a number, a
notes box all have fallbacks): then the walk fails and names the field.
"""

from __future__ import annotations

import re
from typing import Callable

from tests.browser.pages import Field
from tests.factories import PASSWORD

# Longer than any text the app accepts (clinical notes: 4000 characters).
TOO_LONG = "x" * 5000
NEW_PASSWORD = "a quiet harbour at dawn 2026"
A_PAST_DATE = "2024-05-06"  # date inputs take ISO; the browser shows it in the user's order


def other_patient_mrn(form, clinic) -> str:
    """A record to merge into: any seeded patient but the one the page is about."""
    here = {int(number) for number in re.findall(r"/(\d+)", form.page_url)}
    return next(mrn for patient_id, mrn in clinic.mrns.items() if patient_id not in here)


def walk_remittance() -> str:
    """A fresh 835 each time (its trace number is new, so it is never a duplicate)."""
    import time

    from tests.claims.test_remittance_import import an_835, clp

    return an_835(f"WALK{time.time_ns()}", clp(777777, "1", "10", "10", "0", "SVC*HC:99213*10*10**1~"))


# Valid values by field name; a callable gets the form and the seeded clinic.
# The patient's name and birth date are those of a seeded patient on purpose:
# registering walks through the possible-duplicate warning.
def export_or_fee_code(form, clinic) -> str:
    """The field "code": the walker's current sign-in code when confirming an export, else a fee code."""
    if form.action_shape.startswith("/admin/exports"):
        import pyotp

        return pyotp.TOTP(clinic.walkers[form.role]["totp_secret"]).now()
    return "99215"


VALID: dict[str, str | Callable] = {
    # patients
    "first_name": "Hannah", "last_name": "Walker", "preferred_name": "Annie", "date_of_birth": "1984-07-09",
    "preferred_language": "English", "phone": "(415) 555-0134", "phone_alt": "(415) 555-0178",
    "email": "hannah.walker@example.org", "address_line1": "12 Harbour Road", "address_line2": "Apartment 3",
    "city": "Oakland", "region": "CA", "postal_code": "94607", "emergency_contact_name": "Sam Walker",
    "emergency_contact_relation": "Brother", "emergency_contact_phone": "(415) 555-0199",
    "national_id": "219-09-9999", "front_desk_notes": "Needs a large-print letter.",
    "survivor_mrn": other_patient_mrn,
    # insurance
    "payer_name": "Blue Shield of California", "plan_name": "Access+ HMO", "member_number": "XEA123456789",
    "group_number": "G-20410",
    # break the glass
    "reason": "Dr. Okafor asked me to check the allergy list before today's visit.",
    # chart sections
    "substance": "Latex", "reaction": "Contact dermatitis", "name": "Metformin", "dose": "500 mg",
    "frequency": "twice daily", "route": "by mouth", "prescriber": "Dr. Ben Okafor",
    "description": "Type 2 diabetes mellitus", "icd10_code": "E11.9", "when_text": "2019",
    "vaccine": "Tetanus, diphtheria", "dose_number": "booster", "lot_number": "TD2291A", "site": "left deltoid",
    "given_by": "Nurse Ada Lovelace",
    # vital signs, in US units
    "systolic": "124", "diastolic": "79", "pulse": "72", "respiratory_rate": "16", "oxygen_saturation": "98",
    "temperature": "98.6", "weight": "150", "height": "65",
    # visits: a diagnosis, a service, a note template, a favourite code
    "code_query": "E11.9", "service_code": "99213", "service_description": "Office visit, established patient",
    "quantity": "1", "visit_type": "Follow-up", "favourite_code": "J02.9",
    "outline": "## Subjective\n? What the patient reports\nNoted by the form walk.",
    # prescriptions (a dose in the usual range, whatever unit the walk picks) and documents
    "drug_name": "Cetirizine", "strength": "10 mg", "form": "tablet", "dose_amount": "1", "duration": "30 days",
    "stop_reason": "Finished the course.", "title": "Cardiology referral",
    # billing: a fee code the seeded schedule does not have yet, amounts as the clinic types money
    "code": export_or_fee_code, "price": "125.00", "unit_price": "40.00", "discount": "0", "no_show_fee": "25.00",
    "late_cancel_fee": "15.00", "amount": "10.00", "reference": "Slip 2044", "copay": "25.00",
    "deductible": "500.00", "number": "1", "payer_price": "80.00",
    "subscriber_last_name": "Walker", "subscriber_first_name": "Sam",
    # claims: a payer, the clinic's identifiers, an 835 naming a claim nobody has (posted as an exception)
    "payer_code": "BSC01", "billing_npi": "1234567893", "tax_id": "123456789", "submitter_id": "CLINIC01",
    "receiver_id": "CLEARING01", "receiver_name": "Clearing House", "waiting_days": "30", "codes": "CO-16",
    "note": "Checked with the payer by phone.", "file": lambda form, clinic: walk_remittance(),
    # staff
    "full_name": "Quinn Hartley", "display_name": "Quinn", "licence_number": "MD-30781",
    # audit filters
    "patient": lambda form, clinic: str(clinic.patients["abbott"]),
    # your own account
    "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
    # confirming it's you before a whole-clinic export (administrators always have two-step sign-in)
    "password": PASSWORD,
    # the clinic's settings: a closure still to come, hours that open before they close
    "appointment_minutes": "20",
    "first_day": "2099-12-24", "last_day": "2099-12-26",
    # the appointment book: a Monday far ahead, inside everyone's hours
    "day": "2099-12-14", "time": "10:00", "patient_q": "Abbott", "cancel_reason": "Patient called: unwell",
    "overbook_reason": "Urgent: seen between patients",
    # the waitlist: mornings in December 2099
    "earliest": "09:00", "latest": "12:00", "from_date": "2099-12-01", "until_date": "2099-12-31",
    # reminder wording (only the allowed placeholders)
    "subject": "Your appointment on {date} at {time}",
}
# Opening hours come in pairs named opens_<day>_<block> / closes_<day>_<block>.
BY_PATTERN = ((re.compile(r"opens_\d_0"), "08:30"), (re.compile(r"closes_\d_0"), "12:30"),
              (re.compile(r"opens_\d_1"), "13:30"), (re.compile(r"closes_\d_1"), "17:30"),
              # a provider's working hours: starts_<day>_<block> / ends_<day>_<block>
              (re.compile(r"starts_\d_0"), "08:30"), (re.compile(r"ends_\d_0"), "12:30"),
              (re.compile(r"starts_\d_1"), "13:30"), (re.compile(r"ends_\d_1"), "17:30"),
              (re.compile(r"starts_\d_2"), "18:00"), (re.compile(r"ends_\d_2"), "20:00"))
BY_KIND = {"email": "walk@example.org", "tel": "(415) 555-0101", "date": A_PAST_DATE, "number": "7",
           "textarea": "Noted by the form walk.", "time": "10:00",
           # a checkbox is ticked (the first of a group: e.g. one provider who offers a type)
           "checkbox": "on"}

# Values someone else already has, where the app must refuse them: staff
# emails are sign-in names (patients may share an email, so not theirs).
TAKEN: dict[str, tuple[Callable, Callable]] = {
    "email": (lambda form, clinic: clinic.colleagues["ben"]["email"],
              lambda form: form.action_shape.startswith("/admin/staff")),
}


def valid_value(field: Field, form, clinic) -> str | None:
    """What a careful person would type; None when the walk does not know."""
    if field.kind in ("select", "radio"):
        return next((option for option in field.options if option), None)
    if field.kind == "checkbox":
        return "on"  # ticked (tests/browser/form_walk.py ticks it)
    value = VALID.get(field.name)
    if value is None:
        value = next((text for pattern, text in BY_PATTERN if pattern.fullmatch(field.name)), None)
    if callable(value):
        value = value(form, clinic)
    if value is None:
        value = BY_KIND.get(field.kind)
    if value is None and "phone" in field.name:
        value = BY_KIND["tel"]
    if value is None and field.numeric:
        value = BY_KIND["number"]
    return value


def invalid_value(field: Field) -> str | None:
    """A wrong value a browser lets someone type; None when it does not (selects, date pickers)."""
    if field.kind in ("select", "radio", "checkbox", "date", "password", "datetime-local", "time", "color",
                      "range"):
        return None
    if field.kind == "email" or "email" in field.name:
        return "hannah@"
    if field.kind == "tel" or "phone" in field.name:
        return "12345"
    if field.numeric:
        return "abc"
    if re.search(r"(^|_)(date|dob)($|_)|_on$", field.name):
        return "2026-13-45"
    if field.maxlength:
        return None  # the browser stops typing at maxlength
    return TOO_LONG


def has_taken_value(field: Field, form) -> bool:
    rule = TAKEN.get(field.name)
    return bool(rule and rule[1](form))


def taken_value(field: Field, form, clinic) -> str | None:
    return TAKEN[field.name][0](form, clinic) if has_taken_value(field, form) else None
