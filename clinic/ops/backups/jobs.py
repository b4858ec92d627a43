"""The daily backup, taken by the job worker, and the pruning of old ones."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from clinic.core import clock, s3
from clinic.core.jobs import Registry, RunningJob
from clinic.ops.backups import service
from clinic.ops.backups.container import BackupRefused, backup_key

KIND = "ops.daily_backup"
# Checked hourly: the backup is taken at the configured hour, or at once when the last good one is too old.
EVERY = dt.timedelta(hours=1)
DUE_AFTER = dt.timedelta(hours=23)

_settings = None
logger = logging.getLogger("clinic.backups")


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
        # Checked hourly: a copy the bucket refused yesterday is tried again.
        return {"skipped": "not due", "last": last.name if last else None, **await copy_to_bucket(settings)}
    summary = await service.back_up(settings, key, by="daily backup")
    removed = service.prune(settings, settings.backup_keep)
    return {"file": summary.path.name, "size": summary.size, "rows": summary.rows, "pruned": len(removed),
            **await copy_to_bucket(settings)}


async def copy_to_bucket(settings) -> dict:
    """Copy the newest good backup to the S3-compatible bucket, if one is set and it is not there yet.

    A refusal is noted in the result and the log and tried again next hour; the
    backup itself is safe in the folder meanwhile, so the job does not fail.
    """
    bucket = settings.backup_bucket
    last = service.last_good(settings)
    if bucket is None or last is None or last.uploaded:
        return {}
    try:
        key = await asyncio.to_thread(s3.upload, bucket, last.path)
    except s3.BucketError as error:
        logger.warning("backup not copied to the bucket: %s", error)
        return {"uploaded": False, "upload_error": type(error).__name__}
    service.note_upload(last.path, key)
    return {"uploaded": True}


def register_jobs(registry: Registry) -> None:
    registry.add(KIND, daily_backup, label="Take the daily backup and prune old ones", every=EVERY,
                 lease=dt.timedelta(minutes=2), timeout=dt.timedelta(minutes=60), max_attempts=2)
