"""Scheduling's services: what the screens call.

Booking and changes live in ``booking``, series in ``series``, finding time
in ``availability`` and the waitlist in ``waitlist``; their entry points are
imported here too, so a screen needs only ``clinic.scheduling.services``. This module keeps the book's read queries:
each answers in one query with the patient, provider, type and room named.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from clinic.core.locale import Locale
from clinic.scheduling import rules
from clinic.scheduling.availability import Slot, next_free, working_spans  # noqa: F401
from clinic.scheduling.booking import (  # noqa: F401  (the screens' entry points)
    AppointmentChanged,
    AppointmentNotFound,
    Booking,
    BookingRefused,
    book,
    cancel,
    move,
    set_status,
)
from clinic.scheduling.conflicts import LONGEST_APPOINTMENT, Conflict  # noqa: F401
from clinic.scheduling.rules import STATUS_LABELS, TRANSITIONS, SeriesRule  # noqa: F401
from clinic.scheduling.series import (  # noqa: F401
    SeriesRefused,
    SeriesResult,
    book_series,
    cancel_in_series,
    move_in_series,
    series_of,
)
from clinic.scheduling.tables import Appointment, AppointmentChange
from clinic.scheduling.waitlist import (  # noqa: F401
    add_to_waitlist,
    matching_waitlist,
    remove_from_waitlist,
    waiting_entries,
)


@dataclass(frozen=True)
class ScheduledVisit:
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    reason: str
    patient_id: int
    patient_name: str
    provider_id: int
    provider_name: str


async def appointments_on(day: dt.date, locale: Locale) -> list[ScheduledVisit]:
    start, end = locale.day_bounds(day)
    rows = await (
        Appointment.select(
            Appointment.id,
            Appointment.starts_at,
            Appointment.ends_at,
            Appointment.status,
            Appointment.reason,
            Appointment.patient.id.as_alias("patient_id"),
            Appointment.patient.first_name.as_alias("first_name"),
            Appointment.patient.last_name.as_alias("last_name"),
            Appointment.provider.id.as_alias("provider_id"),
            Appointment.provider.display_name.as_alias("provider_name"),
        )
        .where((Appointment.starts_at >= start) & (Appointment.starts_at < end))
        .order_by(Appointment.starts_at)
        .order_by(Appointment.id)
    )
    return [
        ScheduledVisit(
            id=row["id"],
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            status=row["status"],
            reason=row["reason"],
            patient_id=row["patient_id"],
            patient_name=f"{row['last_name']}, {row['first_name']}",
            provider_id=row["provider_id"],
            provider_name=row["provider_name"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class BookEntry:
    """One appointment as the book and the chart show it."""

    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    revision: int
    patient_id: int
    patient_name: str  # "Last, First"
    provider_id: int
    provider_name: str
    provider_colour: str
    type_id: int | None
    type_name: str
    type_colour: str
    room_id: int | None
    room_name: str
    series_id: int | None
    reason: str
    notes: str
    overbook_reason: str
    late_cancel: bool
    cancel_reason: str

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS.get(self.status, self.status)

    @property
    def colour(self) -> str:
        return self.type_colour or self.provider_colour


def _entry_columns():
    return (
        Appointment.id, Appointment.starts_at, Appointment.ends_at, Appointment.status, Appointment.revision,
        Appointment.reason, Appointment.notes, Appointment.overbook_reason, Appointment.late_cancel,
        Appointment.cancel_reason, Appointment.series,
        Appointment.patient.id.as_alias("patient_id"),
        Appointment.patient.first_name.as_alias("first_name"),
        Appointment.patient.last_name.as_alias("last_name"),
        Appointment.provider.id.as_alias("provider_id"),
        Appointment.provider.display_name.as_alias("provider_name"),
        Appointment.provider.colour.as_alias("provider_colour"),
        Appointment.type.id.as_alias("type_id"),
        Appointment.type.name.as_alias("type_name"),
        Appointment.type.colour.as_alias("type_colour"),
        Appointment.room.id.as_alias("room_id"),
        Appointment.room.name.as_alias("room_name"),
    )


def _entry(row: dict) -> BookEntry:
    return BookEntry(
        id=row["id"], starts_at=row["starts_at"], ends_at=row["ends_at"], status=row["status"],
        revision=row["revision"], patient_id=row["patient_id"],
        patient_name=f"{row['last_name']}, {row['first_name']}", provider_id=row["provider_id"],
        provider_name=row["provider_name"], provider_colour=row["provider_colour"] or "", type_id=row["type_id"],
        type_name=row["type_name"] or "", type_colour=row["type_colour"] or "", room_id=row["room_id"],
        room_name=row["room_name"] or "", series_id=row["series"], reason=row["reason"], notes=row["notes"],
        overbook_reason=row["overbook_reason"], late_cancel=bool(row["late_cancel"]),
        cancel_reason=row["cancel_reason"],
    )


async def appointments_between(start_utc: dt.datetime, end_utc: dt.datetime, *,
                               provider_ids: list[int] | None = None,
                               include_cancelled: bool = False) -> list[BookEntry]:
    """Appointments overlapping [start, end), earliest first (for the day and week views).
    Cancelled and no-show ones only when asked for."""
    query = Appointment.select(*_entry_columns()).where(
        (Appointment.starts_at >= start_utc - LONGEST_APPOINTMENT) & (Appointment.starts_at < end_utc)
        & (Appointment.ends_at > start_utc))
    if provider_ids is not None:
        if not provider_ids:
            return []
        query = query.where(Appointment.provider.is_in(list(provider_ids)))
    if not include_cancelled:
        query = query.where(Appointment.status.is_in(sorted(rules.HOLDS_TIME)))
    rows = await query.order_by(Appointment.starts_at).order_by(Appointment.id)
    return [_entry(row) for row in rows]


async def patient_appointments(patient_id: int, *, limit: int = 200) -> list[BookEntry]:
    """A patient's appointments, cancelled ones included, latest first (the chart splits upcoming and past)."""
    rows = await Appointment.select(*_entry_columns()).where(Appointment.patient == patient_id).order_by(
        Appointment.starts_at, ascending=False).order_by(Appointment.id, ascending=False).limit(limit)
    return [_entry(row) for row in rows]


