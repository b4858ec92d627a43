"""The booking, move and cancel forms, declared once, and reading them into a
``Booking`` (or a move) the services take. Field names follow the services'
errors (``provider_id``, ``type_id``, ``room_id``, ``minutes``) so an error
from a service lands beside its field."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from clinic.core.errors import Invalid
from clinic.core.forms import Field, FormSpec, Reading, check, parse_integer
from clinic.core.locale import Locale
from clinic.scheduling.booking import Booking

OVERBOOK_FIELDS = (
    Field("overbook", "Book anyway (overbook) despite the conflict above", kind="checkbox", wide=True),
    Field("overbook_reason", "Reason for overbooking", max_length=200, wide=True,
          hint="Recorded on the appointment and in the audit trail, and shown on the book."),
)

BOOKING_FORM = FormSpec((
    Field("provider_id", "Provider", kind="choice", required=True, missing="Choose a provider."),
    Field("type_id", "Appointment type", kind="choice", blank="No particular type",
          hint="The length follows the type."),
    Field("day", "Date", kind="date", required=True),
    Field("time", "Start time", kind="time", required=True),
    Field("minutes", "Length (minutes)", kind="integer", required=True, minimum=5, maximum=480, max_length=3),
    Field("room_id", "Room", kind="choice", blank="No room"),
    Field("notes", "Notes for the front desk", kind="textarea", max_length=1000),
    *OVERBOOK_FIELDS,
))

MOVE_FORM = FormSpec((
    Field("day", "Date", kind="date", required=True),
    Field("time", "Start time", kind="time", required=True),
    Field("minutes", "Length (minutes)", kind="integer", required=True, minimum=5, maximum=480, max_length=3),
    Field("provider_id", "Provider", kind="choice", required=True, missing="Choose a provider."),
    Field("room_id", "Room", kind="choice", blank="No room"),
    *OVERBOOK_FIELDS,
))

CANCEL_FORM = FormSpec((
    Field("cancel_reason", "Reason for cancelling", required=True, max_length=200, wide=True,
          missing="Say why the appointment is cancelled.", hint="e.g. Patient called: unwell"),
))


def new_token() -> str:
    """A booking form's idempotency token: the same form sent twice books once."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class MoveRequest:
    starts_at: dt.datetime
    minutes: int
    provider_id: int
    room_id: int | None
    overbook_reason: str


def _id(value) -> int | None:
    return int(value) if value else None


def _overbook_reason(clean: dict, errors: dict) -> str:
    """Only an explicit choice with a reason overbooks; a reason alone does nothing."""
    if not clean.get("overbook"):
        return ""
    reason = clean.get("overbook_reason") or ""
    if not reason and "overbook_reason" not in errors:
        errors["overbook_reason"] = "Say why this appointment is booked despite the conflict."
    return reason


def _starts_at(clean: dict, locale: Locale) -> dt.datetime:
    return locale.to_utc(clean["day"], clean["time"].replace(second=0, microsecond=0))


ID_FIELDS = ("provider_id", "type_id", "room_id")


def ids_as_numbers(spec: FormSpec) -> FormSpec:
    """The form as read: which provider, type and room exist (and go together) is the booking
    service's to judge, so the lists need not be loaded to read what was chosen."""
    for name in ID_FIELDS:
        if name in spec.names():
            spec = spec.with_field(name, kind="integer", minimum=1, maximum=2**31 - 1, max_length=12)
    return spec


def read_booking(spec: FormSpec, values: dict, reading: Reading, locale: Locale) -> Booking:
    clean, errors = check(ids_as_numbers(spec), values, reading)
    patient_id = parse_integer(str(values.get("patient_id", "")), minimum=1, maximum=2**31 - 1)
    if patient_id is None:
        errors["patient_id"] = "Choose the patient: search by name, MRN, date of birth or phone."
    reason = _overbook_reason(clean, errors)
    token = str(values.get("token", ""))
    if not 8 <= len(token) <= 64:
        errors["_token"] = "This form has expired: it was opened again, check it and book."
    if errors:
        raise Invalid(errors)
    return Booking(patient_id=patient_id, provider_id=int(clean["provider_id"]), type_id=_id(clean["type_id"]),
                   starts_at=_starts_at(clean, locale), minutes=clean["minutes"], room_id=_id(clean["room_id"]),
                   notes=clean["notes"] or "", overbook_reason=reason, idempotency_token=token)


def read_move(spec: FormSpec, values: dict, reading: Reading, locale: Locale) -> MoveRequest:
    clean, errors = check(ids_as_numbers(spec), values, reading)
    reason = _overbook_reason(clean, errors)
    if errors:
        raise Invalid(errors)
    return MoveRequest(starts_at=_starts_at(clean, locale), minutes=clean["minutes"],
                       provider_id=int(clean["provider_id"]), room_id=_id(clean["room_id"]), overbook_reason=reason)


def with_choices(spec: FormSpec, providers: list[dict], types: list[dict] | None, rooms: list[dict]) -> FormSpec:
    spec = spec.with_choices("provider_id", [(str(p["id"]), p["name"]) for p in providers])
    spec = spec.with_choices("room_id", [(str(r["id"]), r["name"]) for r in rooms])
    if types is not None:
        spec = spec.with_choices("type_id", [(str(t["id"]), f"{t['name']} ({t['minutes']} min)") for t in types])
    return spec
