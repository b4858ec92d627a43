"""Reading the schema back from SQLite or MySQL, in one common shape.

Used by migrations (does this table/column/index exist yet?), by start-up
checks, and by the test that proves both backends end up with the same
schema, table by table and column by column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from piccolo.engine.base import Engine
from piccolo.querystring import QueryString


async def raw(engine: Engine, template: str, *args) -> list[dict]:
    """Run one statement written with ``{}`` placeholders on either backend."""
    return await engine.run_querystring(QueryString(template, *args))


def _mysql(engine: Engine) -> bool:
    from clinic.db import is_mysql

    return is_mysql(engine)


async def table_names(engine: Engine) -> list[str]:
    if _mysql(engine):
        rows = await raw(
            engine,
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
        )
    else:
        rows = await raw(
            engine, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    return sorted(row["name"] for row in rows)


async def database_size_bytes(engine: Engine) -> int:
    """Space the database takes: data and indexes on MySQL, the file's pages on SQLite."""
    if _mysql(engine):
        rows = await raw(engine, "SELECT COALESCE(SUM(data_length + index_length), 0) AS n "
                                 "FROM information_schema.tables WHERE table_schema = DATABASE()")
        return int(rows[0]["n"])
    pages = await raw(engine, "PRAGMA page_count")
    size = await raw(engine, "PRAGMA page_size")
    return int(next(iter(pages[0].values()))) * int(next(iter(size[0].values())))


