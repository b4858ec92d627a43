"""SQLite: the archived-patients index covers archived patients only.

SQLite has no statistics unless someone runs ANALYZE (the app never does), so
to its planner ``archived_at IS NULL`` on an ordinary index looked as selective
as a name-key range, and it drove the header search and the patient list
through patient_archived_at_idx: every live patient read per request, 0.5 ms
per name query at year five, ten times that at 10x. A partial index on
``archived_at IS NOT NULL`` still serves the archived-patients list and cannot
be picked for live patients. MariaDB keeps statistics and plans these queries
well; it has no partial indexes, so its index stays as it is.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from clinic.db.migrations import execute

ID = "2026-11-30T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "archived-patients index: archived patients only (SQLite)"


async def build():
    await execute(sqlite=[
        'DROP INDEX IF EXISTS "patient_archived_at_idx"',
        'CREATE INDEX "patient_archived_at_idx" ON "patient" ("archived_at") WHERE "archived_at" IS NOT NULL',
    ])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
