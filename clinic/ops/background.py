"""The app's background work: every package's jobs in one registry, and the
worker that runs them inside `clinic serve` (CLINIC_WORKER=inline)."""

from __future__ import annotations

from litestar import Litestar

from clinic.audit import jobs as audit_jobs
from clinic.core import jobs as core_jobs
from clinic.core.jobs import Registry, Worker
from clinic.exports import services as export_jobs
from clinic.ops import alerts
from clinic.ops.backups import jobs as backup_jobs
from clinic.reminders import jobs as reminder_jobs
from clinic.security import jobs as security_jobs

# On shutdown, how long the job in hand may take to finish before it is
# interrupted and handed back to the queue (platforms allow ~10 s in all).
SHUTDOWN_GRACE_SECONDS = 8.0


def clinic_jobs() -> Registry:
    registry = Registry()
    core_jobs.register_jobs(registry)
    security_jobs.register_jobs(registry)
    audit_jobs.register_jobs(registry)
    reminder_jobs.register_jobs(registry)
    backup_jobs.register_jobs(registry)
    export_jobs.register_jobs(registry)
    alerts.register_jobs(registry)
    return registry


async def start_inline_worker(app: Litestar) -> None:
    app.state.worker = None
    if app.state.settings.worker == "inline":
        # A new worker per start: its events belong to this event loop.
        app.state.worker = Worker(app.state.jobs)
        app.state.worker.start()
        # Where jobs run, the database is watched too: its alert cannot wait in a queue it holds.
        app.state.database_watch = alerts.DatabaseWatch(app.state.engine)
        app.state.database_watch.start()


async def stop_inline_worker(app: Litestar) -> None:
    watch = getattr(app.state, "database_watch", None)
    if watch is not None:
        app.state.database_watch = None
        await watch.stop()
    worker = getattr(app.state, "worker", None)
    if worker is not None:
        app.state.worker = None
        await worker.stop(grace_seconds=SHUTDOWN_GRACE_SECONDS)