async def row_count(engine: Engine, table: str) -> int:
    """Exact rows in one of our tables (the name comes from our code, never from a request)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", table):
        raise ValueError(f"not a table name: {table!r}")
    return int((await raw(engine, f'SELECT COUNT(*) AS n FROM "{table}"'))[0]["n"])


async def table_exists(engine: Engine, table: str) -> bool:
    return table in await table_names(engine)


async def column_names(engine: Engine, table: str) -> list[str]:
    if _mysql(engine):
        rows = await raw(
            engine,
            "SELECT column_name AS name FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND table_name = {} ORDER BY ordinal_position",
            table,
        )
    else:
        rows = await raw(engine, f'PRAGMA table_info("{_identifier(table)}")')
    return [row["name"] for row in rows]


async def index_exists(engine: Engine, table: str, name: str) -> bool:
    if _mysql(engine):
        rows = await raw(
            engine,
            "SELECT COUNT(*) AS n FROM information_schema.statistics "
            "WHERE table_schema = DATABASE() AND table_name = {} AND index_name = {}",
            table,
            name,
        )
        return rows[0]["n"] > 0
    rows = await raw(engine, "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'index' AND name = {}", name)
    return rows[0]["n"] > 0


@dataclass(frozen=True)
class ColumnSchema:
    name: str
    family: str  # integer, varchar(n), text, datetime, date, time, boolean, decimal(p,s), real, json, blob
    nullable: bool
    primary_key: bool


@dataclass
class TableSchema:
    name: str
    columns: dict[str, ColumnSchema] = field(default_factory=dict)
    unique: set[tuple[str, ...]] = field(default_factory=set)
    indexed: set[tuple[str, ...]] = field(default_factory=set)
    foreign_keys: set[tuple[str, str, str]] = field(default_factory=set)  # (column, table, column)
    triggers: set[str] = field(default_factory=set)


def sqlite_family(declared: str) -> str:
    declared = declared.upper().strip()
    match = re.match(r"(VARCHAR|CHAR)\((\d+)\)", declared)
    if match:
        return f"varchar({match.group(2)})"
    match = re.match(r"(NUMERIC|DECIMAL)\((\d+),\s*(\d+)\)", declared)
    if match:
        return f"decimal({match.group(2)},{match.group(3)})"
    families = {
        "INTEGER": "integer", "BIGINT": "integer", "SMALLINT": "integer", "TEXT": "text",
        "TIMESTAMP": "datetime", "TIMESTAMPTZ": "datetime", "DATE": "date", "TIME": "time",
        "BOOLEAN": "boolean", "REAL": "real", "DOUBLE PRECISION": "real", "JSON": "json", "JSONB": "json",
        "BLOB": "blob", "BYTEA": "blob",
    }
    return families.get(declared, declared.lower())


def mysql_family(data_type: str, column_type: str, is_json: bool) -> str:
    data_type, column_type = data_type.lower(), column_type.lower()
    if is_json or data_type == "json":
        return "json"
    if column_type.startswith("tinyint(1)") or data_type == "boolean":
        return "boolean"
    if data_type in ("int", "integer", "bigint", "smallint", "mediumint", "tinyint"):
        return "integer"
    if data_type in ("varchar", "char"):
        return "varchar(" + column_type.split("(", 1)[1].split(")", 1)[0] + ")"
    if data_type == "decimal":
        return "decimal(" + column_type.split("(", 1)[1].split(")", 1)[0].replace(" ", "") + ")"
    families = {
        "longtext": "text", "mediumtext": "text", "text": "text", "datetime": "datetime", "timestamp": "datetime",
        "date": "date", "time": "time", "float": "real", "double": "real", "longblob": "blob", "blob": "blob",
    }
    return families.get(data_type, data_type)


async def describe(engine: Engine) -> dict[str, TableSchema]:
    return await (_describe_mysql(engine) if _mysql(engine) else _describe_sqlite(engine))


async def _describe_sqlite(engine: Engine) -> dict[str, TableSchema]:
    tables = {}
    for name in await table_names(engine):
        quoted = _identifier(name)
        schema = TableSchema(name)
        for row in await raw(engine, f'PRAGMA table_info("{quoted}")'):
            primary_key = bool(row["pk"])
            schema.columns[row["name"]] = ColumnSchema(
                name=row["name"],
                family=sqlite_family(row["type"]),
                nullable=not row["notnull"] and not primary_key,
                primary_key=primary_key,
            )
        for index in await raw(engine, f'PRAGMA index_list("{quoted}")'):
            if index["origin"] == "pk":
                continue
            columns = tuple(
                row["name"] for row in await raw(engine, f'PRAGMA index_info("{_identifier(index["name"])}")')
            )
            (schema.unique if index["unique"] else schema.indexed).add(columns)
        for row in await raw(engine, f'PRAGMA foreign_key_list("{quoted}")'):
            schema.foreign_keys.add((row["from"], row["table"], row["to"]))
        for row in await raw(engine, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = {}", name):
            schema.triggers.add(row["name"])
        tables[name] = schema
    return tables


async def _describe_mysql(engine: Engine) -> dict[str, TableSchema]:
    tables = {name: TableSchema(name) for name in await table_names(engine)}
    json_columns = set()
    try:
        # MariaDB stores JSON as LONGTEXT with a json_valid() check.
        for row in await raw(
            engine,
            "SELECT table_name AS t, check_clause AS c FROM information_schema.check_constraints "
            "WHERE constraint_schema = DATABASE()",
        ):
            match = re.search(r"json_valid\(`?([^`)]+)`?\)", row["c"] or "")
            if match:
                json_columns.add((row["t"], match.group(1)))
    except Exception:  # pragma: no cover - MySQL 8.0.16+ and MariaDB 10.2+ have the view
        pass
    for row in await raw(
        engine,
        "SELECT table_name AS t, column_name AS c, data_type AS dt, column_type AS ct, is_nullable AS n, "
        "column_key AS k FROM information_schema.columns WHERE table_schema = DATABASE() "
        "ORDER BY table_name, ordinal_position",
    ):
        if row["t"] not in tables:
            continue
        tables[row["t"]].columns[row["c"]] = ColumnSchema(
            name=row["c"],
            family=mysql_family(row["dt"], row["ct"], (row["t"], row["c"]) in json_columns),
            nullable=row["n"] == "YES",
            primary_key=row["k"] == "PRI",
        )
    groups: dict[tuple[str, str], tuple[bool, list[str]]] = {}
    for row in await raw(
        engine,
        "SELECT table_name AS t, index_name AS i, non_unique AS nu, column_name AS c "
        "FROM information_schema.statistics WHERE table_schema = DATABASE() "
        "ORDER BY table_name, index_name, seq_in_index",
    ):
        if row["i"] == "PRIMARY" or row["t"] not in tables:
            continue
        groups.setdefault((row["t"], row["i"]), (not row["nu"], []))[1].append(row["c"])
    fk_indexes = set()
    for row in await raw(
        engine,
        "SELECT table_name AS t, column_name AS c, referenced_table_name AS rt, referenced_column_name AS rc, "
        "constraint_name AS n FROM information_schema.key_column_usage "
        "WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL",
    ):
        if row["t"] in tables:
            tables[row["t"]].foreign_keys.add((row["c"], row["rt"], row["rc"]))
            fk_indexes.add((row["t"], row["n"]))
    for (table, index), (unique, columns) in groups.items():
        if (table, index) in fk_indexes:
            continue  # InnoDB's own index behind a foreign key; SQLite has none
        (tables[table].unique if unique else tables[table].indexed).add(tuple(columns))
    for row in await raw(
        engine,
        "SELECT event_object_table AS t, trigger_name AS n FROM information_schema.triggers "
        "WHERE trigger_schema = DATABASE()",
    ):
        if row["t"] in tables:
            tables[row["t"]].triggers.add(row["n"])
    return tables


def _identifier(name: str) -> str:
    if not re.fullmatch(r"\w+", name):
        raise ValueError(f"unexpected identifier {name!r}")
    return name
