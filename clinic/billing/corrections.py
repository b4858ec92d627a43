"""Correcting issued invoices: credit notes, and what happens to an insurance part the payer
will not pay (moved to the patient, or written off). Also the fee for a missed appointment."""

from __future__ import annotations

import datetime as dt

from clinic.audit.services import Actor, record
from clinic.billing import ledger, queries
from clinic.billing.fees import billing_settings
from clinic.billing.invoices import (
    OPEN_STATES,
    InvoiceNotFound,
    LineInput,
    _clean_reason,
    _with_amounts,
    create_invoice,
    state_after_payment,
)
from clinic.billing.numbering import take_number
from clinic.billing.tables import Invoice, InvoiceLine, Payment, PaymentAllocation
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.db.transactions import for_update

CREDITABLE_STATES = (*OPEN_STATES, "paid")


async def _locked_invoice(invoice_id: int) -> dict:
    row = await for_update(Invoice.select().where(Invoice.id == invoice_id)).first()
    if row is None:
        raise InvoiceNotFound(invoice_id)
    return _with_amounts(row)


def creditable(invoice: dict) -> int:
    """How much a credit note may still take off: the insurance part still open, and all of the
    patient's part not credited yet (what they paid of it becomes their credit)."""
    if invoice["kind"] != "invoice" or invoice["state"] not in CREDITABLE_STATES:
        return 0
    return max(invoice["insurance_open"], 0) + invoice["patient_share"] - invoice["patient_credited"]


async def issue_credit_note(invoice_id: int, amount: int, reason: str, actor: Actor) -> int:
    """A credit note of ``amount`` against an issued invoice; returns its id.

    It takes the insurance part still open first (the payer has not paid it), then the patient's
    open part, then what the patient already paid, which becomes their credit."""
    reason = _clean_reason(reason)
    engine = Invoice._meta.db
    async with engine.transaction():
        invoice = await _locked_invoice(invoice_id)
        if invoice["kind"] != "invoice" or invoice["state"] not in CREDITABLE_STATES:
            raise Invalid({"_": "Only an issued invoice is corrected by a credit note."})
        if not 0 < amount <= creditable(invoice):
            raise Invalid({"amount": "Enter an amount above zero and no more than can still be credited."})
        from_insurance = min(amount, max(invoice["insurance_open"], 0))
        from_patient = amount - from_insurance
        release = max(from_patient - max(invoice["patient_open"], 0), 0)
        now = clock.now()
        number = await take_number("invoice")
        rows = await Invoice.insert(Invoice(
            number=number, kind="credit_note", corrects=invoice_id, patient=invoice["patient"], visit=invoice["visit"],
            policy=invoice["policy"], provider=invoice["provider"], state="issued", currency=invoice["currency"],
            note=reason, subtotal=-amount, total=-amount, patient_share=-from_patient, insurance_share=-from_insurance,
            issued_at=now, issued_by=actor.staff_id, created_at=now, updated_at=now, created_by=actor.staff_id))
        note_id = rows[0]["id"]
        await InvoiceLine.insert(InvoiceLine(invoice=note_id, position=0, description=reason[:200], quantity=1,
                                             unit_price=-amount, total=-amount))
        if release:
            await _release_patient_payments(invoice, release, actor)
        invoice["patient_credited"] += from_patient
        invoice["insurance_credited"] += from_insurance
        state = state_after_payment(invoice)
        await Invoice.update({Invoice.patient_credited: invoice["patient_credited"],
                              Invoice.insurance_credited: invoice["insurance_credited"],
                              Invoice.patient_paid: invoice["patient_paid"], Invoice.state: state,
                              Invoice.version: Invoice.version + 1, Invoice.updated_at: now}).where(
            Invoice.id == invoice_id)
        label = f"Credit note {number} for invoice {invoice['number']}"
        await ledger.post(invoice["patient"], "adjustment", -from_insurance, label, bucket="insurance",
                          invoice_id=invoice_id, staff_id=actor.staff_id)
        await ledger.post(invoice["patient"], "adjustment", -from_patient, label, invoice_id=invoice_id,
                          staff_id=actor.staff_id)
        await record("billing.credit_note", actor, entity_type="invoice", entity_id=note_id,
                     patient_id=invoice["patient"], detail=f"number {number} corrects {invoice['number']}")
    return note_id


