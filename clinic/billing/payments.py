"""Payments (cash, card, bank transfer, insurance), patient credit and refunds.

A payment is applied to open invoices (the one named, or the oldest first); what is left over is
the patient's credit, kept on the payment (``amount - applied - refunded``) and shown on the ledger
as a credit entry. Credit is applied to later invoices, or refunded. Every step posts its ledger
entries and audit entry in the same transaction as the rows it changes.
"""

from __future__ import annotations

from clinic.audit.services import Actor, record
from clinic.billing import ledger, queries
from clinic.billing.invoices import OPEN_STATES, InvoiceNotFound, _with_amounts, state_after_payment
from clinic.billing.numbering import take_number
from clinic.billing.tables import Invoice, Payment, PaymentAllocation, Refund
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.money import MAX_AMOUNT
from clinic.db.transactions import for_update

METHODS = {"cash": "Cash", "card": "Card", "bank_transfer": "Bank transfer", "insurance": "Insurance"}
REFUND_METHODS = {key: label for key, label in METHODS.items() if key != "insurance"}


class PaymentNotFound(LookupError):
    pass


def unapplied(payment: dict) -> int:
    return payment["amount"] - payment["applied"] - payment["refunded"]


async def credit_available(patient_id: int) -> int:
    rows = await Payment.select(Payment.amount, Payment.applied, Payment.refunded).where(
        Payment.patient == patient_id)
    return sum(unapplied(row) for row in rows)


async def _open_invoices(patient_id: int, invoice_id: int | None) -> list[dict]:
    """Invoices a payment may go to, locked, oldest first (or only the one named)."""
    condition = (Invoice.patient == patient_id) & (Invoice.kind == "invoice") & Invoice.state.is_in(list(OPEN_STATES))
    if invoice_id is not None:
        condition &= Invoice.id == invoice_id
    rows = await for_update(Invoice.select().where(condition).order_by(Invoice.number))
    return [_with_amounts(row) for row in rows]


async def _allocate(payment: dict, invoice: dict, share: str, amount: int, actor: Actor) -> None:
    """Apply ``amount`` of ``payment`` to the ``share`` (patient or insurance) of ``invoice`` (both dicts
    are updated in place, so a caller may go on allocating)."""
    await PaymentAllocation.insert(PaymentAllocation(payment=payment["id"], invoice=invoice["id"], share=share,
                                                     amount=amount, applied_at=clock.now(),
                                                     created_by=actor.staff_id))
    payment["applied"] += amount
    await Payment.update({Payment.applied: payment["applied"]}).where(Payment.id == payment["id"])
    invoice[f"{share}_paid"] += amount
    invoice.update(_with_amounts(invoice))
    invoice["state"] = state_after_payment(invoice)
    column = Invoice.patient_paid if share == "patient" else Invoice.insurance_paid
    await Invoice.update({column: invoice[f"{share}_paid"], Invoice.state: invoice["state"],
                          Invoice.version: Invoice.version + 1, Invoice.updated_at: clock.now()}).where(
        Invoice.id == invoice["id"])


def _check_payment(amount: int, method: str, reference: str, methods: dict) -> str:
    errors = {}
    if not 0 < amount <= MAX_AMOUNT:
        errors["amount"] = "Enter an amount above zero."
    if method not in methods:
        errors["method"] = "Choose one of the options."
    reference = " ".join((reference or "").split())
    if len(reference) > 80:
        errors["reference"] = "Use at most 80 characters."
    if errors:
        raise Invalid(errors)
    return reference


async def record_payment(patient_id: int, amount: int, method: str, actor: Actor, *, invoice_id: int | None = None,
                         reference: str = "") -> int:
    """A payment received; returns its id (its receipt number is taken in the same transaction).

    Insurance pays the insurance part of the invoice named, never more than is open there. The
    patient's payment goes to the invoice named, or to their open invoices oldest first; the rest
    is kept as credit."""
    reference = _check_payment(amount, method, reference, METHODS)
    if method == "insurance" and invoice_id is None:
        raise Invalid({"invoice_id": "Choose the invoice the payer paid."})
    currency = await queries.clinic_currency()
    engine = Payment._meta.db
    async with engine.transaction():
        invoices = await _open_invoices(patient_id, invoice_id)
        if invoice_id is not None and not invoices:
            raise Invalid({"invoice_id": "This invoice is not open for payment (a draft, paid or void)."})
        if method == "insurance" and amount > invoices[0]["insurance_open"]:
            raise Invalid({"amount": "More than the insurance part still open on this invoice."})
        number = await take_number("receipt")
        rows = await Payment.insert(Payment(patient=patient_id, receipt_number=number, method=method, amount=amount,
                                            currency=currency, reference=reference, received_at=clock.now(),
                                            created_by=actor.staff_id))
        payment = {"id": rows[0]["id"], "applied": 0}
        label = f"{METHODS[method]} payment, receipt {number}"
        if method == "insurance":
            await _allocate(payment, invoices[0], "insurance", amount, actor)
            await ledger.post(patient_id, "payment", -amount, label, bucket="insurance", invoice_id=invoice_id,
                              payment_id=payment["id"], staff_id=actor.staff_id)
        else:
            left = amount
            for invoice in invoices:
                take = min(left, invoice["patient_open"])
                if take > 0:
                    await _allocate(payment, invoice, "patient", take, actor)
                    await ledger.post(patient_id, "payment", -take, f"{label}, invoice {invoice['number']}",
                                      invoice_id=invoice["id"], payment_id=payment["id"], staff_id=actor.staff_id)
                    left -= take
            await ledger.post(patient_id, "credit", -left, f"{label}: kept as credit", payment_id=payment["id"],
                              staff_id=actor.staff_id)
        await record("billing.payment", actor, entity_type="payment", entity_id=payment["id"], patient_id=patient_id,
                     detail=f"receipt {number}")
    return payment["id"]


