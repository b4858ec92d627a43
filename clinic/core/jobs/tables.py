from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

PENDING = "pending"
RUNNING = "running"
RETRYING = "retrying"  # failed, will run again at run_at
DONE = "done"
DEAD = "dead"  # failed max_attempts times: waits for an administrator
STATES = (PENDING, RUNNING, RETRYING, DONE, DEAD)


class Job(Table, tablename="job"):
    """One piece of background work, claimed by a worker with a lease.

    ``payload`` and ``result`` are JSON with ids and counts only, never PHI;
    ``last_error`` is an exception's type name (messages can quote values).
    ``due_at`` is when a worker should next pick the row up: ``run_at``
    while it waits, ``lease_until`` while it runs (a worker that died is
    replaced once its lease ends), empty once done or dead. It is the one
    column the poll reads, through its index.
    """

    kind = Varchar(length=60)
    # Enqueuing a key that exists is a no-op: periodic work uses one key per
    # period, so instances that all try to enqueue it create one row.
    dedup_key = Varchar(length=200, null=True, default=None, unique=True)
    payload = Text(default="{}")
    state = Varchar(length=10, default=PENDING)
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
