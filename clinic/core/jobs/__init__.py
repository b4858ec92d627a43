"""Background jobs: leased, retried with back-off, dead-lettered, visible in /health.

    registry = Registry()
    registry.add("security.prune_sessions", handler, label="...", every=dt.timedelta(hours=1))
    await enqueue("reminders.send", {"reminder_id": 42}, key="reminder:42")
    worker = Worker(registry); worker.start(); ...; await worker.stop()

See ``registry.py`` (kinds and schedules), ``queue.py`` (enqueue, retry,
reading jobs back) and ``worker.py`` (claiming and running).
"""

from clinic.core.jobs.queue import (
    dead_jobs,
    enqueue,
    find_job,
    prune_finished,
    queue_health,
    recent_jobs,
    register_jobs,
    retry,
    wake_workers,
)
from clinic.core.jobs.registry import JobKind, Registry, RunningJob, Schedule
from clinic.core.jobs.tables import DEAD, DONE, PENDING, RETRYING, RUNNING, STATES, Job
from clinic.core.jobs.worker import Claim, Worker

__all__ = [
    "DEAD", "DONE", "PENDING", "RETRYING", "RUNNING", "STATES", "Claim", "Job", "JobKind", "Registry",
    "RunningJob", "Schedule", "Worker", "dead_jobs", "enqueue", "find_job", "prune_finished", "queue_health",
    "recent_jobs", "register_jobs", "retry", "wake_workers",
]
