"""A patient's timeline: registration, appointments, chart entries, visits, newest first.

Clinical entries appear only for someone allowed to read them, insurance only
for someone allowed to see it; everyone who may open the chart sees
registration and appointments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.clinical.sections import SECTIONS
from clinic.clinical.tables import VitalSigns
from clinic.documents import services as documents
from clinic.patients.tables import Patient, PatientInsurance
from clinic.prescriptions import services as prescriptions
from clinic.scheduling.tables import Appointment
from clinic.visits.tables import Visit

PER_KIND = 200


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    kind: str
    title: str
    detail: str = ""


async def timeline(patient_id: int, *, clinical: bool, insurance: bool = False, limit: int = 100,
                   patient: dict | None = None, entries: dict[str, list[dict]] | None = None) -> list[Event]:
    """``patient`` (its row) and ``entries`` (``clinical.chart_entries``) when the caller
    has read them already, as the chart page has: the timeline is built from them
    instead of reading them again."""
    events: list[Event] = []
    if patient is None:
        patient = await Patient.select(Patient.created_at, Patient.archived_at).where(Patient.id == patient_id).first()
    if patient:
        events.append(Event(patient["created_at"], "registration", "Registered"))
        if patient["archived_at"]:
            events.append(Event(patient["archived_at"], "registration", "Record archived"))
    for row in await Appointment.select(
        Appointment.starts_at, Appointment.status, Appointment.reason, Appointment.provider.display_name.as_alias("with")
    ).where(Appointment.patient == patient_id).order_by(Appointment.starts_at, ascending=False).limit(PER_KIND):
        status = row["status"].replace("_", " ")
        events.append(Event(row["starts_at"], "appointment", f"Appointment with {row['with']} ({status})",
                            row["reason"]))
    if insurance:
        for row in await PatientInsurance.select(PatientInsurance.created_at, PatientInsurance.payer_name).where(
                PatientInsurance.patient == patient_id).limit(PER_KIND):
            events.append(Event(row["created_at"], "insurance", f"Insurance added: {row['payer_name']}"))
    if clinical:
        for section in SECTIONS.values():
            for row in await _section_rows(section, patient_id, entries):
                name = section.describe(row)
                events.append(Event(row["recorded_at"], section.key, f"{section.singular.capitalize()} recorded", name))
                if row["status"] != "active" and row["updated_at"] > row["recorded_at"]:
                    status = dict(section.statuses).get(row["status"], row["status"]).lower()
                    events.append(Event(row["updated_at"], section.key, f"{section.singular.capitalize()} marked {status}",
                                        name))
        for row in await VitalSigns.select(VitalSigns.measured_at, VitalSigns.systolic, VitalSigns.diastolic,
                                           VitalSigns.pulse).where(
                (VitalSigns.patient == patient_id) & (VitalSigns.status != "entered_in_error")).limit(PER_KIND):
            parts = []
            if row["systolic"]:
                parts.append(f"BP {row['systolic']}/{row['diastolic']}")
            if row["pulse"]:
                parts.append(f"pulse {row['pulse']}")
            events.append(Event(row["measured_at"], "vitals", "Vital signs", ", ".join(parts)))
        for row in await Visit.select(Visit.created_at, Visit.signed_at, Visit.reason,
                                      Visit.provider.display_name.as_alias("with")).where(
                Visit.patient == patient_id).order_by(Visit.created_at, ascending=False).limit(PER_KIND):
            events.append(Event(row["created_at"], "visit", f"Visit with {row['with']}", row["reason"]))
            if row["signed_at"]:
                events.append(Event(row["signed_at"], "visit", "Visit note signed", row["reason"]))
        for entry in await prescriptions.timeline_entries(patient_id, PER_KIND):
            events.append(Event(entry["at"], "prescription", entry["title"], entry["detail"]))
        for entry in await documents.timeline_entries(patient_id, PER_KIND):
            events.append(Event(entry["at"], "document", entry["title"], entry["detail"]))
    events.sort(key=lambda event: event.at, reverse=True)
    return events[:limit]


async def _section_rows(section, patient_id: int, entries: dict[str, list[dict]] | None) -> list[dict]:
    """A section's entries, newest recorded first, at most PER_KIND."""
    if entries is not None and section.key in entries:
        # As the query below reads them: newest first, the same moment in the order written.
        by_id = sorted(entries[section.key], key=lambda row: row["id"])
        return sorted(by_id, key=lambda row: row["recorded_at"], reverse=True)[:PER_KIND]
    table = section.table
    return await table.select(table.recorded_at, table.updated_at, table.status,
                              getattr(table, section.headline)).where(
        table.patient == patient_id).order_by(table.recorded_at, ascending=False).limit(PER_KIND)
