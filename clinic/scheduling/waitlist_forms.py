"""The waitlist entry form: who waits, for whom and what, on which days and times."""

from __future__ import annotations

from clinic.core.errors import Invalid
from clinic.core.forms import Field, FormSpec, Reading, check, parse_integer
from clinic.scheduling.rules import weekday_name

WEEKDAYS = tuple((str(day), weekday_name(day)) for day in range(7))

WAITLIST_FORM = FormSpec((
    Field("type_id", "Appointment type", kind="choice", blank="Any type"),
    Field("earliest", "Not before (time)", kind="time", hint="e.g. 09:00; empty: any time."),
    Field("latest", "Finished by (time)", kind="time"),
    Field("from_date", "From", kind="date", hint="Empty: from today."),
    Field("until_date", "Until", kind="date", hint="After this day the entry lapses."),
    Field("notes", "Notes", kind="textarea", max_length=500, hint="e.g. Can come at an hour's notice."),
))


def _minutes(value) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


def read_entry(values: dict, providers: list[str], weekdays: list[str], reading: Reading) -> dict:
    """The keyword arguments of ``waitlist.add_to_waitlist`` (patient first), or ``Invalid``."""
    # Which types exist is the service's to judge: the id is read as a number.
    reading_spec = WAITLIST_FORM.with_field("type_id", kind="integer", minimum=1, maximum=2**31 - 1, max_length=12)
    clean, errors = check(reading_spec, values, reading)
    patient_id = parse_integer(str(values.get("patient_id", "")), minimum=1, maximum=2**31 - 1)
    if patient_id is None:
        errors["patient_id"] = "Choose the patient: search by name, MRN, date of birth or phone."
    provider_ids = [parse_integer(text, minimum=1, maximum=2**31 - 1) for text in providers]
    if None in provider_ids:
        errors["providers"] = "Choose providers from the list."
    days = [parse_integer(text, minimum=0, maximum=6) for text in weekdays]
    if None in days:
        errors["weekdays"] = "Choose days of the week."
    type_id = clean["type_id"]
    if errors:
        raise Invalid(errors)
    return {"patient_id": patient_id, "provider_ids": provider_ids, "type_id": type_id, "weekdays": days,
            "earliest_minutes": _minutes(clean["earliest"]), "latest_minutes": _minutes(clean["latest"]),
            "from_date": clean["from_date"], "until_date": clean["until_date"], "notes": clean["notes"] or ""}