def appointment_columns():
    return (
        Appointment.all_columns(),
        Appointment.patient.first_name.as_alias("patient_first_name"),
        Appointment.patient.last_name.as_alias("patient_last_name"),
        Appointment.patient.mrn.as_alias("patient_mrn"),
        Appointment.provider.display_name.as_alias("provider_name"),
        Appointment.provider.colour.as_alias("provider_colour"),
        Appointment.type.name.as_alias("type_name"),
        Appointment.type.colour.as_alias("type_colour"),
        Appointment.room.name.as_alias("room_name"),
        Appointment.series.rule.as_alias("series_rule"),
    )


async def get_appointment(appointment_id: int) -> dict:
    """The appointment with its patient, provider, type, room and series named (one query)."""
    row = await Appointment.select(*appointment_columns()).where(Appointment.id == appointment_id).first()
    if row is None:
        raise AppointmentNotFound(appointment_id)
    row["patient_name"] = f"{row['patient_last_name']}, {row['patient_first_name']}"
    row["minutes"] = int((row["ends_at"] - row["starts_at"]).total_seconds() // 60)
    return row


async def history(appointment_id: int) -> list[dict]:
    """Every change, oldest first: what, when, who, and the fields before and after."""
    rows = await AppointmentChange.select(
        AppointmentChange.id, AppointmentChange.what, AppointmentChange.changed_at,
        AppointmentChange.staff.id.as_alias("staff_id"),
        AppointmentChange.staff.display_name.as_alias("staff_name"),
        AppointmentChange.before, AppointmentChange.after,
    ).where(AppointmentChange.appointment == appointment_id).order_by(AppointmentChange.changed_at).order_by(
        AppointmentChange.id)
    return [{**row, "before": json.loads(row["before"] or "{}"), "after": json.loads(row["after"] or "{}")}
            for row in rows]
