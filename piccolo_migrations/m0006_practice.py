"""The clinic's own settings: profile, opening hours, closures."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Date, ForeignKey, Integer, Time, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.db.migrations import create_index, create_table

ID = "2026-11-30T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "clinic settings: profile, opening hours, closures"


class Staff(Table, tablename="staff"):
    email = Varchar(length=254)


class ClinicProfile(Table, tablename="clinic_profile"):
    singleton = Integer(default=1, unique=True)
    name = Varchar(length=120)
    address_line1 = Varchar(length=120, default="")
    address_line2 = Varchar(length=120, default="")
    city = Varchar(length=80, default="")
    region = Varchar(length=80, default="")
    postal_code = Varchar(length=20, default="")
    phone = Varchar(length=32, default="")
    email = Varchar(length=254, default="")
    timezone = Varchar(length=60)
    currency = Varchar(length=3)
    appointment_minutes = Integer(default=20)
    version = Integer(default=1)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class OpeningHours(Table, tablename="opening_hours"):
    weekday = Integer()
    opens = Time()
    closes = Time()


class Closure(Table, tablename="clinic_closure"):
    first_day = Date()
    last_day = Date()
    reason = Varchar(length=120)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


async def build():
    await create_table(ClinicProfile)
    await create_table(OpeningHours)
    await create_table(Closure)
    await create_index("opening_hours", ["weekday"])
    await create_index("clinic_closure", ["last_day"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
