"""Read-only joins for the chart across domains (appointments beside the patient)."""

from __future__ import annotations

from clinic.core import clock
from clinic.scheduling.tables import Appointment

UPCOMING = ("booked", "confirmed", "arrived")


async def next_and_last_appointment(patient_id: int) -> dict:
    now = clock.now()
    columns = (Appointment.starts_at, Appointment.status, Appointment.provider.display_name.as_alias("with"))
    upcoming = await Appointment.select(*columns).where(
        (Appointment.patient == patient_id) & (Appointment.starts_at >= now) & Appointment.status.is_in(UPCOMING)
    ).order_by(Appointment.starts_at).first()
    last = await Appointment.select(*columns).where(
        (Appointment.patient == patient_id) & (Appointment.starts_at < now)
    ).order_by(Appointment.starts_at, ascending=False).first()
    return {"next": upcoming, "last": last}