async def _release_patient_payments(invoice: dict, amount: int, actor: Actor) -> None:
    """Take ``amount`` of the patient's payments back off ``invoice`` (newest first): it becomes their
    credit. Written as negative allocations, so the history of what was applied stays."""
    allocations = await PaymentAllocation.select().where(
        (PaymentAllocation.invoice == invoice["id"]) & (PaymentAllocation.share == "patient")).order_by(
        PaymentAllocation.id, ascending=False)
    by_payment: dict[int, int] = {}
    for row in allocations:
        by_payment[row["payment"]] = by_payment.get(row["payment"], 0) + row["amount"]
    left = amount
    for payment_id, applied_here in sorted(by_payment.items(), reverse=True):
        take = min(left, applied_here)
        if take <= 0:
            continue
        await PaymentAllocation.insert(PaymentAllocation(payment=payment_id, invoice=invoice["id"], share="patient",
                                                         amount=-take, applied_at=clock.now(),
                                                         created_by=actor.staff_id))
        payment = await for_update(Payment.select(Payment.applied).where(Payment.id == payment_id)).first()
        await Payment.update({Payment.applied: payment["applied"] - take}).where(Payment.id == payment_id)
        invoice["patient_paid"] -= take
        left -= take
        if not left:
            break


async def settle_insurance(invoice_id: int, actor: Actor, *, to_patient: int = 0, write_off: int = 0,
                           reason: str = "") -> None:
    """What the payer will not pay of the insurance part still open: moved to the patient's part
    (deductible, non-covered) or written off (contractual adjustment)."""
    reason = _clean_reason(reason)
    if to_patient < 0 or write_off < 0 or not to_patient + write_off:
        raise Invalid({"amount": "Enter an amount above zero."})
    engine = Invoice._meta.db
    async with engine.transaction():
        invoice = await _locked_invoice(invoice_id)
        if invoice["kind"] != "invoice" or invoice["state"] not in OPEN_STATES:
            raise Invalid({"_": "Only an open invoice's insurance part can be settled."})
        if to_patient + write_off > invoice["insurance_open"]:
            raise Invalid({"amount": "More than the insurance part still open on this invoice."})
        invoice["insurance_share"] -= to_patient
        invoice["patient_share"] += to_patient
        invoice["insurance_credited"] += write_off
        state = state_after_payment(invoice)
        await Invoice.update({Invoice.insurance_share: invoice["insurance_share"],
                              Invoice.patient_share: invoice["patient_share"],
                              Invoice.insurance_credited: invoice["insurance_credited"], Invoice.state: state,
                              Invoice.version: Invoice.version + 1, Invoice.updated_at: clock.now()}).where(
            Invoice.id == invoice_id)
        label = f"Invoice {invoice['number']}: {reason}"
        patient_id = invoice["patient"]
        await ledger.post(patient_id, "adjustment", -to_patient, f"{label} (moved to patient)", bucket="insurance",
                          invoice_id=invoice_id, staff_id=actor.staff_id)
        await ledger.post(patient_id, "adjustment", to_patient, f"{label} (from insurance)", invoice_id=invoice_id,
                          staff_id=actor.staff_id)
        await ledger.post(patient_id, "adjustment", -write_off, f"{label} (written off)", bucket="insurance",
                          invoice_id=invoice_id, staff_id=actor.staff_id)
        await record("billing.insurance_settle", actor, entity_type="invoice", entity_id=invoice_id,
                     patient_id=patient_id)


MISSED = {"no_show": "Missed appointment (no-show)", "late_cancel": "Late cancellation"}


async def charge_missed_appointment(appointment_id: int, kind: str, actor: Actor) -> int | None:
    """A draft invoice with the clinic's no-show or late-cancellation fee, if the clinic charges
    one (Billing settings); None otherwise, or if the appointment already has one."""
    if kind not in MISSED:
        raise ValueError(f"unknown missed-appointment kind {kind!r}")
    settings = await billing_settings()
    if not settings[f"{kind}_fee_enabled"] or not settings[f"{kind}_fee"]:
        return None
    appointment = await queries.appointment_for_billing(appointment_id)
    if appointment is None:
        raise InvoiceNotFound(appointment_id)
    if await Invoice.exists().where((Invoice.appointment == appointment_id) & (Invoice.state != "void")
                                    & (Invoice.visit.is_null())):
        return None
    return await create_invoice(appointment["patient"], actor, appointment_id=appointment_id,
                                provider_id=appointment["provider"],
                                lines=[LineInput(description=MISSED[kind], unit_price=settings[f"{kind}_fee"])])


async def charge_late_cancellation(appointment_id: int, actor: Actor) -> int | None:
    """The late-cancellation fee, if the clinic charges one and the appointment was cancelled less
    than its set number of hours before it began (now, by the clock); None otherwise."""
    settings = await billing_settings()
    appointment = await queries.appointment_for_billing(appointment_id)
    if appointment is None:
        raise InvoiceNotFound(appointment_id)
    if appointment["starts_at"] - clock.now() >= dt.timedelta(hours=settings["late_cancel_hours"]):
        return None
    return await charge_missed_appointment(appointment_id, "late_cancel", actor)
