"""The patient ledger: append-only entries; the balance is their sum.

An entry's ``amount`` is positive when it raises what is owed (a charge, a refund of credit,
credit used) and negative when it lowers it (a payment, an adjustment, credit kept). The
``bucket`` says who is expected to pay it: the patient, or insurance (pending with the payer).
Nothing here updates or deletes a row; a mistake is corrected by another entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.query.functions.aggregate import Sum

from clinic.billing.tables import LedgerEntry
from clinic.core import clock

KINDS = {"charge": "Charge", "payment": "Payment", "adjustment": "Adjustment", "credit": "Credit",
         "refund": "Refund"}
BUCKETS = {"patient": "Patient", "insurance": "Insurance"}


@dataclass(frozen=True)
class Balance:
    patient_due: int = 0  # negative: the patient has credit
    insurance_pending: int = 0

    @property
    def total(self) -> int:
        return self.patient_due + self.insurance_pending

    @property
    def credit(self) -> int:
        return max(-self.patient_due, 0)


async def post(patient_id: int, kind: str, amount: int, description: str, *, bucket: str = "patient",
               invoice_id: int | None = None, payment_id: int | None = None, staff_id: int | None = None) -> None:
    """Append one entry (inside the caller's transaction). A zero amount writes nothing."""
    if kind not in KINDS or bucket not in BUCKETS:
        raise ValueError(f"unknown ledger entry {kind}/{bucket}")
    if amount == 0:
        return
    await LedgerEntry.insert(LedgerEntry(patient=patient_id, occurred_at=clock.now(), kind=kind, bucket=bucket,
                                         amount=amount, description=description[:200], invoice=invoice_id,
                                         payment=payment_id, created_by=staff_id))


async def balance_of(patient_id: int) -> Balance:
    rows = await LedgerEntry.select(LedgerEntry.bucket, Sum(LedgerEntry.amount, alias="amount")).where(
        LedgerEntry.patient == patient_id).group_by(LedgerEntry.bucket)
    sums = {row["bucket"]: int(row["amount"] or 0) for row in rows}
    return Balance(patient_due=sums.get("patient", 0), insurance_pending=sums.get("insurance", 0))


async def entries_of(patient_id: int, *, limit: int = 200, offset: int = 0) -> list[dict]:
    """Newest first, each with the running balance after it."""
    rows = await LedgerEntry.select().where(LedgerEntry.patient == patient_id).order_by(
        LedgerEntry.occurred_at).order_by(LedgerEntry.id)
    running = {"patient": 0, "insurance": 0}
    for row in rows:
        running[row["bucket"]] += row["amount"]
        row["patient_after"], row["insurance_after"] = running["patient"], running["insurance"]
        row["kind_label"], row["bucket_label"] = KINDS[row["kind"]], BUCKETS[row["bucket"]]
    rows.reverse()
    return rows[offset:offset + limit]
