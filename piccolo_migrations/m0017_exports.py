"""Whole-clinic exports: who asked, the background job, the file, and when its link stops working."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.db.migrations import create_index, create_table

ID = "2026-11-30T22:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "whole-clinic exports"


class Staff(Table, tablename="staff"):
    email = Varchar(length=254)


class ClinicExport(Table, tablename="clinic_export"):
    requested_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    job_id = Integer(null=True, default=None)
    state = Varchar(length=12, default="queued")
    file_name = Varchar(length=120, default="")
    size = BigInt(default=0)
    manifest = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)
    downloaded_at = Timestamptz(null=True, default=None)


async def build():
    await create_table(ClinicExport)
    await create_index("clinic_export", ["requested_by", "created_at"])
    await create_index("clinic_export", ["state", "expires_at"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
