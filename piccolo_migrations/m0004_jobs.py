"""Background jobs: the queue table, its claiming index, and indexes for the pruning jobs."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.db.migrations import create_index, create_table

ID = "2026-11-30T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "background jobs"


class Job(Table, tablename="job"):
    kind = Varchar(length=60)
    dedup_key = Varchar(length=200, null=True, default=None, unique=True)
    payload = Text(default="{}")
    state = Varchar(length=10, default="pending")
    attempts = Integer(default=0)
    max_attempts = Integer(default=5)
    run_at = Timestamptz(default=TimestamptzNow())
    due_at = Timestamptz(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    leased_by = Varchar(length=80, default="")
    last_error = Varchar(length=80, default="")
    progress_done = Integer(default=0)
    progress_total = Integer(null=True, default=None)
    result = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)


async def build():
    await create_table(Job)
    # Claiming and the idle poll: the oldest due row (NULL once finished).
    await create_index("job", ["due_at"])
    # The dead-letter list, /health's dead count and pruning finished jobs.
    await create_index("job", ["state", "finished_at"])
    # The pruning jobs' look-ups of expired security rows.
    await create_index("staff_session", ["expires_at"])
    await create_index("kv_store", ["expires_at"])
    await create_index("sign_in_throttle", ["updated_at"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
