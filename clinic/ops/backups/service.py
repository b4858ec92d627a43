"""Backups as the app, the command line and the job worker use them: named, audited, listed, pruned."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from piccolo.engine.base import Engine

from clinic.audit.services import Actor, record
from clinic.audit.tables import AuditEvent
from clinic.core import clock
from clinic.ops.backups import snapshot
from clinic.ops.backups.container import BackupRefused
from clinic.ops.backups.restore import Restored, restore_backup
from clinic.settings import Settings

SUFFIX = ".backup"
STALE_AFTER = dt.timedelta(hours=26)


@dataclass(frozen=True)
class BackupFile:
    path: Path
    name: str
    size: int
    made_at: dt.datetime
    verified: bool | None  # None: not checked yet
    rows: int | None
    uploaded: str = ""  # the object's key in the S3-compatible bucket, once copied there

    @property
    def age(self) -> dt.timedelta:
        return clock.now() - self.made_at


def _engine() -> Engine:
    return AuditEvent._meta.db


def _folder(settings: Settings) -> Path:
    folder = Path(settings.backup_folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(folder, 0o700)
    except OSError:
        pass
    return folder


def default_path(settings: Settings) -> Path:
    stamp = clock.now().astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return _folder(settings) / f"clinic-{stamp}{SUFFIX}"


async def back_up(settings: Settings, key: bytes, *, out: Path | None = None, by: str = "system",
                  verify: bool = True) -> snapshot.Summary:
    """Write a backup, check it can be read back, note the result beside it, and audit it."""
    path = out or default_path(settings)
    summary = await snapshot.take_backup(_engine(), path, key)
    verified = None
    if verify:
        try:
            snapshot.verify_file(path, key)
            verified = True
        except BackupRefused:
            verified = False
    _write_note(path, summary, verified)
    await record("backup.create", Actor.system(by), entity_type="backup", entity_id=path.name,
                 detail=f"{summary.tables} tables, {summary.rows} rows, {summary.size} bytes",
                 outcome="success" if verified is not False else "failure")
    return summary


def verify(path: Path, key: bytes) -> dict:
    manifest = snapshot.verify_file(path, key)
    note = _note_path(path)
    if note.exists():
        try:
            facts = json.loads(note.read_text())
            facts["verified"] = True
            _write_json(note, facts)
        except (OSError, ValueError):
            pass
    return manifest


async def restore(settings: Settings, engine: Engine, path: Path, key: bytes, *, force: bool = False) -> Restored:
    restored = await restore_backup(engine, path, key, force=force, safety_folder=_folder(settings))
    # Written after the rows are in, so it extends the restored chain rather than sitting under it.
    await record("backup.restore", Actor.system("command line"), entity_type="backup", entity_id=path.name,
                 detail=f"{restored.tables} tables, {restored.rows} rows" + (" (forced)" if force else ""))
    return restored


def _note_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _write_json(path: Path, facts: dict) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(facts, out)


def _write_note(path: Path, summary: snapshot.Summary, verified: bool | None) -> None:
    _write_json(_note_path(path), {"made_at": summary.manifest["created_at"], "size": summary.size,
                                   "rows": summary.rows, "tables": summary.tables, "verified": verified,
                                   "seconds": round(summary.seconds, 2)})


def note_upload(path: Path, key: str) -> None:
    """Remember beside the backup that it is in the bucket, under ``key``."""
    note = _note_path(path)
    try:
        facts = json.loads(note.read_text())
    except (OSError, ValueError):
        facts = {}
    facts["uploaded"] = key
    _write_json(note, facts)


def list_backups(settings: Settings) -> list[BackupFile]:
    """The backups in the folder, newest first (the note beside each says when and whether it verified)."""
    folder = Path(settings.backup_folder)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"*{SUFFIX}"):
        try:
            stat = path.stat()
        except OSError:
            continue
        facts: dict = {}
        try:
            facts = json.loads(_note_path(path).read_text())
        except (OSError, ValueError):
            pass
        try:
            made_at = dt.datetime.fromisoformat(facts["made_at"])
        except (KeyError, ValueError, TypeError):
            made_at = dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc)
        found.append(BackupFile(path, path.name, stat.st_size, made_at, facts.get("verified"), facts.get("rows"),
                                str(facts.get("uploaded") or "")))
    return sorted(found, key=lambda backup: backup.made_at, reverse=True)


def last_good(settings: Settings) -> BackupFile | None:
    return next((backup for backup in list_backups(settings) if backup.verified), None)


def prune(settings: Settings, keep: int) -> list[str]:
    """Remove all but the newest ``keep`` verified backups (unverified ones older than those go too)."""
    backups = list_backups(settings)
    kept, removed = 0, []
    for backup in backups:
        if backup.verified and kept < keep:
            kept += 1
            continue
        if kept < keep:
            continue  # never remove anything newer than the oldest kept good backup
        backup.path.unlink(missing_ok=True)
        _note_path(backup.path).unlink(missing_ok=True)
        removed.append(backup.name)
    return removed


def backup_check(settings: Settings) -> dict:
    """For /health's details: the last good backup's age, and whether it is too old."""
    last = last_good(settings)
    if last is None:
        return {"last_good_age_seconds": None, "stale": True}
    age = last.age.total_seconds()
    return {"last_good_age_seconds": round(age), "stale": age > STALE_AFTER.total_seconds()}
