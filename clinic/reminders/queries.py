"""Read-only joins the reminders need from scheduling, patients and staff."""

from __future__ import annotations

import datetime as dt

from clinic.db.transactions import for_update
from clinic.scheduling.tables import Appointment

# Statuses that still expect the patient: only these are reminded.
REMINDABLE = ("booked", "confirmed")


async def appointments_starting(start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Booked or confirmed appointments starting in [start, end), with how to reach the patient."""
    return await (
        Appointment.select(
            Appointment.id, Appointment.revision, Appointment.starts_at, Appointment.status,
            Appointment.provider.as_alias("provider_id"),
            Appointment.patient.email.as_alias("email"),
            Appointment.patient.phone.as_alias("phone"),
            Appointment.patient.archived_at.as_alias("archived_at"),
        )
        .where((Appointment.starts_at >= start) & (Appointment.starts_at < end)
               & Appointment.status.is_in(list(REMINDABLE)))
        .order_by(Appointment.starts_at)
    )


async def appointment_facts(appointment_ids: list[int], *, lock: bool = False) -> dict[int, dict]:
    """Status, revision, start and provider of each appointment (locked inside a transaction when asked)."""
    if not appointment_ids:
        return {}
    # The provider's id from the appointment's own column: no join, so a lock takes the appointment row alone.
    query = Appointment.select(Appointment.id, Appointment.status, Appointment.revision, Appointment.starts_at,
                               Appointment.provider.as_alias("provider_id")).where(
        Appointment.id.is_in(appointment_ids))
    rows = await (for_update(query) if lock else query)
    return {row["id"]: row for row in rows}


async def message_details(appointment_id: int) -> dict | None:
    """What a message needs: the time, the provider's display name, the patient's addresses."""
    return await Appointment.select(
        Appointment.id, Appointment.revision, Appointment.status, Appointment.starts_at, Appointment.ends_at,
        Appointment.provider.display_name.as_alias("provider_name"),
        Appointment.patient.email.as_alias("email"),
        Appointment.patient.phone.as_alias("phone"),
    ).where(Appointment.id == appointment_id).first()


async def provider_calendar(staff_id: int, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """A provider's appointments for the feed: times, status, type and the patient's initials only."""
    return await (
        Appointment.select(
            Appointment.id, Appointment.revision, Appointment.starts_at, Appointment.ends_at, Appointment.status,
            Appointment.updated_at,
            Appointment.type.name.as_alias("type_name"),
            Appointment.patient.first_name.as_alias("first_name"),
            Appointment.patient.last_name.as_alias("last_name"),
        )
        .where((Appointment.provider == staff_id) & (Appointment.starts_at >= start) & (Appointment.starts_at < end)
               & Appointment.status.not_in(["cancelled"]))
        .order_by(Appointment.starts_at)
    )
