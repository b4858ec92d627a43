"""The patient screens' forms, declared once (see clinic.core.forms)."""

from __future__ import annotations

from clinic.core.forms import Field, FormSpec

SEXES = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown"}
RELATIONS = {"self": "Self", "spouse": "Spouse", "child": "Child", "other": "Other"}
PRIORITIES = {"primary": "Primary", "secondary": "Secondary"}

PATIENT_FORM = FormSpec((
    Field("first_name", "First name", required=True, max_length=80, missing="Enter the patient's first (given) name."),
    Field("last_name", "Last name", required=True, max_length=80, missing="Enter the patient's last (family) name."),
    Field("preferred_name", "Preferred name", max_length=80),
    Field("date_of_birth", "Date of birth", kind="date", required=True, past_only=True),
    Field("sex", "Sex", kind="choice", required=True, choices=tuple(SEXES.items()), missing="Choose one."),
    Field("preferred_language", "Preferred language", max_length=40),
    Field("phone", "Phone", kind="tel", max_length=32),
    Field("phone_alt", "Other phone", kind="tel", max_length=32),
    Field("email", "Email", kind="email", max_length=254),
    Field("address_line1", "Address", max_length=120),
    Field("address_line2", "Address line 2", max_length=120),
    Field("city", "City", max_length=80),
    Field("region", "State / region", max_length=80),
    Field("postal_code", "Postal code", max_length=20),
    Field("emergency_contact_name", "Name", max_length=120),
    Field("emergency_contact_relation", "Relationship", max_length=40, hint="e.g. mother, husband, friend"),
    Field("emergency_contact_phone", "Phone", kind="tel", max_length=32),
    Field("primary_provider", "Primary clinician", kind="choice", blank="None"),
    Field("national_id", "SSN / national id", max_length=40, hint="Stored encrypted; shown masked."),
    Field("front_desk_notes", "Notes for the front desk", kind="textarea", max_length=2000, wide=True),
))

# How the form is laid out on the page.
PATIENT_FIELDSETS = (
    ("Name and birth", ("first_name", "last_name", "preferred_name", "date_of_birth", "sex", "preferred_language")),
    ("Contact", ("phone", "phone_alt", "email", "address_line1", "address_line2", "city", "region", "postal_code")),
    ("Emergency contact", ("emergency_contact_name", "emergency_contact_relation", "emergency_contact_phone")),
    ("Clinic", ("primary_provider", "national_id", "front_desk_notes")),
)

INSURANCE_FORM = FormSpec((
    Field("payer_name", "Insurer", required=True, max_length=120),
    Field("plan_name", "Plan", max_length=120),
    Field("member_number", "Member number", required=True, max_length=40, hint="Stored encrypted."),
    Field("group_number", "Group number", max_length=40),
    Field("priority", "Priority", kind="choice", required=True, choices=tuple(PRIORITIES.items())),
    Field("subscriber_relation", "Policy holder", kind="choice", required=True, choices=tuple(RELATIONS.items())),
    Field("subscriber_last_name", "Holder's last name", max_length=60, hint="When the holder is not the patient."),
    Field("subscriber_first_name", "Holder's first name", max_length=35),
))

MERGE_FORM = FormSpec((
    Field("survivor_mrn", "MRN of the record to keep", required=True, max_length=20),
))

BREAK_GLASS_FORM = FormSpec((
    Field("reason", "Why do you need it?", kind="textarea", required=True, max_length=500,
          hint="At least 10 characters. Your name, the time and this reason are reviewed."),
))


def list_filters(clinicians: list[dict], statuses: dict, last_visits: dict, sorts: dict) -> FormSpec:
    """The patient list's filters (a GET form: nothing typed, only choices)."""
    return FormSpec((
        Field("status", "Status", kind="choice", choices=tuple(statuses.items())),
        Field("provider", "Primary clinician", kind="choice", blank="Any",
              choices=tuple((str(c["id"]), c["display_name"] or c["full_name"]) for c in clinicians)),
        Field("last_visit", "Last visit", kind="choice", choices=tuple(last_visits.items())),
        Field("sort", "Sort", kind="choice", choices=tuple(sorts.items())),
    ))
