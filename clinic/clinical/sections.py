"""The chart's list sections, described once: their fields, checks and statuses.

One description drives the form, its validation, the list and the timeline
for allergies, medications, problems, history and immunisations. (Vital
signs have units and a computed BMI: see vitals.py.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clinic.clinical.tables import Allergy, ChartEntry, HistoryItem, Immunization, Medication, Problem
from clinic.core.errors import Invalid
from clinic.core.forms import Field, FormSpec, Reading, check

# Every chapter letter: U07.1 (COVID-19) and U09.9 are everyday ICD-10-CM codes.
ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
NOTES_LIMIT = 4000


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    singular: str
    table: type[ChartEntry]
    fields: tuple[Field, ...]
    statuses: tuple[tuple[str, str], ...]
    headline: str  # the field that names an entry
    empty: str
    order_by: str = "recorded_at"
    extra_checks: tuple = field(default=())
    # A field whose value names the same thing twice (the same allergen, the
    # same drug): adding it again while one is active asks first.
    duplicate_of: str = ""

    def describe(self, row: dict) -> str:
        return str(row.get(self.headline, ""))

    @property
    def form(self) -> FormSpec:
        return FormSpec(self.fields)

    @property
    def status_field(self) -> Field:
        return Field("status", "Status", kind="choice", required=True, choices=self.statuses)


STATUS_ACTIVE = ("active", "Active")
ENTERED_IN_ERROR = ("entered_in_error", "Entered in error")
NOTES = Field("notes", "Notes", kind="textarea", max_length=NOTES_LIMIT, hint="Kept encrypted.", wide=True)

# No default: a clinician says how severe, or says it is not known.
SEVERITIES = (("mild", "Mild"), ("moderate", "Moderate"), ("severe", "Severe"), ("unknown", "Not known"))
HISTORY_KINDS = (("medical", "Past medical"), ("surgical", "Surgical"), ("family", "Family"), ("social", "Social"))


def _icd10(values: dict) -> dict[str, str]:
    code = values.get("icd10_code", "")
    if code and not ICD10.match(code):
        return {"icd10_code": "Use an ICD-10 code such as E11.9 or J45.909 (letter, two characters, optional dot part)."}
    return {}


def _medication_dates(values: dict) -> dict[str, str]:
    start, stop = values.get("start_date"), values.get("stop_date")
    if start and stop and stop < start:
        return {"stop_date": "The stop date is before the start date."}
    return {}


def _problem_dates(values: dict) -> dict[str, str]:
    onset, resolved = values.get("onset"), values.get("resolved_on")
    if onset and resolved and resolved < onset:
        return {"resolved_on": "The problem cannot be resolved before its onset."}
    return {}


SECTIONS: dict[str, Section] = {
    section.key: section for section in (
        Section(
            key="allergies", title="Allergies", singular="allergy", table=Allergy, headline="substance",
            empty="No allergies recorded.", duplicate_of="substance",
            fields=(
                Field("substance", "Substance", required=True, max_length=120),
                Field("reaction", "Reaction", max_length=200),
                Field("severity", "Severity", kind="choice", required=True, choices=SEVERITIES),
                Field("onset", "Onset", kind="date", past_only=True),
                NOTES,
            ),
            statuses=(STATUS_ACTIVE, ("inactive", "Inactive"), ("resolved", "Resolved"), ENTERED_IN_ERROR),
        ),
        Section(
            key="medications", title="Medications", singular="medication", table=Medication, headline="name",
            empty="No medications recorded.", duplicate_of="name",
            fields=(
                Field("name", "Medication", required=True, max_length=160),
                Field("dose", "Dose", max_length=80, hint="e.g. 500 mg"),
                Field("frequency", "Frequency", max_length=80, hint="e.g. twice daily"),
                Field("route", "Route", max_length=40, hint="e.g. by mouth"),
                Field("start_date", "Started", kind="date", past_only=True),
                Field("stop_date", "Stopped", kind="date"),
                Field("prescriber", "Prescriber", max_length=120),
                NOTES,
            ),
            statuses=(STATUS_ACTIVE, ("stopped", "Stopped"), ENTERED_IN_ERROR),
            extra_checks=(_medication_dates,),
        ),
        Section(
            key="problems", title="Problems", singular="problem", table=Problem, headline="description",
            empty="No problems recorded.",
            fields=(
                Field("description", "Problem / condition", required=True, max_length=200),
                Field("icd10_code", "ICD-10 code", max_length=10, hint="Optional, e.g. E11.9"),
                Field("onset", "Onset", kind="date", past_only=True),
                Field("resolved_on", "Resolved on", kind="date", past_only=True),
                NOTES,
            ),
            statuses=(STATUS_ACTIVE, ("inactive", "Inactive"), ("resolved", "Resolved"), ENTERED_IN_ERROR),
            extra_checks=(_icd10, _problem_dates),
        ),
        Section(
            key="history", title="Medical, surgical, family and social history", singular="history item",
            table=HistoryItem, headline="description", empty="No history recorded.",
            fields=(
                Field("kind", "Kind", kind="choice", required=True, choices=HISTORY_KINDS),
                Field("description", "Description", required=True, max_length=300, wide=True),
                Field("when_text", "When", max_length=40, hint="e.g. 2019, childhood, mother"),
                NOTES,
            ),
            statuses=(STATUS_ACTIVE, ("inactive", "Inactive"), ENTERED_IN_ERROR),
        ),
        Section(
            key="immunizations", title="Immunisations", singular="immunisation", table=Immunization,
            headline="vaccine", empty="No immunisations recorded.", order_by="given_on",
            fields=(
                Field("vaccine", "Vaccine", required=True, max_length=120),
                Field("given_on", "Date given", kind="date", required=True, past_only=True),
                Field("dose_number", "Dose", max_length=20, hint="e.g. 2 of 3, booster"),
                Field("lot_number", "Lot number", max_length=40),
                Field("site", "Site", max_length=40, hint="e.g. left deltoid"),
                Field("given_by", "Given by", max_length=120),
                NOTES,
            ),
            statuses=(("active", "Given"), ENTERED_IN_ERROR),
        ),
    )
}


def same_thing(value: str) -> str:
    """How two entries are compared for "the same allergen": case and spacing ignored."""
    return " ".join(value.split()).casefold()


def clean_entry(section: Section, values: dict, reading: Reading) -> dict:
    clean, errors = check(section.form, values, reading)
    if "icd10_code" in clean and clean["icd10_code"]:
        clean["icd10_code"] = clean["icd10_code"].upper()
    for rule in section.extra_checks:
        for name, message in rule(clean).items():
            errors.setdefault(name, message)
    if errors:
        raise Invalid(errors)
    return clean
