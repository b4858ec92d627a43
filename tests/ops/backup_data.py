"""Awkward values in every column of every table, for the backup round trips."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from clinic.db.schema import ColumnSchema, describe, raw
from clinic.ops.backups.restore import SEEDED
from clinic.ops.backups.snapshot import dependency_order

ROWS = 3
LONG_TEXT = "Ünïcødé 🙂 line\n" * 4000  # 64,000 characters, emoji included


def awkward(column: ColumnSchema, row: int, references: dict[str, str]):
    """A value for one column of row ``row`` (1-based): edges of each kind, unique per row."""
    family = column.family
    if column.primary_key and family == "integer":
        return row
    if column.name in references:
        return row  # the referenced table has rows 1..ROWS
    if column.nullable and row == 3:
        return None
    if family == "integer":
        return [0, -2147483648, 2147483647][row - 1]
    if family == "boolean":
        return row % 2 == 1
    if family == "datetime":
        return [dt.datetime(2031, 3, 30, 1, 59, 59, 999999, tzinfo=dt.timezone.utc),
                dt.datetime(2026, 11, 30, 12, 0, 0, 0, tzinfo=dt.timezone.utc),
                dt.datetime(2000, 2, 29, 23, 59, 59, 1, tzinfo=dt.timezone.utc)][row - 1]
    if family == "date":
        return [dt.date(2028, 2, 29), dt.date(1900, 1, 1), dt.date(2099, 12, 31)][row - 1]
    if family == "time":
        return [dt.time(23, 59, 59, 999999), dt.time(0, 0), dt.time(12, 30, 0, 1)][row - 1]
    if family.startswith("decimal"):
        precision, scale = (int(part) for part in family[8:-1].split(","))
        whole = 10 ** (precision - scale) - 1
        return [Decimal(whole) + Decimal(1) - Decimal(1).scaleb(-scale), -Decimal(1).scaleb(-scale),
                Decimal(0)][row - 1]
    if family == "real":
        return [0.1, -1e-300, 12345.678901234][row - 1]
    if family == "json":
        return json.dumps({"row": row, "text": "é 🙂", "list": [1, None, True]})
    if family == "blob":
        return bytes(range(256)) * row
    if family.startswith("varchar"):
        size = int(family[8:-1])
        return (f"{row}-Zoë 🙂 O'Brien \"quoted\" \\ back" * 10)[:size]
    return f"{row}:" + LONG_TEXT


async def fill_every_table(engine) -> dict[str, int]:
    """ROWS rows in every table (foreign keys pointing at rows 1..ROWS); returns the rows per table."""
    schema = await describe(engine)
    counts = {}
    from clinic.db import is_mysql

    mysql = is_mysql(engine)
    async with engine.transaction():
        if mysql:
            await raw(engine, "SET FOREIGN_KEY_CHECKS = 0")
        else:
            await raw(engine, "PRAGMA defer_foreign_keys = ON")
        for table in dependency_order(schema):
            if table.name in SEEDED:
                await raw(engine, f'DELETE FROM "{table.name}"')
            references = {column: target for column, target, _ in table.foreign_keys}
            names = list(table.columns)
            for row in range(1, ROWS + 1):
                values = [awkward(table.columns[name], row, references) for name in names]
                await raw(engine, f'INSERT INTO "{table.name}" ({", ".join(chr(34) + n + chr(34) for n in names)}) '
                          f'VALUES ({", ".join("{}" for _ in names)})', *values)
            counts[table.name] = ROWS
        if mysql:
            await raw(engine, "SET FOREIGN_KEY_CHECKS = 1")
    return counts
