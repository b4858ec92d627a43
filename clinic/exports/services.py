"""Whole-clinic exports: asking for one, the job that writes it, downloading it before its link expires.

An export holds every patient's data in clear, so: only after the person
re-enters their password (and a code when they use two-step sign-in), the
request and every download audited, the file readable by the app's user alone,
and the link for the person who asked only, for an hour; after that the file
is deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from clinic.audit.services import Actor, record
from clinic.core import clock
from clinic.core.jobs import Registry, RunningJob, enqueue
from clinic.exports.tables import EXPIRED, FAILED, QUEUED, READY, RUNNING, ClinicExport
from clinic.exports.writing import write_export
from clinic.practice.services import practice

KIND = "exports.clinic_export"
# Queued for just after a link expires, so the file does not outlive it even if nobody comes back.
DELETE_KIND = "exports.delete_expired"
LINK_LIFETIME = dt.timedelta(hours=1)
FOLDER = "exports"

_data_dir: Path | None = None


def configure(settings) -> None:
    global _data_dir
    _data_dir = Path(settings.data_dir)


def folder() -> Path:
    if _data_dir is None:
        raise RuntimeError("exports are not configured: call clinic.exports.services.configure()")
    return _data_dir / FOLDER


async def start_export(actor: Actor) -> int:
    """Queue an export for the person (identity already confirmed); returns its id."""
    engine = ClinicExport._meta.db
    async with engine.transaction():
        rows = await ClinicExport.insert(ClinicExport(requested_by=actor.staff_id, state=QUEUED,
                                                      created_at=clock.now()))
        export_id = rows[0]["id"]
        job_id = await enqueue(KIND, {"export_id": export_id}, key=f"{KIND}:{export_id}", max_attempts=1)
        await ClinicExport.update({ClinicExport.job_id: job_id}).where(ClinicExport.id == export_id)
        await record("clinic.export", actor, entity_type="clinic_export", entity_id=export_id)
    return export_id


async def get_export(export_id: int) -> dict | None:
    return await ClinicExport.select(
        *ClinicExport.all_columns(), ClinicExport.requested_by.full_name.as_alias("requested_by_name"),
    ).where(ClinicExport.id == export_id).first()


async def recent_exports(limit: int = 10) -> list[dict]:
    return await ClinicExport.select(
        *ClinicExport.all_columns(), ClinicExport.requested_by.full_name.as_alias("requested_by_name"),
    ).order_by(ClinicExport.id, ascending=False).limit(limit)


def manifest_of(export: dict) -> dict:
    return json.loads(export["manifest"]) if export.get("manifest") else {}


async def write(job: RunningJob) -> dict:
    """The job: write the ZIP, then open its link for an hour."""
    export_id = int(job.payload["export_id"])
    await forget_expired()
    export = await ClinicExport.select().where(ClinicExport.id == export_id).first()
    if export is None or export["state"] != QUEUED:
        return {"skipped": "not queued", "export_id": export_id}
    name = f"clinic-export-{export_id}-{secrets.token_hex(8)}.zip"
    path = folder() / name
    await ClinicExport.update({ClinicExport.state: RUNNING, ClinicExport.file_name: name}).where(
        ClinicExport.id == export_id)
    try:
        manifest = await write_export(path, (await practice()).name, job.progress)
    except BaseException:
        path.unlink(missing_ok=True)
        await ClinicExport.update({ClinicExport.state: FAILED, ClinicExport.finished_at: clock.now(),
                                   ClinicExport.file_name: ""}).where(ClinicExport.id == export_id)
        raise
    now = clock.now()
    async with ClinicExport._meta.db.transaction():
        await ClinicExport.update({
            ClinicExport.state: READY, ClinicExport.size: path.stat().st_size, ClinicExport.finished_at: now,
            ClinicExport.expires_at: now + LINK_LIFETIME,
            ClinicExport.manifest: json.dumps(manifest["files"]),
        }).where(ClinicExport.id == export_id)
        await enqueue(DELETE_KIND, {"export_id": export_id}, key=f"{DELETE_KIND}:{export_id}",
                      run_at=now + LINK_LIFETIME + dt.timedelta(minutes=1))
    return {"export_id": export_id, "files": len(manifest["files"]),
            "rows": sum(f["rows"] for f in manifest["files"])}


async def forget_expired() -> int:
    """Delete the files of exports whose link expired; they stay listed as expired."""
    rows = await ClinicExport.select(ClinicExport.id, ClinicExport.file_name).where(
        (ClinicExport.state == READY) & (ClinicExport.expires_at <= clock.now()))
    for row in rows:
        await expire(row)
    return len(rows)


async def expire(export: dict) -> None:
    if export["file_name"]:
        (folder() / export["file_name"]).unlink(missing_ok=True)
    await ClinicExport.update({ClinicExport.state: EXPIRED, ClinicExport.file_name: ""}).where(
        ClinicExport.id == export["id"])


@dataclass(frozen=True)
class Download:
    path: Path | None
    refusal: str = ""  # why there is nothing to download, in words
    status_code: int = 200


async def download(export_id: int, actor: Actor) -> Download:
    """The file, for the person who asked for it, while the link lasts; audited."""
    export = await ClinicExport.select().where(ClinicExport.id == export_id).first()
    if export is None:
        return Download(None, "There is no such export.", 404)
    if export["requested_by"] != actor.staff_id:
        await record("clinic.export_download", actor, entity_type="clinic_export", entity_id=export_id,
                     outcome="denied")
        return Download(None, "Only the person who asked for this export may download it.", 403)
    if export["state"] == READY and export["expires_at"] <= clock.now():
        await expire(export)
        export["state"] = EXPIRED
    if export["state"] == EXPIRED:
        return Download(None, "This download link has expired (links last one hour) and the file was deleted. "
                              "Start a new export if you still need one.", 410)
    if export["state"] != READY:
        return Download(None, "This export is not ready yet.", 409)
    path = folder() / export["file_name"]
    if not path.is_file():
        return Download(None, "The export's file is gone from the data folder. Start a new export.", 410)
    await ClinicExport.update({ClinicExport.downloaded_at: clock.now()}).where(ClinicExport.id == export_id)
    await record("clinic.export_download", actor, entity_type="clinic_export", entity_id=export_id)
    return Download(path)


async def delete_expired(job: RunningJob) -> dict:
    return {"deleted": await forget_expired()}


def register_jobs(registry: Registry) -> None:
    registry.add(KIND, write, label="Export the whole clinic's data", lease=dt.timedelta(minutes=2),
                 timeout=dt.timedelta(minutes=60))
    registry.add(DELETE_KIND, delete_expired, label="Delete whole-clinic exports whose link expired")
