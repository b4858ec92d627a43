"""What an intruder with database rights does to the audit trail, and the command that should notice."""

from __future__ import annotations

import os
import subprocess
import sys

from clinic.db.schema import raw
from tests.conftest import TEST_AUDIT_KEY, TEST_ENCRYPTION_KEYS, TEST_SECRET


async def without_triggers(engine, work):
    """Drop the append-only guards, run ``work``, put them back."""
    from clinic.db.migrations import _engine
    from piccolo_migrations.m0002_identity_and_audit import build

    for trigger in ("audit_event_no_update", "audit_event_no_delete"):
        await raw(engine, f"DROP TRIGGER IF EXISTS {trigger}")
    try:
        return await work()
    finally:
        token = _engine.set(engine)
        try:
            await build()  # puts the triggers back (idempotent)
        finally:
            _engine.reset(token)


async def cut_after(engine, last_kept_id: int) -> list[dict]:
    """The attack: delete every entry after ``last_kept_id`` and point the head at
    the new last one (call inside ``without_triggers``). Returns what was removed."""
    removed = await raw(engine, "SELECT * FROM audit_event WHERE id > {} ORDER BY id", last_kept_id)
    await raw(engine, "DELETE FROM audit_event WHERE id > {}", last_kept_id)
    kept = await raw(engine, "SELECT id, mac FROM audit_event WHERE id = {}", last_kept_id)
    last_id, last_mac = (kept[0]["id"], kept[0]["mac"]) if kept else (0, "")
    await raw(engine, "UPDATE audit_chain_head SET last_event_id = {}, last_mac = {} WHERE id = 1", last_id, last_mac)
    return removed


async def put_back(engine, last_kept_id: int, removed: list[dict]) -> None:
    """Undo ``cut_after`` (and whatever was written since): the trail as it was, for the rest of the suite."""
    await raw(engine, "DELETE FROM audit_event WHERE id > {}", last_kept_id)
    async with engine.transaction():
        for row in removed:
            columns = list(row)
            await raw(engine, f"INSERT INTO audit_event ({', '.join(chr(34) + c + chr(34) for c in columns)}) "
                              f"VALUES ({', '.join('{}' for _ in columns)})", *row.values())
        newest = removed[-1]
        await raw(engine, "UPDATE audit_chain_head SET last_event_id = {}, last_mac = {} WHERE id = 1",
                  newest["id"], newest["mac"])


def clinic_verify(harness, *args: str, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`clinic audit verify ARGS` as a real process against the test database."""
    settings = harness.app.state.settings
    url = f"sqlite:///{settings.database.path}" if settings.database.is_sqlite else os.environ.get(
        "CLINIC_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/clinic_test")
    env = {**{key: value for key, value in os.environ.items() if not key.startswith("CLINIC_AUDIT_CHECKPOINT")},
           "DATABASE_URL": url, "CLINIC_SECRET_KEY": TEST_SECRET, "CLINIC_AUDIT_KEY": TEST_AUDIT_KEY,
           "CLINIC_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS, "CLINIC_DATA_DIR": str(settings.data_dir),
           "CLINIC_LOG_FORMAT": "json", **(environ or {})}
    return subprocess.run([sys.executable, "-m", "clinic", "audit", "verify", *args], env=env, capture_output=True,
                          text=True, timeout=60)
