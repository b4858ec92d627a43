"""GET /metrics: the Prometheus text format, for a scraper holding CLINIC_METRICS_TOKEN.

Without the setting the route answers 404, as if it did not exist; a
missing or wrong token gets 401. Request counts and latency are kept as
requests end (clinic.web.metrics); the gauges are read at scrape time.
"""

from __future__ import annotations

import hmac

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotAuthorizedException, NotFoundException
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from clinic import __version__
from clinic.ops.monitoring import Snapshot, take_snapshot


def scrape_gauges(snapshot: Snapshot) -> bytes:
    registry = CollectorRegistry(auto_describe=True)

    def gauge(name: str, text: str, value: float | None, **labels: str) -> None:
        if value is None:
            return
        metric = Gauge(name, text, list(labels), registry=registry) if name not in gauges else gauges[name]
        gauges[name] = metric
        (metric.labels(**labels) if labels else metric).set(value)

    gauges: dict[str, Gauge] = {}
    gauge("clinic_info", "This instance's version.", 1, version=__version__)
    gauge("clinic_uptime_seconds", "Seconds since this instance started.", snapshot.uptime_seconds)
    gauge("clinic_memory_rss_bytes", "Resident memory of this process.", snapshot.memory_rss_bytes)
    if snapshot.memory_limit_bytes:
        gauge("clinic_memory_limit_bytes", "CLINIC_MEMORY_LIMIT_MB.", snapshot.memory_limit_bytes)
    gauge("clinic_database_up", "1 when the database answered this scrape.", int(snapshot.database_up))
    for state, count in snapshot.pool.items():
        gauge("clinic_db_pool_connections", "Database connections of this instance's pool.", count, state=state)
    gauge("clinic_jobs_due", "Background jobs due now.", snapshot.jobs.get("due"))
    gauge("clinic_jobs_lag_seconds", "How long the oldest due job has waited.", snapshot.jobs.get("oldest_due_seconds"))
    gauge("clinic_jobs_failed", "Jobs that failed: dead (waiting for an administrator) or retrying.",
          snapshot.jobs.get("dead"), state="dead")
    gauge("clinic_jobs_failed", "", snapshot.jobs.get("retrying"), state="retrying")
    gauge("clinic_backup_age_seconds", "Age of the last verified backup (-1: none).",
          -1 if snapshot.backup_age_seconds is None else snapshot.backup_age_seconds)
    gauge("clinic_reminder_outbox_backlog", "Reminders due and not yet sent.", snapshot.outbox_backlog)
    return generate_latest(registry)


def check_token(request: Request) -> None:
    token = request.app.state.settings.metrics_token
    if not token:
        raise NotFoundException()
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
        raise NotAuthorizedException(headers={"WWW-Authenticate": 'Bearer realm="metrics"'})


class MetricsController(Controller):
    path = "/metrics"

    # Sessionless like /health: a scraper has a token, not a session.
    @get(name="ops:metrics", cache=False, opt={"public": True, "sessionless": True}, include_in_schema=False)
    async def metrics(self, request: Request) -> Response:
        check_token(request)
        state = request.app.state
        snapshot = await take_snapshot(state)
        body = generate_latest(state.request_metrics.registry) + scrape_gauges(snapshot)
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
