"""Monitoring: where each administrators' alert stands (firing, since when, incidents), shared by every instance."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Boolean, Integer, Timestamptz, Varchar
from piccolo.table import Table

from clinic.db.migrations import create_table

ID = "2026-11-30T23:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "alert states"


class AlertState(Table, tablename="alert_state"):
    name = Varchar(length=40, unique=True)
    firing = Boolean(default=False)
    bad_since = Timestamptz(null=True, default=None)
    incident = Integer(default=0)
    changed_at = Timestamptz(null=True, default=None)
    reading = Varchar(length=120, default="")


async def build():
    await create_table(AlertState)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
