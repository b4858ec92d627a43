"""Backups restore every table exactly, on each backend and from one backend into the other."""

from __future__ import annotations

import base64
import os
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from clinic.db import AppendOnlyViolation, engine_for
from clinic.db.migrations import migrate
from clinic.db.schema import describe, raw
from clinic.db.urls import parse_database_url
from clinic.ops.backups import container
from clinic.ops.backups.container import BackupRefused
from clinic.ops.backups.restore import restore_backup
from clinic.ops.backups.snapshot import dependency_order, table_rows, take_backup, verify_file
from tests.conftest import require_mysql, run_async, side_database_url
from tests.ops.backup_data import ROWS, fill_every_table

KEY = bytes(range(32))


@asynccontextmanager
async def opened(url: str):
    engine = engine_for(parse_database_url(url, Path(".")), create=True)
    await engine.start_connection_pool()
    try:
        await migrate(engine)
        yield engine
    finally:
        await engine.close_connection_pool()


async def every_row(engine) -> dict[str, list[bytes]]:
    """Each table's rows in the canonical encoding, in id order."""
    contents = {}
    for table in dependency_order(await describe(engine)):
        contents[table.name] = [line async for line in table_rows(engine, table, sorted(table.columns))]
    return contents


def database(backend: str, tmp_path: Path, name: str) -> str:
    return side_database_url(backend, tmp_path, f"backup_{name}")


_made: dict[str, tuple[Path, dict]] = {}


def filled_backup(backend: str, tmp_path: Path, name: str = "source") -> tuple[Path, dict]:
    """A backup of a database with awkward values in every table (made once per backend per run)."""
    if backend in _made and _made[backend][0].exists():
        return _made[backend]
    path = tmp_path / f"{name}.backup"

    async def work():
        async with opened(database(backend, tmp_path, name)) as engine:
            await fill_every_table(engine)
            await take_backup(engine, path, KEY)
            return await every_row(engine)

    _made[backend] = (path, run_async(work))
    return _made[backend]


def restored(backend: str, tmp_path: Path, name: str, path: Path, *, out: Path | None = None) -> dict:
    async def work():
        async with opened(database(backend, tmp_path, name)) as engine:
            await restore_backup(engine, path, KEY)
            if out is not None:
                await take_backup(engine, out, KEY)
            return await every_row(engine)

    return run_async(work)


def assert_same_tables(expected: dict, found: dict) -> None:
    assert sorted(found) == sorted(expected)
    for name in expected:
        assert len(found[name]) == len(expected[name]), name
        assert found[name] == expected[name], f"table {name} differs after the restore"


def test_it_restores_every_table_row_for_row(backend, tmp_path):
    path, source = filled_backup(backend, tmp_path)
    assert all(len(rows) == ROWS for name, rows in source.items())
    assert_same_tables(source, restored(backend, tmp_path, "target", path))


def test_a_sqlite_backup_restores_into_mariadb_and_back_unchanged(tmp_path):
    require_mysql()
    path, source = filled_backup("sqlite", tmp_path)
    in_mariadb = restored("mysql", tmp_path, "mariadb", path, out=tmp_path / "from-mariadb.backup")
    assert_same_tables(source, in_mariadb)
    back_in_sqlite = restored("sqlite", tmp_path, "back", tmp_path / "from-mariadb.backup")
    assert_same_tables(source, back_in_sqlite)


def test_a_mariadb_backup_restores_into_sqlite_unchanged(tmp_path):
    require_mysql()
    path, source = filled_backup("mysql", tmp_path)
    assert_same_tables(source, restored("sqlite", tmp_path, "sqlite", path))


def test_the_manifest_lists_tables_referenced_before_the_tables_pointing_at_them(backend, tmp_path):
    path, _ = filled_backup(backend, tmp_path)
    manifest = container.open_backup(path, KEY).manifest
    order = [table["name"] for table in manifest["tables"]]
    assert order.index("patient") < order.index("allergy")
    assert order.index("staff") < order.index("staff_session")
    assert "migration" not in order
    assert all(table["rows"] == ROWS and len(table["sha256"]) == 64 for table in manifest["tables"])
    assert manifest["migrations"] and manifest["backend"] == backend


