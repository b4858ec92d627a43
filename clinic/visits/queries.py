"""Read-only look-ups across domains: the appointments a visit opens from."""

from __future__ import annotations

from clinic.core.locale import Locale
from clinic.scheduling.tables import Appointment
from clinic.visits.tables import Visit

OPENABLE_STATUSES = ("arrived", "in_progress")


async def appointment_for_visit(appointment_id: int) -> dict | None:
    return await Appointment.select(
        Appointment.id, Appointment.patient, Appointment.provider, Appointment.status, Appointment.reason,
    ).where(Appointment.id == appointment_id).first()


async def arrived_appointments(patient_id: int, locale: Locale) -> list[dict]:
    """Today's appointments of this patient who is here, without a visit yet: a visit may open from them."""
    start, end = locale.day_bounds(locale.today())
    rows = await Appointment.select(
        Appointment.id, Appointment.starts_at, Appointment.reason, Appointment.status,
        Appointment.provider.display_name.as_alias("with"),
    ).where((Appointment.patient == patient_id) & Appointment.status.is_in(list(OPENABLE_STATUSES))
            & (Appointment.starts_at >= start) & (Appointment.starts_at < end)).order_by(Appointment.starts_at)
    opened = {row["appointment"] for row in await Visit.select(Visit.appointment).where(
        Visit.appointment.is_in([row["id"] for row in rows]))} if rows else set()
    return [row for row in rows if row["id"] not in opened]


async def unsigned_notes(staff_id: int, role: str) -> list[dict]:
    """Draft notes waiting for this person: their own drafts, and for a doctor every nurse's note that
    needs a co-signature; oldest first, with the patient's name."""
    mine = (Visit.created_by == staff_id) | (Visit.provider == staff_id)
    condition = (mine | (Visit.requires_cosign == True)) if role == "doctor" else mine  # noqa: E712
    return await Visit.select(
        Visit.id, Visit.created_at, Visit.reason, Visit.requires_cosign,
        Visit.patient.id.as_alias("patient_id"), Visit.patient.first_name.as_alias("first_name"),
        Visit.patient.last_name.as_alias("last_name"), Visit.created_by.display_name.as_alias("author"),
    ).where((Visit.state == "draft") & condition).order_by(Visit.created_at).limit(200)
