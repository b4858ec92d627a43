"""System: one page that says how the clinic's server is doing, for administrators.

Version and uptime, the database's size and main tables, background work,
the last good backup, the reminder outbox, the last few minutes of requests
and the recent server errors: route template, time and error class only,
never a request's body or an error's message (they can carry PHI).
"""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get

from clinic import __version__
from clinic.db.errors import DatabaseUnavailable
from clinic.db.schema import database_size_bytes, row_count, table_names
from clinic.ops.alerts import alert_states
from clinic.ops.backups import service as backups
from clinic.ops.monitoring import take_snapshot
from clinic.reminders.services import outbox_counts
from clinic.web.pages import render

MANAGE = {"permission": "system.manage"}
# The tables that say how much the clinic holds, in the clinic's words.
MAIN_TABLES = (
    ("patient", "Patients"), ("appointment", "Appointments"), ("visit", "Visits"),
    ("patient_document", "Documents"), ("prescription", "Prescriptions"), ("invoice", "Invoices"),
    ("claim", "Claims"), ("reminder_message", "Reminder messages"), ("staff", "Staff"),
    ("audit_event", "Audit entries"), ("job", "Background jobs"),
)
RECENT_ERRORS = 10


def duration(seconds: float | None) -> str:
    """3 d 4 h, 2 h 5 min, 40 s: how long, for a person."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{seconds} s"


def megabytes(size: int | None) -> str:
    """In the unit CLINIC_MEMORY_LIMIT_MB is set in (1 MB = 1024 × 1024 bytes), so 512 reads as 512."""
    return "—" if size is None else f"{size / 1048576:.1f} MB"


async def database_facts(engine) -> dict:
    existing = set(await table_names(engine))
    return {
        "size": await database_size_bytes(engine),
        "tables": [(label, await row_count(engine, table)) for table, label in MAIN_TABLES if table in existing],
    }


class SystemController(Controller):
    path = "/admin/system"

    @get("/", name="ops:system", opt=MANAGE)
    async def system_page(self, request: Request) -> Response:
        state = request.app.state
        settings = state.settings
        snapshot = await take_snapshot(state)
        database, outbox, alert_list = None, {}, []
        if snapshot.database_up:
            try:
                database = await database_facts(state.engine)
                outbox = await outbox_counts()
                alert_list = await alert_states()
            except DatabaseUnavailable:
                database = None
        last_backup = backups.last_good(settings)
        return render(request, "ops/system.html", {
            "version": __version__,
            "started_at": dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=snapshot.uptime_seconds),
            "uptime": duration(snapshot.uptime_seconds),
            "duration": duration,
            "megabytes": megabytes,
            "backend": settings.database.backend,
            "snapshot": snapshot,
            "database": database,
            "outbox": outbox,
            "last_backup": last_backup,
            "backup_stale": last_backup is None or last_backup.age > backups.STALE_AFTER,
            "inline_worker": settings.worker == "inline",
            "errors": state.request_metrics.recent_errors(RECENT_ERRORS),
            "alerts": alert_list,
            "alert_targets": [name for name, on in (("email", settings.alert_email),
                                                    ("webhook", settings.alert_webhook_url)) if on],
        }, block="system_facts")