def test_new_rows_after_a_restore_get_the_next_ids(backend, tmp_path):
    path, _ = filled_backup(backend, tmp_path)

    async def work():
        async with opened(database(backend, tmp_path, "target")) as engine:
            await restore_backup(engine, path, KEY)
            await raw(engine, "INSERT INTO room (name, active) VALUES ({}, {})",
                      "Room after restore", True)
            return (await raw(engine, "SELECT id FROM room WHERE name = {}", "Room after restore"))[0]["id"]

    assert run_async(work) == ROWS + 1


def test_verify_accepts_an_intact_file_without_touching_a_database(tmp_path):
    path, _ = filled_backup("sqlite", tmp_path)
    manifest = verify_file(path, KEY)
    assert {table["name"] for table in manifest["tables"]} >= {"patient", "audit_event"}


def test_a_flipped_byte_anywhere_is_refused(tmp_path):
    path, _ = filled_backup("sqlite", tmp_path)
    data = bytearray(path.read_bytes())
    for position in (len(container.MAGIC) + 10, len(data) // 2, len(data) - 40):
        damaged = tmp_path / f"damaged-{position}.backup"
        changed = bytearray(data)
        changed[position] ^= 0x01
        damaged.write_bytes(bytes(changed))
        with pytest.raises(BackupRefused, match="fails its checksum"):
            verify_file(damaged, KEY)


def test_a_changed_file_with_a_recomputed_checksum_fails_its_tag(tmp_path):
    import hashlib

    path, _ = filled_backup("sqlite", tmp_path)
    data = bytearray(path.read_bytes()[:-32])
    data[len(data) // 2] ^= 0x01
    forged = tmp_path / "forged.backup"
    forged.write_bytes(bytes(data) + hashlib.sha256(bytes(data)).digest())
    with pytest.raises(BackupRefused, match="authentication tag"):
        verify_file(forged, KEY)


def test_another_key_is_refused_with_its_fingerprint(tmp_path):
    path, _ = filled_backup("sqlite", tmp_path)
    with pytest.raises(BackupRefused, match="another CLINIC_BACKUP_KEY"):
        verify_file(path, os.urandom(32))


def test_the_key_must_be_32_bytes_in_base64_or_hex():
    assert container.backup_key({"CLINIC_BACKUP_KEY": base64.urlsafe_b64encode(KEY).decode()}) == KEY
    assert container.backup_key({"CLINIC_BACKUP_KEY": KEY.hex()}) == KEY
    with pytest.raises(BackupRefused, match="is not set"):
        container.backup_key({})
    with pytest.raises(BackupRefused, match="32 random bytes"):
        container.backup_key({"CLINIC_BACKUP_KEY": "too-short"})


def test_a_backup_needing_a_newer_schema_is_refused(backend, tmp_path):
    path = tmp_path / "newer.backup"

    async def make():
        async with opened(database(backend, tmp_path, "newer")) as engine:
            await raw(engine, "INSERT INTO migration (name, app_name, ran_on) VALUES ({}, {}, {})",
                      "2099-01-01T00:00:00:000000", "clinic", "2099-01-01 00:00:00")
            await take_backup(engine, path, KEY)

    run_async(make)

    async def attempt():
        async with opened(database(backend, tmp_path, "older")) as engine:
            await restore_backup(engine, path, KEY)

    with pytest.raises(BackupRefused, match="needs a newer schema"):
        run_async(attempt)


def test_a_database_with_data_is_refused_unless_forced_and_forcing_backs_it_up_first(backend, tmp_path):
    path, source = filled_backup(backend, tmp_path)
    safety = tmp_path / "safety"

    async def work():
        async with opened(database(backend, tmp_path, "busy")) as engine:
            await raw(engine, "INSERT INTO room (name, active) VALUES ({}, {})",
                      "Kept in the safety copy", True)
            with pytest.raises(BackupRefused, match="not empty"):
                await restore_backup(engine, path, KEY)
            outcome = await restore_backup(engine, path, KEY, force=True, safety_folder=safety)
            with pytest.raises(AppendOnlyViolation):  # the triggers lifted for the replacement are back
                await raw(engine, "DELETE FROM audit_event")
            return outcome, await every_row(engine)

    outcome, after = run_async(work)
    assert_same_tables(source, after)
    assert outcome.safety_copy is not None and outcome.safety_copy.path.parent == safety
    rooms = next(table for table in verify_file(outcome.safety_copy.path, KEY)["tables"] if table["name"] == "room")
    assert rooms["rows"] == 1
    assert outcome.safety_copy.path.stat().st_mode & 0o777 == 0o600
