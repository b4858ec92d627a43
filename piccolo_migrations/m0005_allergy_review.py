"""'No known allergies' as a recorded state of its own (who said so, and when)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.db.migrations import create_table

ID = "2026-11-30T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "no known allergies as a recorded state"


class Staff(Table, tablename="staff"):
    email = Varchar(length=254)


class Patient(Table, tablename="patient"):
    mrn = Varchar(length=20, unique=True)


class AllergyReview(Table, tablename="allergy_review"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False, unique=True)
    no_known_allergies = Boolean(default=False)
    reviewed_at = Timestamptz(default=TimestamptzNow())
    reviewed_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


async def build():
    await create_table(AllergyReview)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
