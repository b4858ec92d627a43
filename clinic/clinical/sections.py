"""The chart's list sections, described once: their fields, checks and statuses.

One description drives the form, its validation, the list and the timeline
for allergies, medications, problems, history and immunisations. (Vital
signs have units and a computed BMI: see vitals.py.)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from clinic.clinical.tables import Allergy, ChartEntry, HistoryItem, Immunization, Medication, Problem
from clinic.core.errors import Invalid
from clinic.patients.normalise import date_hint, parse_date

ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
NOTES_LIMIT = 4000


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, date, choice, textarea
    required: bool = False
    max_length: int = 120
    choices: tuple[tuple[str, str], ...] = ()
    past_only: bool = True
    hint: str = ""
    wide: bool = False


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

    def describe(self, row: dict) -> str:
        return str(row.get(self.headline, ""))


STATUS_ACTIVE = ("active", "Active")
ENTERED_IN_ERROR = ("entered_in_error", "Entered in error")
NOTES = Field("notes", "Notes", kind="textarea", max_length=NOTES_LIMIT, hint="Kept encrypted.", wide=True)

SEVERITIES = (("mild", "Mild"), ("moderate", "Moderate"), ("severe", "Severe"), ("unknown", "Unknown"))
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


SECTIONS: dict[str, Section] = {
    section.key: section for section in (
        Section(
            key="allergies", title="Allergies", singular="allergy", table=Allergy, headline="substance",
            empty="No known allergies recorded.",
            fields=(
                Field("substance", "Substance", required=True),
                Field("reaction", "Reaction", max_length=200),
                Field("severity", "Severity", kind="choice", choices=SEVERITIES),
                Field("onset", "Onset", kind="date"),
                NOTES,
            ),
            statuses=(STATUS_ACTIVE, ("inactive", "Inactive"), ("resolved", "Resolved"), ENTERED_IN_ERROR),
        ),
        Section(
            key="medications", title="Medications", singular="medication", table=Medication, headline="name",
            empty="No medications recorded.",
            fields=(
                Field("name", "Medication", required=True, max_length=160),
                Field("dose", "Dose", max_length=80, hint="e.g. 500 mg"),
                Field("frequency", "Frequency", max_length=80, hint="e.g. twice daily"),
                Field("route", "Route", max_length=40, hint="e.g. by mouth"),
                Field("start_date", "Started", kind="date"),
                Field("stop_date", "Stopped", kind="date", past_only=False),
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
                Field("onset", "Onset", kind="date"),
                Field("resolved_on", "Resolved on", kind="date"),
                NOTES,
            ),
            statuses=(STATUS_ACTIVE, ("inactive", "Inactive"), ("resolved", "Resolved"), ENTERED_IN_ERROR),
            extra_checks=(_icd10,),
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
                Field("vaccine", "Vaccine", required=True),
                Field("given_on", "Date given", kind="date", required=True),
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


def clean_entry(section: Section, values: dict, *, date_order: str, today: dt.date) -> dict:
    errors: dict[str, str] = {}
    clean: dict = {}
    for item in section.fields:
        raw = str(values.get(item.name, "") or "")
        raw = raw.strip() if item.kind == "textarea" else " ".join(raw.split())
        if item.kind == "date":
            if not raw:
                clean[item.name] = None
            else:
                parsed = parse_date(raw, date_order)
                if parsed is None:
                    errors[item.name] = f"Enter a real date as {date_hint(date_order)}."
                elif item.past_only and parsed > today:
                    errors[item.name] = "This date cannot be in the future."
                elif parsed.year < 1900:
                    errors[item.name] = "Check the year."
                clean[item.name] = parsed
        elif item.kind == "choice":
            if raw and raw not in dict(item.choices):
                errors[item.name] = "Choose one of the options."
            clean[item.name] = raw or (item.choices[-1][0] if item.choices and not item.required else "")
        else:
            if item.name == "icd10_code":
                raw = raw.upper()
            if len(raw) > item.max_length:
                errors[item.name] = f"Use at most {item.max_length} characters."
            clean[item.name] = raw
        if item.required and not clean.get(item.name):
            errors.setdefault(item.name, f"Enter the {item.label.lower()}.")
    for check in section.extra_checks:
        for name, message in check(clean).items():
            errors.setdefault(name, message)
    if errors:
        raise Invalid(errors)
    return clean
