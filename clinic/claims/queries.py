"""Read-only look-ups claims needs from other domains: an invoice with its lines and diagnoses, the
policy (member number opened only to go on a claim), the patient and the clinic."""

from __future__ import annotations

from clinic.billing.tables import Invoice, InvoiceDiagnosis, InvoiceLine
from clinic.patients.tables import Patient, PatientInsurance
from clinic.practice.tables import ClinicProfile
from clinic.security import fields
from clinic.security.tables import Staff
from clinic.visits.tables import Visit


async def invoice_for_claim(invoice_id: int) -> dict | None:
    row = await Invoice.select().where(Invoice.id == invoice_id).first()
    if row is None:
        return None
    row["lines"] = await InvoiceLine.select().where(InvoiceLine.invoice == invoice_id).order_by(
        InvoiceLine.position).order_by(InvoiceLine.id)
    row["diagnoses"] = await InvoiceDiagnosis.select().where(InvoiceDiagnosis.invoice == invoice_id).order_by(
        InvoiceDiagnosis.position)
    row["service_date"] = None
    if row["visit"]:
        visit = await Visit.select(Visit.created_at).where(Visit.id == row["visit"]).first()
        row["service_date"] = visit["created_at"] if visit else None
    return row


async def invoices_with_payer_share() -> list[dict]:
    """Issued invoices with an insurance part: what a claim can be made from."""
    return await Invoice.select(Invoice.id, Invoice.number, Invoice.patient, Invoice.insurance_share,
                                Invoice.policy).where(
        (Invoice.kind == "invoice") & Invoice.state.is_in(["issued", "partially_paid", "paid"])
        & (Invoice.insurance_share > 0)).order_by(Invoice.number, ascending=False).limit(50)


async def policy_for_claim(policy_id: int) -> dict | None:
    row = await PatientInsurance.select().where(PatientInsurance.id == policy_id).first()
    if row is None:
        return None
    row["member_number"] = fields.cipher().open(PatientInsurance, "member_number", row["id"],
                                                row["member_number"]) if row["member_number"] else ""
    return row


async def policy_patient(policy_id: int) -> int | None:
    row = await PatientInsurance.select(PatientInsurance.patient).where(PatientInsurance.id == policy_id).first()
    return row["patient"] if row else None


async def policies_of(patient_id: int) -> list[dict]:
    return await PatientInsurance.select(PatientInsurance.id, PatientInsurance.priority, PatientInsurance.payer_name,
                                         PatientInsurance.plan_name, PatientInsurance.active).where(
        PatientInsurance.patient == patient_id).order_by(PatientInsurance.id)


async def active_policies_of(patient_ids: list[int]) -> list[dict]:
    return await PatientInsurance.select(PatientInsurance.id, PatientInsurance.patient, PatientInsurance.priority,
                                         PatientInsurance.payer_name).where(
        PatientInsurance.patient.is_in(list(patient_ids)) & (PatientInsurance.active == True))  # noqa: E712


async def patient_for_claim(patient_id: int) -> dict | None:
    return await Patient.select(
        Patient.id, Patient.mrn, Patient.first_name, Patient.last_name, Patient.date_of_birth, Patient.sex,
        Patient.address_line1, Patient.city, Patient.region, Patient.postal_code,
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


async def clinic_profile() -> dict:
    row = await ClinicProfile.select().order_by(ClinicProfile.id).first()
    return row or {"name": "Clinic", "address_line1": "", "city": "", "region": "", "postal_code": "", "phone": ""}


async def invoices_of_visit(visit_id: int) -> list[int]:
    return [row["id"] for row in await Invoice.select(Invoice.id).where(Invoice.visit == visit_id)]


async def invoices_of_appointment(appointment_id: int) -> list[int]:
    """The appointment's own charges (a missed-appointment fee) and those of its visits."""
    visits = [row["id"] for row in await Visit.select(Visit.id).where(Visit.appointment == appointment_id)]
    condition = Invoice.appointment == appointment_id
    if visits:
        condition = condition | Invoice.visit.is_in(visits)
    return [row["id"] for row in await Invoice.select(Invoice.id).where(condition)]
