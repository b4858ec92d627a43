"""Claims' tables. Amounts are integers of the currency's minor unit (clinic/core/money.py).

A claim is made from an invoice's payer share and keeps its own copy of the lines and diagnosis
codes sent, so a later change elsewhere never changes what the payer was told. A claim is never
deleted: it ends paid, denied and written off, or replaced by a corrected resubmission.
"""

from piccolo.columns import BigInt, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.billing.tables import FeeScheduleItem, Invoice, InvoiceLine
from clinic.patients.merge import move_rows, register_merge_step
from clinic.patients.tables import Patient, PatientInsurance
from clinic.security.tables import Staff


class Payer(Table, tablename="payer"):
    """An insurer the clinic sends claims to. ``payer_code`` is its id with the clearinghouse."""

    name = Varchar(length=120, unique=True)
    payer_code = Varchar(length=80)
    address_line1 = Varchar(length=120, default="")
    city = Varchar(length=60, default="")
    region = Varchar(length=2, default="")
    postal_code = Varchar(length=15, default="")
    claim_format = Varchar(length=20, default="837p")  # 837p | csv | paper
    active = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    version = Integer(default=1)


class ClaimSettings(Table, tablename="claim_settings"):
    """One row: who the clinic is to payers (NPI, tax id) and to the clearinghouse (ids in ISA/GS)."""

    singleton = Integer(default=1, unique=True)
    billing_npi = Varchar(length=10, default="")
    tax_id = Varchar(length=9, default="")
    submitter_id = Varchar(length=15, default="")
    receiver_id = Varchar(length=15, default="")
    receiver_name = Varchar(length=60, default="")
    contact_phone = Varchar(length=10, default="")
    waiting_days = Integer(default=30)
    test_mode = Boolean(default=True)
    version = Integer(default=1)
    updated_at = Timestamptz(default=TimestamptzNow())


class FeePayerPrice(Table, tablename="fee_payer_price"):
    """What a payer pays for a service on the fee schedule, where it differs from the clinic's price."""

    fee = ForeignKey(FeeScheduleItem, on_delete=OnDelete.restrict, null=False)
    payer = ForeignKey(Payer, on_delete=OnDelete.restrict, null=False)
    price = BigInt(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    version = Integer(default=1)


class EligibilityCheck(Table, tablename="eligibility_check"):
    """A check of a policy with its payer (by phone, portal or a 271): when, what it said, who."""

    policy = ForeignKey(PatientInsurance, on_delete=OnDelete.restrict, null=False)
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    checked_on = Date()
    result = Varchar(length=20)  # active | inactive | unknown
    reference = Varchar(length=80, default="")
    note = Varchar(length=300, default="")
    checked_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Claim(Table, tablename="claim"):
    """States: draft -> ready -> submitted -> accepted -> paid | partially_paid | denied;
    denied -> corrected (a new claim replaces it) or written_off."""

    number = BigInt(unique=True)
    invoice = ForeignKey(Invoice, on_delete=OnDelete.restrict, null=False)
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    payer = ForeignKey(Payer, on_delete=OnDelete.restrict, null=False)
    policy = ForeignKey(PatientInsurance, on_delete=OnDelete.restrict, null=False)
    provider = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    replaces = Integer(null=True, default=None)  # a corrected claim: the claim.id it replaces
    primary_claim = Integer(null=True, default=None)  # a secondary claim: the primary payer's claim.id
    state = Varchar(length=20, default="draft")
    charge = BigInt(default=0)
    paid = BigInt(default=0)
    adjusted = BigInt(default=0)
    patient_responsibility = BigInt(default=0)
    denial_codes = Varchar(length=200, default="")
    note = Varchar(length=300, default="")
    # Why the biller must look at it (a submitted claim whose appointment was cancelled since).
    attention = Varchar(length=200, default="")
    service_date = Date(null=True, default=None)
    batch = Integer(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class ClaimLine(Table, tablename="claim_line"):
    claim = ForeignKey(Claim, on_delete=OnDelete.restrict, null=False)
    invoice_line = ForeignKey(InvoiceLine, on_delete=OnDelete.restrict, null=True, default=None)
    position = Integer(default=1)
    code = Varchar(length=20)
    modifier = Varchar(length=2, default="")
    description = Varchar(length=200, default="")
    units = Integer(default=1)
    charge = BigInt(default=0)
    paid = BigInt(default=0)
    adjusted = BigInt(default=0)
    patient_responsibility = BigInt(default=0)


class ClaimDiagnosis(Table, tablename="claim_diagnosis"):
    claim = ForeignKey(Claim, on_delete=OnDelete.restrict, null=False)
    position = Integer(default=1)
    code = Varchar(length=10)


class ClaimEvent(Table, tablename="claim_event"):
    """Every state change of a claim, with the reason codes a payer gave."""

    claim = ForeignKey(Claim, on_delete=OnDelete.restrict, null=False)
    from_state = Varchar(length=20, default="")
    to_state = Varchar(length=20)
    codes = Varchar(length=200, default="")
    note = Varchar(length=300, default="")
    occurred_at = Timestamptz(default=TimestamptzNow())
    staff = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class ClaimBatch(Table, tablename="claim_batch"):
    """One exported 837P file; its number is the interchange control number."""

    control_number = Integer(unique=True)
    claim_count = Integer(default=0)
    total_charge = BigInt(default=0)
    content = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class Remittance(Table, tablename="remittance"):
    """One imported 835 file. The file's hash and the payment's trace number are unique, so the
    same file imported twice is refused before anything is posted."""

    file_hash = Varchar(length=64, unique=True)
    trace_number = Varchar(length=80, unique=True)
    payer_name = Varchar(length=120, default="")
    payment_total = BigInt(default=0)
    lines_posted = Integer(default=0)
    exceptions = Integer(default=0)
    warnings = Text(default="")
    imported_at = Timestamptz(default=TimestamptzNow())
    imported_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class RemittanceException(Table, tablename="remittance_exception"):
    """A remittance line that could not be posted, and why; a biller resolves it by hand."""

    remittance = ForeignKey(Remittance, on_delete=OnDelete.restrict, null=False)
    claim_number = Varchar(length=40, default="")
    code = Varchar(length=20, default="")
    charge = BigInt(default=0)
    paid = BigInt(default=0)
    reason = Varchar(length=300)
    resolved = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


for _table in (EligibilityCheck, Claim):
    register_merge_step(f"claims.{_table._meta.tablename}", move_rows(_table))
