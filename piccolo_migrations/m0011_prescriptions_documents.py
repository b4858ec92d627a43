"""Prescriptions (with overridden safety warnings and the number counter), patient documents,
and a licence number for prescribers."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Boolean, ForeignKey, Integer, Numeric, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.db.migrations import add_column, create_index, create_table

ID = "2026-11-30T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "prescriptions, patient documents, prescriber licence numbers"


class Staff(Table, tablename="staff"):
    licence_number = Varchar(length=40, default="")


class Patient(Table, tablename="patient"):
    mrn = Varchar(length=20, unique=True)


class Prescription(Table, tablename="prescription"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    visit_id = Integer(null=True, default=None)
    number = Integer(null=True, default=None, unique=True)
    status = Varchar(length=20, default="draft")
    drug_name = Varchar(length=160)
    drug_key = Varchar(length=80, default="")
    drug_class = Varchar(length=40, default="")
    strength = Varchar(length=60, default="")
    form = Varchar(length=40, default="")
    dose_amount = Numeric(digits=(9, 3), null=True, default=None)
    dose_unit = Varchar(length=20, default="")
    route = Varchar(length=40, default="")
    frequency = Varchar(length=80, default="")
    duration = Varchar(length=40, default="")
    quantity = Varchar(length=40, default="")
    refills = Integer(default=0)
    instructions = Text(default="")
    internal_note = Text(default="")
    prepared_at = Timestamptz(default=TimestamptzNow())
    prepared_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Integer(null=True, default=None)
    signed_at = Timestamptz(null=True, default=None)
    signed_by = Integer(null=True, default=None)
    prescriber_name = Varchar(length=120, default="")
    prescriber_licence = Varchar(length=40, default="")
    medication_id = Integer(null=True, default=None)
    stopped_at = Timestamptz(null=True, default=None)
    stopped_by = Integer(null=True, default=None)
    stop_reason = Varchar(length=300, default="")
    renewed_from = Integer(null=True, default=None)
    version = Integer(default=1)


class PrescriptionOverride(Table, tablename="prescription_override"):
    prescription = ForeignKey(Prescription, on_delete=OnDelete.restrict, null=False)
    safety_check = Varchar(length=20)
    warning = Varchar(length=300)
    reason = Varchar(length=500)
    overridden_at = Timestamptz(default=TimestamptzNow())
    overridden_by = Integer(null=True, default=None)


class PrescriptionCounter(Table, tablename="prescription_counter"):
    singleton = Integer(default=1, unique=True)
    last_number = Integer(default=0)


class Document(Table, tablename="patient_document"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    visit_id = Integer(null=True, default=None)
    title = Varchar(length=200)
    category = Varchar(length=30, default="other")
    original_name = Varchar(length=200, default="")
    media_type = Varchar(length=60)
    extension = Varchar(length=10)
    size_bytes = Integer(default=0)
    storage_name = Varchar(length=80, unique=True)
    file_key = Text(default="")
    has_thumbnail = Boolean(default=False)
    status = Varchar(length=20, default="active")
    uploaded_at = Timestamptz(default=TimestamptzNow())
    uploaded_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Integer(null=True, default=None)


async def build():
    await add_column(Staff, Staff.licence_number)
    await create_table(Prescription)
    await create_table(PrescriptionOverride)
    await create_table(PrescriptionCounter)
    await create_table(Document)
    await create_index("prescription", ["patient", "status"])
    await create_index("prescription", ["visit_id"])
    await create_index("prescription_override", ["prescription"])
    await create_index("patient_document", ["patient", "status"])
    await create_index("patient_document", ["visit_id"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
