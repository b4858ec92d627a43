from __future__ import annotations

import time

from litestar import Controller, Request, Response, get

from clinic import __version__
from clinic.db.errors import DatabaseUnavailable
from clinic.ops.health import database_check, jobs_check, resident_memory_bytes


class HealthController(Controller):
    path = "/health"

    @get(name="ops:health", cache=False, opt={"public": True, "sessionless": True})
    async def health(self, request: Request) -> Response:
        state = request.app.state
        database = await database_check(state.engine)
        database["backend"] = state.settings.database.backend
        status = "ok"
        if not database["reachable"]:
            status = "unavailable"
        else:
            try:
                pending = await state.readiness.refresh()
            except DatabaseUnavailable:
                pending, status, database["reachable"] = None, "unavailable", False
            if pending:
                status = "unmigrated"
            database["migrations_pending"] = len(pending or [])
        body = {
            "status": status,
            "database": database,
            "jobs": await jobs_check() if status == "ok" else None,
            "uptime_seconds": round(time.monotonic() - state.started, 1),
            "memory_rss_bytes": resident_memory_bytes(),
            "version": __version__,
        }
        return Response(body, status_code=200 if status == "ok" else 503)
