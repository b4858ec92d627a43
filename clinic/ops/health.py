"""What /health reports: is the process up, and can it reach its database?"""

from __future__ import annotations

import asyncio
import os
import resource
import time

from piccolo.engine.base import Engine

from clinic.core.jobs import queue_health
from clinic.db.errors import DatabaseUnavailable
from clinic.db.schema import raw

HEALTH_TIMEOUT_SECONDS = 3.0


def resident_memory_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the peak is the best we have
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


async def database_check(engine: Engine) -> dict:
    """Touch the database for real (SELECT 1 would not open a SQLite file)."""
    started = time.perf_counter()
    try:
        await asyncio.wait_for(raw(engine, 'SELECT COUNT(*) AS n FROM "migration"'), HEALTH_TIMEOUT_SECONDS)
    except (DatabaseUnavailable, asyncio.TimeoutError, OSError) as error:
        return {"reachable": False, "error": type(error).__name__}
    except Exception as error:  # it answered, with an error (e.g. no migration table yet)
        return {"reachable": True, "error": type(error).__name__}
    return {"reachable": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


async def jobs_check() -> dict:
    """Background work: jobs due now, seconds the oldest has waited, dead jobs.

    Reported, never a reason for a 503: a platform would restart a healthy
    app for a backlog a restart does not clear.
    """
    try:
        return await asyncio.wait_for(queue_health(), HEALTH_TIMEOUT_SECONDS)
    except Exception as error:
        return {"error": type(error).__name__}
