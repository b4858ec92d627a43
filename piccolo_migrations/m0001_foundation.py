"""Staff, patients and appointments: the core the first screens stand on.

The tables are frozen here as they were at this migration, so later changes
to clinic/*/tables.py never change what this migration builds.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Boolean, Date, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.db.migrations import create_index, create_table

ID = "2026-11-23T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff, patients and appointments"


class Staff(Table, tablename="staff"):
    email = Varchar(length=254)
    email_key = Varchar(length=254, unique=True)
    full_name = Varchar(length=120)
    display_name = Varchar(length=60, default="")
    role = Varchar(length=20)
    colour = Varchar(length=20, default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Patient(Table, tablename="patient"):
    mrn = Varchar(length=20, unique=True)
    first_name = Varchar(length=80)
    last_name = Varchar(length=80)
    date_of_birth = Date()
    sex = Varchar(length=20, default="")
    phone = Varchar(length=32, default="")
    email = Varchar(length=254, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Appointment(Table, tablename="appointment"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    provider = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    status = Varchar(length=20, default="booked")
    reason = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


async def build():
    for table in (Staff, Patient, Appointment):
        await create_table(table)
    await create_index("appointment", ["provider", "starts_at"])
    await create_index("appointment", ["patient", "starts_at"])
    await create_index("appointment", ["starts_at"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
