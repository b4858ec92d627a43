"""Read-only joins from the patient screens into other domains' tables."""

from __future__ import annotations

import datetime as dt

from clinic.core import clock
from clinic.scheduling.tables import Appointment


async def next_appointments(patient_ids: list[int]) -> dict[int, dt.datetime]:
    """Each patient's next booked appointment, in one query."""
    if not patient_ids:
        return {}
    rows = await Appointment.select(Appointment.patient, Appointment.starts_at).where(
        Appointment.patient.is_in(patient_ids)
        & (Appointment.starts_at >= clock.now())
        & Appointment.status.is_in(["booked", "confirmed", "arrived"])
    ).order_by(Appointment.starts_at)
    upcoming: dict[int, dt.datetime] = {}
    for row in rows:
        upcoming.setdefault(row["patient"], row["starts_at"])
    return upcoming
