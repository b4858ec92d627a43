"""Taking a consistent logical backup of every table, and restoring one, on SQLite and MySQL alike.

Values are written in one canonical form whatever the backend (datetimes as
naive UTC with microseconds, decimals as strings at their scale, bytes as
base64), so a backup from SQLite restores into MySQL and back, and the same
rows give the same per-table SHA-256 on either.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from piccolo.engine.base import Engine

from clinic import __version__
from clinic.core import clock
from clinic.db import is_mysql
from clinic.db.migrations import applied_ids
from clinic.db.schema import TableSchema, describe, raw
from clinic.ops.backups import container
from clinic.ops.backups.container import BackupRefused

SKIPPED = {"migration"}  # the schema version: the target has its own, checked against the manifest
PAGE = 5000
INSERT_BATCH = 500


@dataclass
class Summary:
    path: Path
    size: int
    tables: int
    rows: int
    seconds: float
    manifest: dict = field(repr=False, default_factory=dict)


def dependency_order(tables: dict[str, TableSchema]) -> list[TableSchema]:
    """Tables with the ones they point at first (a self-reference does not count)."""
    ordered: list[TableSchema] = []
    placed: set[str] = set()

    def place(name: str, path: tuple[str, ...]) -> None:
        if name in placed or name in path or name not in tables:
            return
        for _, target, _ in sorted(tables[name].foreign_keys):
            if target != name:
                place(target, path + (name,))
        placed.add(name)
        ordered.append(tables[name])

    for name in sorted(tables):
        place(name, ())
    return [table for table in ordered if table.name not in SKIPPED]


# -- values -------------------------------------------------------------------

def canonical(value, family: str):
    """One JSON value for a column value, the same whichever backend it came from."""
    if value is None:
        return None
    if family == "datetime":
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if family == "date":
        return value if isinstance(value, str) else value.isoformat()
    if family == "time":
        value = dt.time.fromisoformat(value) if isinstance(value, str) else value
        return value.isoformat(timespec="microseconds")
    if family == "boolean":
        return bool(value) if not isinstance(value, str) else value in ("1", "true", "True")
    if family == "integer":
        return int(value)
    if family.startswith("decimal"):
        scale = int(family.split(",")[1].rstrip(")"))
        amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-scale))
        return str(abs(amount) if amount == 0 else amount)  # no "-0.0": MySQL has no negative zero
    if family == "real":
        return float(value)
    if family == "blob":
        return base64.b64encode(bytes(value)).decode()
    if family == "json" and not isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bytes):
        return value.decode()
    return value if isinstance(value, str) else str(value)


def native(value, family: str, *, aware: bool):
    """The Python value to insert for a canonical one (what the app itself would send)."""
    if value is None:
        return None
    if family == "datetime":
        moment = dt.datetime.fromisoformat(value)
        return moment.replace(tzinfo=dt.timezone.utc) if aware else moment
    if family == "date":
        return dt.date.fromisoformat(value)
    if family == "time":
        return dt.time.fromisoformat(value)
    if family.startswith("decimal"):
        return Decimal(value)
    if family == "blob":
        return base64.b64decode(value)
    return value


def row_line(row: list) -> bytes:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode()


# -- reading ------------------------------------------------------------------

def _key_column(table: TableSchema) -> str | None:
    keys = [column for column in table.columns.values() if column.primary_key]
    return keys[0].name if len(keys) == 1 and keys[0].family == "integer" else None


async def table_rows(engine: Engine, table: TableSchema, columns: list[str]):
    """Every row of a table as canonical lists, in primary-key order (else sorted), page by page."""
    families = [table.columns[name].family for name in columns]
    selected = ", ".join(f'"{name}"' for name in columns)
    key = _key_column(table)
    if key is None:
        rows = await raw(engine, f'SELECT {selected} FROM "{table.name}"')
        lines = sorted(row_line([canonical(row[name], family) for name, family in zip(columns, families)])
                       for row in rows)
        for line in lines:
            yield line
        return
    after = None
    while True:
        if after is None:
            page = await raw(engine, f'SELECT {selected} FROM "{table.name}" ORDER BY "{key}" LIMIT {PAGE}')
        else:
            page = await raw(engine, f'SELECT {selected} FROM "{table.name}" WHERE "{key}" > {{}} '
                             f'ORDER BY "{key}" LIMIT {PAGE}', after)
        for row in page:
            yield row_line([canonical(row[name], family) for name, family in zip(columns, families)])
        if len(page) < PAGE:
            return
        after = page[-1][key]


async def fingerprint_tables(engine: Engine, tables: list[TableSchema], columns: dict[str, list[str]] | None = None,
                             rows_out=None) -> list[dict]:
    """Row count and SHA-256 per table (over the canonical lines); ``rows_out`` receives the lines too."""
    described = []
    for table in tables:
        names = (columns or {}).get(table.name) or list(table.columns)
        digest, count = hashlib.sha256(), 0
        if rows_out is not None:
            rows_out.write(row_line(["table", table.name, names]) + b"\n")
        async for line in table_rows(engine, table, names):
            digest.update(line + b"\n")
            count += 1
            if rows_out is not None:
                rows_out.write(line + b"\n")
        described.append({"name": table.name, "columns": names,
                          "families": [table.columns[name].family for name in names],
                          "rows": count, "sha256": digest.hexdigest()})
    return described


async def take_backup(engine: Engine, path: Path, key: bytes) -> Summary:
    """Write a backup of the whole database to ``path``, read in one snapshot."""
    started = time.monotonic()
    mysql = is_mysql(engine)
    with tempfile.TemporaryDirectory(prefix="clinic-backup-") as work:
        rows_file = Path(work) / "rows.jsonl"
        with open(rows_file, "wb") as rows_out:
            if mysql:
                transaction = engine.transaction()
            else:
                from piccolo.engine.sqlite import TransactionType

                transaction = engine.transaction(TransactionType.deferred)
            async with transaction as opened:
                if mysql:
                    # One snapshot for every table (InnoDB's REPEATABLE READ, fixed from here on).
                    await opened.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    await opened.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
                tables = dependency_order(await describe(engine))
                migrations = sorted(await applied_ids(engine))
                described = await fingerprint_tables(engine, tables, rows_out=rows_out)
        manifest = {
            "format": container.FORMAT, "clinic_version": __version__,
            "created_at": clock.now().astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
            "backend": "mysql" if mysql else "sqlite", "migrations": migrations, "tables": described,
        }
        size = container.write_backup(path, manifest, rows_file, key)
    return Summary(path, size, len(described), sum(table["rows"] for table in described),
                   time.monotonic() - started, manifest)


def verify_file(path: Path, key: bytes) -> dict:
    """Check a backup without restoring it: checksum, both tags, and every table's count and hash."""
    opened = container.open_backup(path, key)
    with tempfile.TemporaryDirectory(prefix="clinic-verify-") as work:
        compressed = Path(work) / "rows.gz"
        container.decrypt_rows(path, opened, key, compressed)
        found = _hash_file(compressed)
    _compare(opened.manifest["tables"], found, what=f"{path}")
    return opened.manifest


def _hash_file(compressed: Path) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    name, digest, count = None, None, 0
    for item in container.read_lines(compressed):
        if _is_header(item):
            if name is not None:
                found[name] = (count, digest.hexdigest())
            name, digest, count = item[1], hashlib.sha256(), 0
            continue
        digest.update(row_line(item) + b"\n")
        count += 1
    if name is not None:
        found[name] = (count, digest.hexdigest())
    return found


def _is_header(item: list) -> bool:
    # Rows hold only scalars; a table's header line carries its column list.
    return len(item) == 3 and item[0] == "table" and isinstance(item[2], list)


def _compare(expected: list[dict], found: dict[str, tuple[int, str]], *, what: str) -> None:
    for table in expected:
        count, digest = found.get(table["name"], (0, hashlib.sha256().hexdigest()))
        if count != table["rows"]:
            raise BackupRefused(f"{what}: table {table['name']} has {count} rows, the manifest says {table['rows']}")
        if digest != table["sha256"]:
            raise BackupRefused(f"{what}: table {table['name']} does not match its SHA-256 in the manifest")
