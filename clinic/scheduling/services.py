"""Scheduling rules: which appointments fall on a day, in the clinic's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.core.locale import Locale
from clinic.scheduling.tables import Appointment


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
