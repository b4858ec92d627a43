"""Patient registration details, insurance, search keys, and the chart's medical history."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Boolean, Date, ForeignKey, Integer, Numeric, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.db.migrations import add_column, create_index, create_table

ID = "2026-11-23T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "patient details, insurance, search keys, medical history"


class Staff(Table, tablename="staff"):
    email = Varchar(length=254)


class Patient(Table, tablename="patient"):
    mrn = Varchar(length=20, unique=True)


class PatientDetails(Table, tablename="patient"):
    """The columns this migration adds to patient."""

    preferred_name = Varchar(length=80, default="")
    phone_alt = Varchar(length=32, default="")
    address_line1 = Varchar(length=120, default="")
    address_line2 = Varchar(length=120, default="")
    city = Varchar(length=80, default="")
    region = Varchar(length=80, default="")
    postal_code = Varchar(length=20, default="")
    preferred_language = Varchar(length=40, default="")
    emergency_contact_name = Varchar(length=120, default="")
    emergency_contact_relation = Varchar(length=40, default="")
    emergency_contact_phone = Varchar(length=32, default="")
    front_desk_notes = Text(default="")
    national_id = Text(default="")
    national_id_index = Varchar(length=64, default="")
    primary_provider = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    last_name_key = Varchar(length=80, default="")
    first_name_key = Varchar(length=80, default="")
    preferred_name_key = Varchar(length=80, default="")
    phone_key = Varchar(length=20, default="")
    last_visit_at = Timestamptz(null=True, default=None)
    archived_at = Timestamptz(null=True, default=None)
    merged_into = Integer(null=True, default=None)
    version = Integer(default=1)
    created_by = Integer(null=True, default=None)
    updated_by = Integer(null=True, default=None)


class PatientInsurance(Table, tablename="patient_insurance"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    priority = Varchar(length=20, default="primary")
    payer_name = Varchar(length=120)
    plan_name = Varchar(length=120, default="")
    member_number = Text(default="")
    member_number_index = Varchar(length=64, default="")
    group_number = Varchar(length=40, default="")
    subscriber_relation = Varchar(length=20, default="self")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Integer(null=True, default=None)


class ChartEntry(Table, tags=["abstract"]):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    status = Varchar(length=20, default="active")
    notes = Text(default="")
    recorded_at = Timestamptz(default=TimestamptzNow())
    recorded_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Integer(null=True, default=None)


class Allergy(ChartEntry, tablename="allergy"):
    substance = Varchar(length=120)
    reaction = Varchar(length=200, default="")
    severity = Varchar(length=20, default="unknown")
    onset = Date(null=True, default=None)


class Medication(ChartEntry, tablename="medication"):
    name = Varchar(length=160)
    dose = Varchar(length=80, default="")
    frequency = Varchar(length=80, default="")
    route = Varchar(length=40, default="")
    start_date = Date(null=True, default=None)
    stop_date = Date(null=True, default=None)
    prescriber = Varchar(length=120, default="")


class Problem(ChartEntry, tablename="problem"):
    description = Varchar(length=200)
    icd10_code = Varchar(length=10, default="")
    onset = Date(null=True, default=None)
    resolved_on = Date(null=True, default=None)


class HistoryItem(ChartEntry, tablename="history_item"):
    kind = Varchar(length=20)
    description = Varchar(length=300)
    when_text = Varchar(length=40, default="")


class Immunization(ChartEntry, tablename="immunization"):
    vaccine = Varchar(length=120)
    given_on = Date()
    dose_number = Varchar(length=20, default="")
    lot_number = Varchar(length=40, default="")
    site = Varchar(length=40, default="")
    given_by = Varchar(length=120, default="")


class VitalSigns(ChartEntry, tablename="vital_signs"):
    measured_at = Timestamptz()
    systolic = Integer(null=True, default=None)
    diastolic = Integer(null=True, default=None)
    pulse = Integer(null=True, default=None)
    temperature_c = Numeric(digits=(4, 1), null=True, default=None)
    weight_kg = Numeric(digits=(5, 1), null=True, default=None)
    height_cm = Numeric(digits=(5, 1), null=True, default=None)
    respiratory_rate = Integer(null=True, default=None)
    oxygen_saturation = Integer(null=True, default=None)


CHART_TABLES = (Allergy, Medication, Problem, HistoryItem, Immunization, VitalSigns)


async def build():
    for column in PatientDetails._meta.columns:
        if column._meta.name != "id":
            await add_column(PatientDetails, column)
    await create_table(PatientInsurance)
    for table in CHART_TABLES:
        await create_table(table)
    # Search: ordinary indexes on the service-maintained keys (prefix range queries).
    await create_index("patient", ["last_name_key", "first_name_key"])
    await create_index("patient", ["first_name_key"])
    await create_index("patient", ["preferred_name_key"])
    await create_index("patient", ["phone_key"])
    await create_index("patient", ["date_of_birth"])
    await create_index("patient", ["email"])
    await create_index("patient", ["national_id_index"])
    await create_index("patient", ["archived_at"])
    await create_index("patient", ["primary_provider"])
    await create_index("patient", ["last_visit_at"])
    await create_index("patient_insurance", ["patient"])
    await create_index("patient_insurance", ["member_number_index"])
    for table in CHART_TABLES:
        await create_index(table._meta.tablename, ["patient", "status"])
    await create_index("vital_signs", ["patient", "measured_at"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
