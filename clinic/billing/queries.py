"""Read-only look-ups billing needs from other domains: visits (services, diagnoses), appointments,
a patient's policies, names of staff and patients."""

from __future__ import annotations

import datetime as dt

from clinic.claims.tables import FeePayerPrice, Payer
from clinic.patients.tables import Patient, PatientInsurance
from clinic.practice.tables import ClinicProfile
from clinic.scheduling.tables import Appointment
from clinic.security.tables import Staff
from clinic.visits.tables import Visit, VisitDiagnosis, VisitService


async def visit_for_billing(visit_id: int) -> dict | None:
    return await Visit.select(Visit.id, Visit.patient, Visit.provider, Visit.appointment, Visit.state,
                              Visit.reason, Visit.created_at, Visit.signed_at).where(Visit.id == visit_id).first()


async def visit_services(visit_id: int) -> list[dict]:
    return await VisitService.select().where(VisitService.visit == visit_id).order_by(VisitService.id)


async def visit_diagnoses(visit_id: int) -> list[dict]:
    return await VisitDiagnosis.select().where(VisitDiagnosis.visit == visit_id).order_by(
        VisitDiagnosis.position).order_by(VisitDiagnosis.id)


async def visits_of_appointment(appointment_id: int) -> list[int]:
    return [row["id"] for row in await Visit.select(Visit.id).where(Visit.appointment == appointment_id)]


async def billable_visits(patient_id: int) -> list[dict]:
    """The patient's visits, newest first (a signed one is what usually gets invoiced)."""
    return await Visit.select(Visit.id, Visit.state, Visit.reason, Visit.created_at,
                              Visit.provider.display_name.as_alias("provider_name")).where(
        Visit.patient == patient_id).order_by(Visit.created_at, ascending=False).limit(30)


async def appointment_for_billing(appointment_id: int) -> dict | None:
    return await Appointment.select(Appointment.id, Appointment.patient, Appointment.provider,
                                    Appointment.starts_at, Appointment.status).where(
        Appointment.id == appointment_id).first()


async def policies_of(patient_id: int) -> list[dict]:
    """Active policies, primary first (member numbers stay sealed: billing screens do not show them)."""
    rows = await PatientInsurance.select(
        PatientInsurance.id, PatientInsurance.priority, PatientInsurance.payer_name, PatientInsurance.plan_name,
        PatientInsurance.copay, PatientInsurance.coinsurance_percent, PatientInsurance.deductible,
    ).where((PatientInsurance.patient == patient_id) & (PatientInsurance.active == True))  # noqa: E712
    order = {"primary": 0, "secondary": 1, "tertiary": 2}
    return sorted(rows, key=lambda row: (order.get(row["priority"], 9), row["id"]))


async def policy(policy_id: int) -> dict | None:
    return await PatientInsurance.select(
        PatientInsurance.id, PatientInsurance.patient, PatientInsurance.priority, PatientInsurance.payer_name,
        PatientInsurance.plan_name, PatientInsurance.copay, PatientInsurance.coinsurance_percent,
        PatientInsurance.deductible, PatientInsurance.active,
    ).where(PatientInsurance.id == policy_id).first()


async def patient_summary(patient_id: int) -> dict | None:
    return await Patient.select(
        Patient.id, Patient.mrn, Patient.first_name, Patient.last_name, Patient.date_of_birth,
        Patient.address_line1, Patient.address_line2, Patient.city, Patient.region, Patient.postal_code,
    ).where(Patient.id == patient_id).first()


async def patient_names(ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = await Patient.select(Patient.id, Patient.first_name, Patient.last_name).where(Patient.id.is_in(list(ids)))
    return {row["id"]: f"{row['last_name']}, {row['first_name']}" for row in rows}


async def staff_names(ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = await Staff.select(Staff.id, Staff.full_name).where(Staff.id.is_in(list(ids)))
    return {row["id"]: row["full_name"] for row in rows}


def year_bounds(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(moment.year, 1, 1, tzinfo=dt.timezone.utc)
    return start, start.replace(year=moment.year + 1)


async def clinic_currency() -> str:
    """The clinic's currency as its settings say, read without creating the settings row (the app
    creates it at start-up from the environment; a service must not store defaults of its own)."""
    row = await ClinicProfile.select(ClinicProfile.currency).order_by(ClinicProfile.id).first()
    return row["currency"] if row else "USD"


async def payer_price(fee_id: int, payer_name: str) -> int | None:
    """What the payer a policy names (as typed on the card) pays for this fee, if it has its own price."""
    wanted = " ".join((payer_name or "").split()).casefold()
    if not wanted:
        return None
    rows = await FeePayerPrice.select(FeePayerPrice.price, FeePayerPrice.payer.name.as_alias("payer_name")).where(
        (FeePayerPrice.fee == fee_id) & (FeePayerPrice.payer.active == True))  # noqa: E712
    return next((row["price"] for row in rows if row["payer_name"].casefold() == wanted), None)
