"""Reads of a sibling's tables that scheduling needs: the patient's row.

Booking locks the patient's row (a read: ``SELECT ... FOR UPDATE``, nothing
written) so that two bookings for one patient take turns, and checks the
record is live.
"""

from __future__ import annotations

from clinic.db.transactions import for_update
from clinic.patients.tables import Patient


async def lock_patient(patient_id: int) -> dict | None:
    """Inside a transaction: hold the patient's row until it ends; returns whether it is live
    (``archived_at``, ``merged_into``), or None if there is no such patient."""
    return await for_update(Patient.select(Patient.id, Patient.archived_at, Patient.merged_into).where(
        Patient.id == patient_id)).first()


async def patient_state(patient_id: int) -> dict | None:
    """Whether the record exists and is live (not archived or merged away)."""
    return await Patient.select(Patient.archived_at, Patient.merged_into).where(Patient.id == patient_id).first()
