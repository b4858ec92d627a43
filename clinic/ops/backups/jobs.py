"""The daily backup, taken by the job worker, and the pruning of old ones."""

from __future__ import annotations

import datetime as dt

from clinic.core import clock
from clinic.core.jobs import Registry, RunningJob
from clinic.ops.backups import service
from clinic.ops.backups.container import BackupRefused, backup_key

KIND = "ops.daily_backup"
# Checked hourly: the backup is taken at the configured hour, or at once when the last good one is too old.
EVERY = dt.timedelta(hours=1)
DUE_AFTER = dt.timedelta(hours=23)

_settings = None


def configure(settings) -> None:
    global _settings
    _settings = settings


async def daily_backup(job: RunningJob) -> dict:
    settings = _settings
    if settings is None:
        return {"skipped": "not configured"}
    try:
        key = backup_key({"CLINIC_BACKUP_KEY": settings.backup_key})
    except BackupRefused:
        return {"skipped": "CLINIC_BACKUP_KEY is not set"}
    now = clock.now().astimezone(dt.timezone.utc)
    last = service.last_good(settings)
    overdue = last is None or now - last.made_at >= service.STALE_AFTER
    due = now.hour >= settings.backup_hour and (last is None or now - last.made_at >= DUE_AFTER)
    if not (overdue or due or job.payload.get("now")):
        return {"skipped": "not due", "last": last.name if last else None}
    summary = await service.back_up(settings, key, by="daily backup")
    removed = service.prune(settings, settings.backup_keep)
    return {"file": summary.path.name, "size": summary.size, "rows": summary.rows, "pruned": len(removed)}


def register_jobs(registry: Registry) -> None:
    registry.add(KIND, daily_backup, label="Take the daily backup and prune old ones", every=EVERY,
                 lease=dt.timedelta(minutes=2), timeout=dt.timedelta(minutes=60), max_attempts=2)
