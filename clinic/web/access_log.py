"""One structured log line per request, with no patient data in it.

The line has the method, the route *template* (``/patients/{patient_id:int}``,
never the raw path or its query string), the status, the duration in
milliseconds and the signed-in user's id. It wraps the app's root handler:
Litestar middleware is skipped for unmatched routes, and those must be logged
too.
"""

from __future__ import annotations

import time

import structlog

logger = structlog.get_logger("clinic.access")


def with_access_log(handler, metrics=None):
    """``metrics`` (clinic.web.metrics.RequestMetrics) counts the request as it is logged."""

    async def log_request(scope, receive, send):
        if scope["type"] != "http":
            await handler(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await handler(scope, receive, send_and_note_status)
        finally:
            state = scope.get("state") or {}
            seconds = time.perf_counter() - started
            route = scope.get("path_template") or "(unmatched)"
            logger.info(
                "request",
                method=scope.get("method"),
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 1),
                user_id=state.get("user_id"),
            )
            if metrics is not None:
                metrics.observe(scope.get("method") or "", route, status, seconds, state.get("error_class", ""))

    return log_request
