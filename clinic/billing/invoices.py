"""Invoices and credit notes: made from a visit or by hand, issued (split between patient and
insurance, charged to the ledger), voided with a reason, corrected by credit notes.

States: draft -> issued -> partially_paid -> paid, and void. Only a draft changes; an issued
invoice is corrected by a credit note, and is voided only while nothing has been paid on it.
Every change writes its audit entry in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic.audit.services import Actor, record
from clinic.billing import ledger, queries
from clinic.billing.fees import price_of_code
from clinic.billing.numbering import take_number
from clinic.billing.split import split_invoice
from clinic.billing.tables import Invoice, InvoiceDiagnosis, InvoiceLine, PaymentAllocation
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.money import MAX_AMOUNT, times
from clinic.db.transactions import for_update

STATES = {"draft": "Draft", "issued": "Issued", "partially_paid": "Partially paid", "paid": "Paid",
          "void": "Void"}
OPEN_STATES = ("issued", "partially_paid")
MAX_LINES = 50
MAX_QUANTITY = 999


class InvoiceNotFound(LookupError):
    pass


class NotEditable(Invalid):
    def __init__(self, message: str = "Only a draft invoice can be changed; correct an issued one with a credit note."):
        super().__init__({"_": message})


@dataclass(frozen=True)
class LineInput:
    description: str
    unit_price: int
    quantity: int = 1
    discount: int = 0
    code: str = ""
    visit_service_id: int | None = None


def line_total(line: LineInput) -> int:
    """Quantity x unit price (money's rounding), less the line's discount."""
    return times(line.unit_price, line.quantity) - line.discount


def check_line(line: LineInput) -> LineInput:
    errors = {}
    description = " ".join((line.description or "").split())
    code = " ".join((line.code or "").split()).upper()
    if not description:
        errors["description"] = "Enter the description."
    elif len(description) > 200:
        errors["description"] = "Use at most 200 characters."
    if len(code) > 20:
        errors["code"] = "Use at most 20 characters."
    if not 1 <= line.quantity <= MAX_QUANTITY:
        errors["quantity"] = f"Enter a quantity from 1 to {MAX_QUANTITY}."
    if not 0 <= line.unit_price <= MAX_AMOUNT:
        errors["unit_price"] = "Enter a price of zero or more."
    if "quantity" not in errors and "unit_price" not in errors and not 0 <= line.discount <= times(
            line.unit_price, line.quantity):
        errors["discount"] = "The discount cannot be more than the line's amount."
    if errors:
        raise Invalid(errors)
    return LineInput(description=description, code=code, quantity=line.quantity, unit_price=line.unit_price,
                     discount=line.discount, visit_service_id=line.visit_service_id)


# -- reading --------------------------------------------------------------------------


async def get_invoice(invoice_id: int) -> dict:
    row = await Invoice.select().where(Invoice.id == invoice_id).first()
    if row is None:
        raise InvoiceNotFound(invoice_id)
    return _with_amounts(row)


def _with_amounts(row: dict) -> dict:
    row["patient_open"] = row["patient_share"] - row["patient_paid"] - row["patient_credited"]
    row["insurance_open"] = row["insurance_share"] - row["insurance_paid"] - row["insurance_credited"]
    row["open"] = row["patient_open"] + row["insurance_open"] if row["state"] in OPEN_STATES else 0
    row["state_label"] = STATES.get(row["state"], row["state"])
    row["credited"] = row["patient_credited"] + row["insurance_credited"]
    row["paid"] = row["patient_paid"] + row["insurance_paid"]
    return row


async def invoice_details(invoice_id: int) -> dict:
    """The invoice with its lines, diagnoses, credit notes, payments and names."""
    invoice = await get_invoice(invoice_id)
    invoice["lines"] = await InvoiceLine.select().where(InvoiceLine.invoice == invoice_id).order_by(
        InvoiceLine.position).order_by(InvoiceLine.id)
    invoice["diagnoses"] = await InvoiceDiagnosis.select().where(InvoiceDiagnosis.invoice == invoice_id).order_by(
        InvoiceDiagnosis.position)
    invoice["credit_notes"] = [_with_amounts(row) for row in await Invoice.select().where(
        Invoice.corrects == invoice_id).order_by(Invoice.id)]
    invoice["allocations"] = await PaymentAllocation.select(
        PaymentAllocation.id, PaymentAllocation.amount, PaymentAllocation.share, PaymentAllocation.applied_at,
        PaymentAllocation.payment.id.as_alias("payment_id"), PaymentAllocation.payment.method.as_alias("method"),
        PaymentAllocation.payment.receipt_number.as_alias("receipt_number"),
    ).where(PaymentAllocation.invoice == invoice_id).order_by(PaymentAllocation.id)
    invoice["policy_row"] = await queries.policy(invoice["policy"]) if invoice["policy"] else None
    invoice["patient_row"] = await queries.patient_summary(invoice["patient"])
    names = await queries.staff_names({invoice["provider"], invoice["issued_by"], invoice["voided_by"]})
    invoice["provider_name"] = names.get(invoice["provider"], "")
    invoice["corrected"] = await get_invoice(invoice["corrects"]) if invoice["corrects"] else None
    return invoice


async def invoices_of(patient_id: int) -> list[dict]:
    rows = await Invoice.select().where(Invoice.patient == patient_id).order_by(Invoice.number, ascending=False)
    return [_with_amounts(row) for row in rows]


# -- making -----------------------------------------------------------------------------


async def create_invoice(patient_id: int, actor: Actor, *, lines: list[LineInput] = (), policy_id: int | None = None,
                         visit_id: int | None = None, appointment_id: int | None = None,
                         provider_id: int | None = None, diagnoses: list[dict] = (), note: str = "") -> int:
    """A draft invoice with its number taken in the same transaction (see numbering)."""
    lines = [check_line(line) for line in lines]
    if len(lines) > MAX_LINES:
        raise Invalid({"_": f"An invoice has at most {MAX_LINES} lines."})
    if policy_id is not None:
        await _check_policy(patient_id, policy_id)
    currency = await queries.clinic_currency()
    engine = Invoice._meta.db
    now = clock.now()
    async with engine.transaction():
        number = await take_number("invoice")
        rows = await Invoice.insert(Invoice(
            number=number, patient=patient_id, visit=visit_id, appointment=appointment_id, policy=policy_id,
            provider=provider_id, currency=currency, note=" ".join(note.split())[:300], created_at=now,
            updated_at=now, created_by=actor.staff_id))
        invoice_id = rows[0]["id"]
        for position, line in enumerate(lines):
            await _insert_line(invoice_id, position, line)
        for position, diagnosis in enumerate(diagnoses):
            await InvoiceDiagnosis.insert(InvoiceDiagnosis(invoice=invoice_id, code=diagnosis["code"],
                                                           description=diagnosis["description"], position=position))
        await _recompute_totals(invoice_id)
        await record("billing.invoice_create", actor, entity_type="invoice", entity_id=invoice_id,
                     patient_id=patient_id, detail=f"number {number}")
    return invoice_id


async def invoice_from_visit(visit_id: int, actor: Actor) -> int:
    """A draft invoice for a visit: its services become lines priced from the fee schedule, its
    diagnoses go along, the primary policy applies. One open invoice per visit."""
    visit = await queries.visit_for_billing(visit_id)
    if visit is None:
        raise InvoiceNotFound(visit_id)
    existing = await Invoice.select(Invoice.number).where(
        (Invoice.visit == visit_id) & (Invoice.state != "void") & (Invoice.kind == "invoice")).first()
    if existing:
        raise Invalid({"_": f"This visit already has invoice {existing['number']}."})
    services = await queries.visit_services(visit_id)
    if not services:
        raise Invalid({"_": "This visit has no services recorded: add them to the visit first."})
    policies = await queries.policies_of(visit["patient"])
    # A covered patient's visit is priced as their payer pays it, where the payer has its own prices.
    payer_name = policies[0]["payer_name"] if policies else ""
    lines = []
    for service in services:
        price = await price_of_code(service["code"], payer_name)
        lines.append(LineInput(code=service["code"], description=service["description"][:200],
                               quantity=max(service["quantity"], 1), unit_price=price or 0,
                               visit_service_id=service["id"]))
    diagnoses = [{"code": row["code"], "description": row["description"]}
                 for row in await queries.visit_diagnoses(visit_id)]
    return await create_invoice(visit["patient"], actor, lines=lines, visit_id=visit_id,
                                appointment_id=visit["appointment"], provider_id=visit["provider"],
                                policy_id=policies[0]["id"] if policies else None, diagnoses=diagnoses)


async def _check_policy(patient_id: int, policy_id: int) -> None:
    row = await queries.policy(policy_id)
    if row is None or row["patient"] != patient_id or not row["active"]:
        raise Invalid({"policy_id": "Choose one of this patient's active policies."})


async def _insert_line(invoice_id: int, position: int, line: LineInput) -> None:
    await InvoiceLine.insert(InvoiceLine(
        invoice=invoice_id, position=position, code=line.code, description=line.description,
        quantity=line.quantity, unit_price=line.unit_price, discount=line.discount, total=line_total(line),
        visit_service=line.visit_service_id))


async def _recompute_totals(invoice_id: int) -> None:
    lines = await InvoiceLine.select().where(InvoiceLine.invoice == invoice_id)
    subtotal = sum(times(line["unit_price"], line["quantity"]) for line in lines)
    discounts = sum(line["discount"] for line in lines)
    await Invoice.update({Invoice.subtotal: subtotal, Invoice.discount_total: discounts,
                          Invoice.total: subtotal - discounts, Invoice.updated_at: clock.now()}).where(
        Invoice.id == invoice_id)


async def _draft_for_change(invoice_id: int) -> dict:
    row = await for_update(Invoice.select().where(Invoice.id == invoice_id)).first()
    if row is None:
        raise InvoiceNotFound(invoice_id)
    if row["state"] != "draft" or row["kind"] != "invoice":
        raise NotEditable()
    return row


async def add_line(invoice_id: int, line: LineInput, actor: Actor) -> None:
    line = check_line(line)
    engine = Invoice._meta.db
    async with engine.transaction():
        invoice = await _draft_for_change(invoice_id)
        count = await InvoiceLine.count().where(InvoiceLine.invoice == invoice_id)
        if count >= MAX_LINES:
            raise Invalid({"_": f"An invoice has at most {MAX_LINES} lines."})
        await _insert_line(invoice_id, count, line)
        await _recompute_totals(invoice_id)
        await _bump(invoice_id)
        await record("billing.invoice_line_add", actor, entity_type="invoice", entity_id=invoice_id,
                     patient_id=invoice["patient"])


async def remove_line(invoice_id: int, line_id: int, actor: Actor) -> None:
    engine = Invoice._meta.db
    async with engine.transaction():
        invoice = await _draft_for_change(invoice_id)
        deleted = await InvoiceLine.delete().where((InvoiceLine.id == line_id) & (InvoiceLine.invoice == invoice_id))
        del deleted
        await _recompute_totals(invoice_id)
        await _bump(invoice_id)
        await record("billing.invoice_line_remove", actor, entity_type="invoice", entity_id=invoice_id,
                     patient_id=invoice["patient"])


async def set_policy(invoice_id: int, policy_id: int | None, actor: Actor) -> None:
    engine = Invoice._meta.db
    async with engine.transaction():
        invoice = await _draft_for_change(invoice_id)
        if policy_id is not None:
            await _check_policy(invoice["patient"], policy_id)
        await Invoice.update({Invoice.policy: policy_id}).where(Invoice.id == invoice_id)
        await _bump(invoice_id)
        await record("billing.invoice_update", actor, entity_type="invoice", entity_id=invoice_id,
                     patient_id=invoice["patient"], detail="policy")


async def _bump(invoice_id: int) -> None:
    await Invoice.update({Invoice.version: Invoice.version + 1, Invoice.updated_at: clock.now()}).where(
        Invoice.id == invoice_id)


# -- issuing and voiding --------------------------------------------------------------------


async def deductible_used(policy_id: int, exclude_invoice: int | None = None) -> int:
    """What invoices under this policy already put toward this calendar year's deductible."""
    start, end = queries.year_bounds(clock.now())
    condition = ((Invoice.policy == policy_id) & (Invoice.state != "void") & (Invoice.issued_at >= start)
                 & (Invoice.issued_at < end))
    if exclude_invoice:
        condition &= Invoice.id != exclude_invoice
    rows = await Invoice.select(Invoice.deductible_applied).where(condition)
    return sum(row["deductible_applied"] for row in rows)


async def issue_invoice(invoice_id: int, actor: Actor) -> None:
    """Draft -> issued: split between patient and insurance, and charge both parts to the ledger."""
    engine = Invoice._meta.db
    async with engine.transaction():
        invoice = await _draft_for_change(invoice_id)
        if not await InvoiceLine.count().where(InvoiceLine.invoice == invoice_id):
            raise Invalid({"_": "Add at least one line before issuing the invoice."})
        invoice = await get_invoice(invoice_id)
        policy = await queries.policy(invoice["policy"]) if invoice["policy"] else None
        if policy is not None:
            left = max(policy["deductible"] - await deductible_used(policy["id"], invoice_id), 0)
            split = split_invoice(invoice["total"], insured=True, copay=policy["copay"],
                                  coinsurance_percent=policy["coinsurance_percent"], deductible_left=left)
        else:
            split = split_invoice(invoice["total"], insured=False)
        now = clock.now()
        state = "issued" if split.total else "paid"
        await Invoice.update({
            Invoice.state: state, Invoice.issued_at: now, Invoice.issued_by: actor.staff_id,
            Invoice.patient_share: split.patient, Invoice.insurance_share: split.insurance,
            Invoice.copay_applied: split.copay, Invoice.deductible_applied: split.deductible,
            Invoice.coinsurance_applied: split.coinsurance, Invoice.version: Invoice.version + 1,
            Invoice.updated_at: now,
        }).where(Invoice.id == invoice_id)
        label = f"Invoice {invoice['number']}"
        await ledger.post(invoice["patient"], "charge", split.patient, label, invoice_id=invoice_id,
                          staff_id=actor.staff_id)
        await ledger.post(invoice["patient"], "charge", split.insurance, f"{label} (insurance)", bucket="insurance",
                          invoice_id=invoice_id, staff_id=actor.staff_id)
        await record("billing.invoice_issue", actor, entity_type="invoice", entity_id=invoice_id,
                     patient_id=invoice["patient"], detail=f"number {invoice['number']}")


def _clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid({"reason": "Say why it is voided."})
    if len(reason) > 300:
        raise Invalid({"reason": "Use at most 300 characters."})
    return reason


async def void_invoice(invoice_id: int, reason: str, actor: Actor) -> None:
    """A draft, or an issued invoice nothing was paid on or credited against, becomes void (its
    charges reversed on the ledger). Anything else is corrected with a credit note."""
    reason = _clean_reason(reason)
    engine = Invoice._meta.db
    async with engine.transaction():
        row = await for_update(Invoice.select().where(Invoice.id == invoice_id)).first()
        if row is None:
            raise InvoiceNotFound(invoice_id)
        invoice = _with_amounts(row)
        if invoice["kind"] != "invoice" or invoice["state"] == "void":
            raise Invalid({"_": "This invoice is already void." if invoice["state"] == "void"
                           else "A credit note cannot be voided."})
        if invoice["state"] != "draft" and (invoice["paid"] or invoice["credited"] or invoice["state"] != "issued"):
            raise Invalid({"_": "Payments were applied to this invoice: correct it with a credit note instead."})
        await _void(invoice, reason, actor)


async def _void(invoice: dict, reason: str, actor: Actor) -> None:
    now = clock.now()
    await Invoice.update({Invoice.state: "void", Invoice.void_reason: reason, Invoice.voided_at: now,
                          Invoice.voided_by: actor.staff_id, Invoice.version: Invoice.version + 1,
                          Invoice.updated_at: now}).where(Invoice.id == invoice["id"])
    if invoice["state"] == "issued":
        label = f"Invoice {invoice['number']} voided"
        await ledger.post(invoice["patient"], "adjustment", -invoice["patient_share"], label,
                          invoice_id=invoice["id"], staff_id=actor.staff_id)
        await ledger.post(invoice["patient"], "adjustment", -invoice["insurance_share"], label, bucket="insurance",
                          invoice_id=invoice["id"], staff_id=actor.staff_id)
    await record("billing.invoice_void", actor, entity_type="invoice", entity_id=invoice["id"],
                 patient_id=invoice["patient"], detail=f"number {invoice['number']}")


async def _void_drafts(condition, reason: str, actor: Actor) -> list[int]:
    reason = _clean_reason(reason)
    engine = Invoice._meta.db
    voided = []
    async with engine.transaction():
        rows = await for_update(Invoice.select().where(condition & (Invoice.state == "draft")))
        for row in rows:
            await _void(_with_amounts(row), reason, actor)
            voided.append(row["id"])
    return voided


async def void_for_appointment(appointment_id: int, reason: str, actor: Actor) -> list[int]:
    """An appointment was cancelled: its draft charges (and those of its visits) are voided.
    Issued invoices stay: they are corrected by a credit note. Returns the invoices voided."""
    visits = await queries.visits_of_appointment(appointment_id)
    condition = Invoice.appointment == appointment_id
    if visits:
        condition = condition | Invoice.visit.is_in(visits)
    return await _void_drafts(condition, reason, actor)


async def void_for_visit(visit_id: int, reason: str, actor: Actor) -> list[int]:
    """A visit was voided: its draft charges are voided. Returns the invoices voided."""
    return await _void_drafts(Invoice.visit == visit_id, reason, actor)


def state_after_payment(invoice: dict) -> str:
    """issued / partially_paid / paid from what is still open and what was paid."""
    invoice = _with_amounts(dict(invoice, state="issued"))
    if invoice["patient_open"] + invoice["insurance_open"] <= 0:
        return "paid"
    return "partially_paid" if invoice["paid"] else "issued"


async def open_totals() -> dict:
    """How many invoices are open and what is still owed on them, split (the billing user's day starts here)."""
    rows = await Invoice.select(Invoice.patient_share, Invoice.patient_paid, Invoice.patient_credited,
                                Invoice.insurance_share, Invoice.insurance_paid, Invoice.insurance_credited).where(
        (Invoice.kind == "invoice") & Invoice.state.is_in(list(OPEN_STATES)))
    drafts = await Invoice.count().where((Invoice.kind == "invoice") & (Invoice.state == "draft"))
    patient = sum(row["patient_share"] - row["patient_paid"] - row["patient_credited"] for row in rows)
    insurance = sum(row["insurance_share"] - row["insurance_paid"] - row["insurance_credited"] for row in rows)
    return {"open": len(rows), "drafts": drafts, "patient_due": patient, "insurance_pending": insurance}
