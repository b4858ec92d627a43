"""GET /health: up or down for anyone; the details for a token or an administrator.

A platform's health check (Railway) needs only the status code. What the
app runs on (database, migrations, jobs, memory, version) helps an attacker
as much as an operator, so it is shown with ``Authorization: Bearer
$CLINIC_HEALTH_TOKEN`` or to a signed-in member of staff who may manage the
system.
"""

from __future__ import annotations

import hmac
import time

from litestar import Controller, Request, Response, get

from clinic import __version__
from clinic.db.errors import DatabaseUnavailable
from clinic.ops.backups.service import backup_check
from clinic.ops.health import database_check, jobs_check, resident_memory_bytes
from clinic.security import sessions
from clinic.security.middleware import read_cookie

DETAILS_PERMISSION = "system.manage"


class HealthController(Controller):
    path = "/health"

    # Sessionless: no session look-up, cookie or practice settings for the platform's probe.
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
        body: dict = {"status": status}
        if await may_see_details(request, database_up=database["reachable"]):
            body.update({
                "database": database,
                "jobs": await jobs_check() if status == "ok" else None,
                "backup": backup_check(state.settings),
                "uptime_seconds": round(time.monotonic() - state.started, 1),
                "memory_rss_bytes": resident_memory_bytes(),
                "version": __version__,
            })
        return Response(body, status_code=200 if status == "ok" else 503)


async def may_see_details(request: Request, *, database_up: bool) -> bool:
    settings = request.app.state.settings
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if settings.health_token and scheme.lower() == "bearer":
        return hmac.compare_digest(presented.strip().encode(), settings.health_token.encode())
    token = read_cookie(request.scope, sessions.cookie_name(settings.is_production))
    if not token or not database_up:
        return False
    try:
        user, _ = await sessions.load(token, request.app.state.session_policy)
    except DatabaseUnavailable:
        return False
    return bool(user and user.stage == sessions.ACTIVE and user.can(DETAILS_PERMISSION))