async def apply_credit(patient_id: int, actor: Actor, *, invoice_id: int | None = None) -> int:
    """The patient's credit applied to the invoice named (or their open invoices, oldest first);
    returns how much was applied."""
    engine = Payment._meta.db
    applied = 0
    async with engine.transaction():
        payments = [row for row in await for_update(Payment.select().where(
            (Payment.patient == patient_id) & (Payment.method != "insurance")).order_by(Payment.id))
            if unapplied(row) > 0]
        invoices = await _open_invoices(patient_id, invoice_id)
        for invoice in invoices:
            for payment in payments:
                take = min(unapplied(payment), invoice["patient_open"])
                if take <= 0:
                    continue
                await _allocate(payment, invoice, "patient", take, actor)
                label = f"receipt {payment['receipt_number']}, invoice {invoice['number']}"
                await ledger.post(patient_id, "credit", take, f"Credit used: {label}", payment_id=payment["id"],
                                  invoice_id=invoice["id"], staff_id=actor.staff_id)
                await ledger.post(patient_id, "payment", -take, f"Paid from credit: {label}",
                                  payment_id=payment["id"], invoice_id=invoice["id"], staff_id=actor.staff_id)
                applied += take
        if not applied:
            raise Invalid({"_": "There is no credit to apply, or nothing open to apply it to."})
        await record("billing.credit_apply", actor, entity_type="patient", entity_id=patient_id,
                     patient_id=patient_id, detail=f"{applied}")
    return applied


async def refund(patient_id: int, amount: int, method: str, reason: str, actor: Actor) -> list[int]:
    """Give back ``amount`` of the patient's credit (newest payments first); returns the refund ids."""
    _check_payment(amount, method, "", REFUND_METHODS)
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid({"reason": "Say why the money is given back."})
    if len(reason) > 300:
        raise Invalid({"reason": "Use at most 300 characters."})
    engine = Payment._meta.db
    ids = []
    async with engine.transaction():
        payments = [row for row in await for_update(Payment.select().where(
            (Payment.patient == patient_id) & (Payment.method != "insurance")).order_by(Payment.id, ascending=False))
            if unapplied(row) > 0]
        if amount > sum(unapplied(row) for row in payments):
            raise Invalid({"amount": "More than the patient's credit."})
        left = amount
        for payment in payments:
            take = min(left, unapplied(payment))
            if take <= 0:
                break
            rows = await Refund.insert(Refund(patient=patient_id, payment=payment["id"], method=method, amount=take,
                                              reason=reason, refunded_at=clock.now(), created_by=actor.staff_id))
            await Payment.update({Payment.refunded: payment["refunded"] + take}).where(Payment.id == payment["id"])
            await ledger.post(patient_id, "refund", take,
                              f"{REFUND_METHODS[method]} refund of receipt {payment['receipt_number']}",
                              payment_id=payment["id"], staff_id=actor.staff_id)
            ids.append(rows[0]["id"])
            left -= take
        await record("billing.refund", actor, entity_type="patient", entity_id=patient_id, patient_id=patient_id,
                     detail=f"{amount}")
    return ids


async def get_payment(payment_id: int) -> dict:
    row = await Payment.select().where(Payment.id == payment_id).first()
    if row is None:
        raise PaymentNotFound(payment_id)
    row["method_label"] = METHODS.get(row["method"], row["method"])
    row["unapplied"] = unapplied(row)
    row["allocations"] = await PaymentAllocation.select(
        PaymentAllocation.amount, PaymentAllocation.share, PaymentAllocation.invoice.id.as_alias("invoice_id"),
        PaymentAllocation.invoice.number.as_alias("invoice_number"),
    ).where(PaymentAllocation.payment == payment_id).order_by(PaymentAllocation.id)
    return row


async def payments_of(patient_id: int) -> list[dict]:
    rows = await Payment.select().where(Payment.patient == patient_id).order_by(Payment.id, ascending=False)
    for row in rows:
        row["method_label"] = METHODS.get(row["method"], row["method"])
        row["unapplied"] = unapplied(row)
    return rows


async def refunds_of(patient_id: int) -> list[dict]:
    return await Refund.select().where(Refund.patient == patient_id).order_by(Refund.id, ascending=False)


__all__ = ["InvoiceNotFound", "METHODS", "REFUND_METHODS", "apply_credit", "credit_available", "get_payment",
           "payments_of", "record_payment", "refund", "refunds_of"]
