"""Restoring a backup: into an empty migrated database, or (forced) over one after backing it up."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from piccolo.engine.base import Engine

from clinic.db import is_mysql
from clinic.db.migrations import applied_ids
from clinic.db.schema import TableSchema, describe, raw
from clinic.ops.backups import container
from clinic.ops.backups.container import BackupRefused
from clinic.ops.backups.snapshot import (
    INSERT_BATCH,
    Summary,
    _compare,
    _is_header,
    dependency_order,
    fingerprint_tables,
    native,
    take_backup,
)

# Tables whose rows the migrations themselves put in (the audit chain's head, the
# invoice and receipt counters): a freshly migrated database is still empty with
# them, and a restore replaces their rows.
SEEDED = {"audit_chain_head", "billing_counter"}


@dataclass
class Restored:
    tables: int
    rows: int
    seconds: float
    safety_copy: Summary | None


def check_schema(manifest: dict, applied: set[str], tables: dict[str, TableSchema], path: Path) -> None:
    newer = sorted(set(manifest["migrations"]) - applied)
    if newer:
        raise BackupRefused(f"{path} needs a newer schema (migration {newer[-1]} is not applied here): "
                            "upgrade Clinic and run `clinic migrate`, then restore")
    for table in manifest["tables"]:
        there = tables.get(table["name"])
        missing = [name for name in table["columns"] if there is None or name not in there.columns]
        if missing:
            raise BackupRefused(f"{path}: table {table['name']} has no column {missing[0]} in this database")


async def row_total(engine: Engine, tables: list[TableSchema]) -> int:
    total = 0
    for table in tables:
        total += (await raw(engine, f'SELECT COUNT(*) AS n FROM "{table.name}"'))[0]["n"]
    return total


async def restore_backup(engine: Engine, path: Path, key: bytes, *, force: bool = False,
                         safety_folder: Path | None = None) -> Restored:
    started = time.monotonic()
    opened = container.open_backup(path, key)
    manifest = opened.manifest
    schema = await describe(engine)
    check_schema(manifest, await applied_ids(engine), schema, path)
    tables = dependency_order(schema)
    safety = None
    if await row_total(engine, [table for table in tables if table.name not in SEEDED]):
        if not force:
            raise BackupRefused("this database is not empty: restore into an empty migrated database, or add "
                                "--force to replace its contents (it is backed up first)")
        folder = safety_folder or path.parent
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        safety = await take_backup(engine, folder / f"clinic-before-restore-{stamp}.backup", key)
    with tempfile.TemporaryDirectory(prefix="clinic-restore-") as work:
        compressed = Path(work) / "rows.gz"
        container.decrypt_rows(path, opened, key, compressed)
        triggers = await _drop_triggers(engine) if safety else []
        try:
            await _load(engine, schema, tables, compressed, clear=safety is not None)
        finally:
            for statement in triggers:
                await engine.run_ddl(statement)
    await _reset_sequences(engine, [schema[table["name"]] for table in manifest["tables"]])
    restored = [schema[table["name"]] for table in manifest["tables"]]
    found = await fingerprint_tables(engine, restored, {table["name"]: table["columns"] for table in manifest["tables"]})
    _compare(manifest["tables"], {table["name"]: (table["rows"], table["sha256"]) for table in found},
             what="after the restore")
    return Restored(len(restored), sum(table["rows"] for table in manifest["tables"]),
                    time.monotonic() - started, safety)


async def _drop_triggers(engine: Engine) -> list[str]:
    """The append-only triggers refuse DELETE: lift them while the tables are replaced; returns how to put them back."""
    statements = []
    if is_mysql(engine):
        for row in await raw(engine, "SELECT trigger_name AS n, event_object_table AS t, action_timing AS w, "
                             "event_manipulation AS e, action_statement AS s FROM information_schema.triggers "
                             "WHERE trigger_schema = DATABASE()"):
            statements.append(f'CREATE TRIGGER {row["n"]} {row["w"]} {row["e"]} ON {row["t"]} FOR EACH ROW {row["s"]}')
            await engine.run_ddl(f'DROP TRIGGER IF EXISTS {row["n"]}')
    else:
        for row in await raw(engine, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"):
            statements.append(row["sql"])
            await engine.run_ddl(f'DROP TRIGGER IF EXISTS "{row["name"]}"')
    return statements


async def _load(engine: Engine, schema: dict[str, TableSchema], tables: list[TableSchema], compressed: Path,
                *, clear: bool) -> None:
    mysql = is_mysql(engine)
    aware = {} if mysql else await _timestamptz_columns(engine, schema)
    async with engine.transaction() as transaction:
        connection = transaction.connection
        if mysql:
            await transaction.execute("SET FOREIGN_KEY_CHECKS = 0")
        else:
            await raw(engine, "PRAGMA defer_foreign_keys = ON")
        for table in reversed(tables):
            if clear or table.name in SEEDED:
                await raw(engine, f'DELETE FROM "{table.name}"')
        statement, converters, batch = None, [], []

        async def flush() -> None:
            if not batch:
                return
            if mysql:
                from clinic.db.mysql.values import adapt_parameter

                async with connection.cursor() as cursor:
                    await cursor.executemany(statement, [[adapt_parameter(value) for value in row] for row in batch])
            else:
                await connection.executemany(statement, batch)
            batch.clear()

        for item in container.read_lines(compressed):
            if _is_header(item):
                await flush()
                name, columns = item[1], item[2]
                marker = "%s" if mysql else "?"
                statement = (f'INSERT INTO "{name}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)}) '
                             f'VALUES ({", ".join(marker for _ in columns)})')
                converters = [(schema[name].columns[column].family, (name, column) in aware) for column in columns]
                continue
            batch.append([native(value, family, aware=is_aware) for value, (family, is_aware) in zip(item, converters)])
            if len(batch) >= INSERT_BATCH:
                await flush()
        await flush()
        if mysql:
            await transaction.execute("SET FOREIGN_KEY_CHECKS = 1")


async def _timestamptz_columns(engine: Engine, schema: dict[str, TableSchema]) -> set[tuple[str, str]]:
    """SQLite columns declared TIMESTAMPTZ: the app writes them with +00:00, so the restore does too."""
    aware = set()
    for name in schema:
        for row in await raw(engine, f'PRAGMA table_info("{name}")'):
            if row["type"].upper() == "TIMESTAMPTZ":
                aware.add((name, row["name"]))
    return aware


async def _reset_sequences(engine: Engine, tables: list[TableSchema]) -> None:
    """The next id after the highest restored one (a forced restore may leave counters higher)."""
    for table in tables:
        keys = [column.name for column in table.columns.values() if column.primary_key and column.family == "integer"]
        if len(keys) != 1:
            continue
        highest = (await raw(engine, f'SELECT MAX("{keys[0]}") AS n FROM "{table.name}"'))[0]["n"] or 0
        if is_mysql(engine):
            await engine.run_ddl(f'ALTER TABLE "{table.name}" AUTO_INCREMENT = {int(highest) + 1}')
        elif (await raw(engine, "SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'sqlite_sequence'"))[0]["n"]:
            await raw(engine, "UPDATE sqlite_sequence SET seq = {} WHERE name = {}", int(highest), table.name)
