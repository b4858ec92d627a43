"""Billing's tables. Every amount is an integer of the currency's minor unit (clinic/core/money.py).

The ledger (``ledger_entry``) is append-only: rows are inserted, never updated or deleted, and a
patient's balance is the sum of their entries. Invoices are never deleted: a draft is voided with a
reason, an issued invoice is corrected by a credit note (an invoice of kind ``credit_note``).
"""

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.patients.merge import move_rows, register_merge_step
from clinic.patients.tables import Patient, PatientInsurance
from clinic.scheduling.tables import Appointment
from clinic.security.tables import Staff
from clinic.visits.tables import Visit, VisitService


class FeeScheduleItem(Table, tablename="fee_schedule_item"):
    """A service the clinic charges for: its code (CPT/HCPCS-style or the clinic's own) and price."""

    code = Varchar(length=20, unique=True)
    description = Varchar(length=200)
    price = BigInt(default=0)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    version = Integer(default=1)


class BillingSettings(Table, tablename="billing_settings"):
    """One row: the fees the clinic may charge for a missed or late-cancelled appointment."""

    singleton = Integer(default=1, unique=True)
    no_show_fee_enabled = Boolean(default=False)
    no_show_fee = BigInt(default=0)
    late_cancel_fee_enabled = Boolean(default=False)
    late_cancel_fee = BigInt(default=0)
    late_cancel_hours = Integer(default=24)
    version = Integer(default=1)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class DocumentCounter(Table, tablename="billing_counter"):
    """The next number of a sequence (``invoice``), read and advanced under a row lock in the
    transaction that creates the document, so numbers are sequential and never reused."""

    name = Varchar(length=20, unique=True)
    next_number = BigInt(default=1)


class Invoice(Table, tablename="invoice"):
    """An invoice or a credit note. States: draft -> issued -> partially_paid -> paid, or void.

    ``patient_share``/``insurance_share`` are the split made when it is issued; ``*_paid`` what has
    been applied to each part; ``*_credited`` what credit notes took off each part.
    """

    number = BigInt(unique=True)
    kind = Varchar(length=20, default="invoice")  # invoice | credit_note
    corrects = Integer(null=True, default=None)  # a credit note: the invoice.id it corrects
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    visit = ForeignKey(Visit, on_delete=OnDelete.restrict, null=True, default=None)
    appointment = ForeignKey(Appointment, on_delete=OnDelete.restrict, null=True, default=None)
    policy = ForeignKey(PatientInsurance, on_delete=OnDelete.restrict, null=True, default=None)
    provider = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    state = Varchar(length=20, default="draft")
    currency = Varchar(length=3)
    note = Varchar(length=300, default="")
    subtotal = BigInt(default=0)
    discount_total = BigInt(default=0)
    total = BigInt(default=0)
    patient_share = BigInt(default=0)
    insurance_share = BigInt(default=0)
    copay_applied = BigInt(default=0)
    deductible_applied = BigInt(default=0)
    coinsurance_applied = BigInt(default=0)
    patient_paid = BigInt(default=0)
    insurance_paid = BigInt(default=0)
    patient_credited = BigInt(default=0)
    insurance_credited = BigInt(default=0)
    void_reason = Varchar(length=300, default="")
    issued_at = Timestamptz(null=True, default=None)
    issued_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    voided_at = Timestamptz(null=True, default=None)
    voided_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class InvoiceLine(Table, tablename="invoice_line"):
    invoice = ForeignKey(Invoice, on_delete=OnDelete.restrict, null=False)
    position = Integer(default=0)
    code = Varchar(length=20, default="")
    description = Varchar(length=200)
    quantity = Integer(default=1)
    unit_price = BigInt(default=0)
    discount = BigInt(default=0)
    total = BigInt(default=0)
    visit_service = ForeignKey(VisitService, on_delete=OnDelete.restrict, null=True, default=None)


class InvoiceDiagnosis(Table, tablename="invoice_diagnosis"):
    """The visit's diagnoses as they were when the invoice was made (claims carry them)."""

    invoice = ForeignKey(Invoice, on_delete=OnDelete.restrict, null=False)
    code = Varchar(length=10)
    description = Varchar(length=250, default="")
    position = Integer(default=0)


class Payment(Table, tablename="payment"):
    """Money received (cash, card, bank transfer, insurance). What is not applied to invoices
    (``applied``) nor refunded (``refunded``) is the patient's credit."""

    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    receipt_number = BigInt(unique=True)
    method = Varchar(length=20)  # cash | card | bank_transfer | insurance
    amount = BigInt(default=0)
    applied = BigInt(default=0)
    refunded = BigInt(default=0)
    currency = Varchar(length=3)
    reference = Varchar(length=80, default="")
    received_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class PaymentAllocation(Table, tablename="payment_allocation"):
    """Part of a payment applied to part of an invoice (``share``: patient or insurance)."""

    payment = ForeignKey(Payment, on_delete=OnDelete.restrict, null=False)
    invoice = ForeignKey(Invoice, on_delete=OnDelete.restrict, null=False)
    share = Varchar(length=20, default="patient")
    amount = BigInt(default=0)
    applied_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class Refund(Table, tablename="refund"):
    """Money given back to the patient from their credit."""

    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    payment = ForeignKey(Payment, on_delete=OnDelete.restrict, null=False)
    method = Varchar(length=20)
    amount = BigInt(default=0)
    reason = Varchar(length=300, default="")
    refunded_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class LedgerEntry(Table, tablename="ledger_entry"):
    """One line of a patient's account, never changed: ``amount`` > 0 raises what is owed.

    kind: charge | payment | adjustment | credit | refund; bucket: patient | insurance.
    """

    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    occurred_at = Timestamptz(default=TimestamptzNow())
    kind = Varchar(length=20)
    bucket = Varchar(length=20, default="patient")
    amount = BigInt(default=0)
    description = Varchar(length=200, default="")
    invoice = ForeignKey(Invoice, on_delete=OnDelete.restrict, null=True, default=None)
    payment = ForeignKey(Payment, on_delete=OnDelete.restrict, null=True, default=None)
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


for _table in (Invoice, Payment, Refund, LedgerEntry):
    register_merge_step(f"billing.{_table._meta.tablename}", move_rows(_table))
