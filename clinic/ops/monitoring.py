"""How the service is doing right now, read when someone asks (a scrape, the System page, the alert check).

Nothing here runs per request: the request counts come from
clinic.web.metrics, the rest is a handful of small queries.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from litestar.datastructures import State

from clinic.core.jobs import RETRYING, Job, queue_health
from clinic.db.errors import DatabaseUnavailable
from clinic.ops.backups.service import backup_check
from clinic.ops.health import HEALTH_TIMEOUT_SECONDS, database_check, resident_memory_bytes
from clinic.reminders.services import outbox_backlog
from clinic.web.metrics import RequestMetrics, Window


@dataclass(frozen=True)
class Snapshot:
    database_up: bool
    pool: dict[str, int]
    jobs: dict[str, float]  # due, oldest_due_seconds, dead, retrying (empty while the database is down)
    backup_age_seconds: float | None  # None: no good backup
    outbox_backlog: int | None
    memory_rss_bytes: int
    memory_limit_bytes: int  # 0: no limit configured
    uptime_seconds: float
    window: Window


async def _database_facts() -> tuple[dict, int]:
    jobs = dict(await queue_health())
    jobs["retrying"] = await Job.count().where(Job.state == RETRYING)
    return jobs, await outbox_backlog()


async def take_snapshot(state: State) -> Snapshot:
    """For an app's handlers (its state holds what the snapshot reads)."""
    return await read_snapshot(state.settings, state.engine, state.request_metrics, state.started)


async def read_snapshot(settings, engine, request_metrics: RequestMetrics, started: float) -> Snapshot:
    database = await database_check(engine)
    jobs: dict = {}
    backlog = None
    if database["reachable"]:
        try:
            jobs, backlog = await asyncio.wait_for(_database_facts(), HEALTH_TIMEOUT_SECONDS)
        except (DatabaseUnavailable, asyncio.TimeoutError, OSError):
            database["reachable"] = False
    backup = backup_check(settings)
    pool_use = getattr(engine, "pool_use", None)
    return Snapshot(
        database_up=bool(database["reachable"]),
        pool=pool_use() if pool_use else {},
        jobs=jobs,
        backup_age_seconds=backup["last_good_age_seconds"],
        outbox_backlog=backlog,
        memory_rss_bytes=resident_memory_bytes(),
        memory_limit_bytes=settings.memory_limit_mb * 1024 * 1024,
        uptime_seconds=time.monotonic() - started,
        window=request_metrics.window(),
    )
