"""System → Backups: the backup files, their size, time and verification, and a warning when the last good one is old."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from clinic.ops.backups import service
from clinic.web.pages import render

MANAGE = {"permission": "system.manage"}


class BackupsController(Controller):
    path = "/admin/backups"

    @get("/", name="ops:backups", opt=MANAGE)
    async def backups_page(self, request: Request) -> Response:
        settings = request.app.state.settings
        backups = service.list_backups(settings)
        last = next((backup for backup in backups if backup.verified), None)
        return render(request, "ops/backups.html", {
            "backups": backups,
            "last_good": last,
            "stale": last is None or last.age > service.STALE_AFTER,
            "stale_hours": int(service.STALE_AFTER.total_seconds() // 3600),
            "key_set": bool(settings.backup_key),
            "backup_hour": settings.backup_hour,
            "keep": settings.backup_keep,
            "bucket": settings.backup_bucket.name if settings.backup_bucket else "",
        }, block="backup_list")
