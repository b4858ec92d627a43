"""The demo's prescriptions: each current medication a demo doctor started, signed as a prescription.

Written after the charts (demo_history.py), numbered in the order they were
signed, each linked to the medication it added, so a demo chart's
prescriptions and medications tell the same story.
"""

from __future__ import annotations

from decimal import Decimal

from clinic.clinical.tables import Medication
from clinic.prescriptions.druglist import by_name
from clinic.prescriptions.tables import Prescription, PrescriptionCounter

PER_UNIT = ("tablet", "capsule")


async def add_prescriptions(clinicians: list) -> int:
    """Returns how many prescriptions were written."""
    licences = {row.id: (row.full_name, row.licence_number) for row in clinicians if row.licence_number}
    medications = await Medication.select().where(
        (Medication.status == "active") & Medication.recorded_by.is_in(list(licences) or [0])).order_by(
        Medication.recorded_at).order_by(Medication.id)
    rows = []
    for medication in medications:
        drug = by_name(medication["name"])
        if drug is None:
            continue
        form = next((f for f in drug.forms if f in PER_UNIT), drug.forms[0])
        strength = medication["dose"] if medication["dose"] in drug.strengths else ""
        name, licence = licences[medication["recorded_by"]]
        rows.append(Prescription(
            patient=medication["patient"], number=len(rows) + 1, status="active", drug_name=drug.name,
            drug_key=drug.key, drug_class=drug.drug_class, strength=strength, form=form,
            dose_amount=Decimal(1) if strength and form in PER_UNIT else None,
            dose_unit=form if strength and form in PER_UNIT else "", route=medication["route"] or drug.route,
            frequency=medication["frequency"], duration="90 days", quantity=f"90 {form}s" if form in PER_UNIT else "",
            refills=3, prepared_at=medication["recorded_at"], prepared_by=medication["recorded_by"],
            updated_at=medication["recorded_at"], updated_by=medication["recorded_by"],
            signed_at=medication["recorded_at"], signed_by=medication["recorded_by"], prescriber_name=name,
            prescriber_licence=licence, medication_id=medication["id"]))
    for start in range(0, len(rows), 250):
        await Prescription.insert(*rows[start:start + 250])
    await PrescriptionCounter.insert(PrescriptionCounter(singleton=1, last_number=len(rows)))
    return len(rows)
