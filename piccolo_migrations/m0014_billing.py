"""Billing: fee schedule, billing settings, invoice numbering, invoices and credit notes with lines and
diagnoses, payments and their allocations, refunds, the append-only patient ledger; copay, coinsurance
and deductible on insurance policies."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.db.migrations import add_column, create_index, create_table, execute

ID = "2026-11-30T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "billing: fees, invoices, payments, refunds, ledger; policy copay, coinsurance, deductible"


class Staff(Table, tablename="staff"):
    email = Varchar(length=254)


class Patient(Table, tablename="patient"):
    mrn = Varchar(length=20, unique=True)


class PatientInsurance(Table, tablename="patient_insurance"):
    payer_name = Varchar(length=120)
    copay = BigInt(default=0)
    coinsurance_percent = Integer(default=0)
    deductible = BigInt(default=0)


class Appointment(Table, tablename="appointment"):
    status = Varchar(length=20, default="booked")


class Visit(Table, tablename="visit"):
    state = Varchar(length=20, default="draft")


class VisitService(Table, tablename="visit_service"):
    description = Varchar(length=200)


class FeeScheduleItem(Table, tablename="fee_schedule_item"):
    code = Varchar(length=20, unique=True)
    description = Varchar(length=200)
    price = BigInt(default=0)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    version = Integer(default=1)


class BillingSettings(Table, tablename="billing_settings"):
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
    name = Varchar(length=20, unique=True)
    next_number = BigInt(default=1)


class Invoice(Table, tablename="invoice"):
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
    invoice = ForeignKey(Invoice, on_delete=OnDelete.restrict, null=False)
    code = Varchar(length=10)
    description = Varchar(length=250, default="")
    position = Integer(default=0)


class Payment(Table, tablename="payment"):
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
    payment = ForeignKey(Payment, on_delete=OnDelete.restrict, null=False)
    invoice = ForeignKey(Invoice, on_delete=OnDelete.restrict, null=False)
    share = Varchar(length=20, default="patient")
    amount = BigInt(default=0)
    applied_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class Refund(Table, tablename="refund"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    payment = ForeignKey(Payment, on_delete=OnDelete.restrict, null=False)
    method = Varchar(length=20)
    amount = BigInt(default=0)
    reason = Varchar(length=300, default="")
    refunded_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class LedgerEntry(Table, tablename="ledger_entry"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    occurred_at = Timestamptz(default=TimestamptzNow())
    kind = Varchar(length=20)
    bucket = Varchar(length=20, default="patient")
    amount = BigInt(default=0)
    description = Varchar(length=200, default="")
    invoice = ForeignKey(Invoice, on_delete=OnDelete.restrict, null=True, default=None)
    payment = ForeignKey(Payment, on_delete=OnDelete.restrict, null=True, default=None)
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)



async def build():
    for column in (PatientInsurance.copay, PatientInsurance.coinsurance_percent, PatientInsurance.deductible):
        await add_column(PatientInsurance, column)
    for table in (FeeScheduleItem, BillingSettings, DocumentCounter, Invoice, InvoiceLine, InvoiceDiagnosis,
                  Payment, PaymentAllocation, Refund, LedgerEntry):
        await create_table(table)
    await create_index("invoice", ["patient", "created_at"])
    await create_index("invoice", ["state", "created_at"])
    await create_index("invoice", ["visit"])
    await create_index("invoice", ["appointment"])
    await create_index("invoice", ["corrects"])
    await create_index("invoice_line", ["invoice", "position"])
    await create_index("invoice_diagnosis", ["invoice", "position"])
    await create_index("payment", ["patient", "received_at"])
    await create_index("payment_allocation", ["invoice"])
    await create_index("payment_allocation", ["payment"])
    await create_index("refund", ["patient"])
    await create_index("ledger_entry", ["patient", "occurred_at"])
    await create_index("ledger_entry", ["invoice"])
    # The sequences start here; later numbers come from locking and advancing these rows.
    await execute(
        sqlite=["INSERT OR IGNORE INTO billing_counter (name, next_number) VALUES ('invoice', 1), ('receipt', 1)"],
        mysql=["INSERT IGNORE INTO billing_counter (name, next_number) VALUES ('invoice', 1), ('receipt', 1)"],
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
