"""Applying the migrations in ``piccolo_migrations/`` on SQLite and MySQL.

The files keep Piccolo's format (``ID``, ``DESCRIPTION`` and a ``forwards()``
returning a ``MigrationManager``) and record themselves in Piccolo's
``migration`` table, so Piccolo's own tools can read them. Their steps are
the operations below rather than Piccolo's auto-migration operations, which
emit Postgres syntax and do not support SQLite: each step is written once and
produces the right DDL per backend.

Every step is idempotent. On SQLite a migration runs inside one transaction
(SQLite DDL is transactional). On MySQL each DDL statement commits by itself,
so a migration interrupted half-way leaves part of it applied; running
``clinic migrate`` again completes it, because each step first checks whether
its work is already there.
"""

from __future__ import annotations

import contextvars
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterable

from piccolo.apps.migrations.tables import Migration as MigrationRecord
from piccolo.columns.base import Column
from piccolo.engine.base import Engine
from piccolo.table import Table

from clinic.db import is_mysql
from clinic.db.schema import column_names, index_exists, table_exists
from clinic.paths import PROJECT_ROOT

APP_NAME = "clinic"
MIGRATIONS_DIR = PROJECT_ROOT / "piccolo_migrations"

_engine: contextvars.ContextVar[Engine | None] = contextvars.ContextVar("migration_engine", default=None)


def migration_engine() -> Engine:
    """The engine the running migration applies to."""
    engine = _engine.get()
    if engine is None:
        # Run by Piccolo's own `piccolo migrations forwards`: use piccolo_conf.
        from piccolo.engine import engine_finder

        engine = engine_finder()
        if engine is None:
            raise RuntimeError("no database engine for the migration")
    return engine


@dataclass(frozen=True)
class MigrationFile:
    id: str
    description: str
    module: ModuleType


def discover(folder: Path = MIGRATIONS_DIR) -> list[MigrationFile]:
    found = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"piccolo_migrations.{path.stem}"
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        found.append(MigrationFile(id=module.ID, description=getattr(module, "DESCRIPTION", ""), module=module))
    ids = [migration.id for migration in found]
    if len(set(ids)) != len(ids):
        raise RuntimeError("two migration files share an ID")
    return sorted(found, key=lambda migration: migration.id)


async def ensure_record_table(engine: Engine) -> None:
    MigrationRecord._meta.db = engine
    await MigrationRecord.create_table(if_not_exists=True)


async def applied_ids(engine: Engine) -> set[str]:
    if not await table_exists(engine, MigrationRecord._meta.tablename):
        return set()
    MigrationRecord._meta.db = engine
    rows = await MigrationRecord.select(MigrationRecord.name).where(MigrationRecord.app_name == APP_NAME)
    return {row["name"] for row in rows}


async def pending(engine: Engine) -> list[MigrationFile]:
    done = await applied_ids(engine)
    return [migration for migration in discover() if migration.id not in done]


async def migrate(engine: Engine, report: Callable[[str], None] = lambda line: None) -> list[str]:
    """Apply every pending migration in order; returns the ids applied.

    Two `clinic migrate` runs at once (two instances starting together) take
    turns: on SQLite each migration re-checks inside its write transaction,
    on MySQL the whole run holds a named server lock.
    """
    await ensure_record_table(engine)
    if not is_mysql(engine):
        return await _migrate_sqlite(engine, report)
    lock = await engine.new_connection()
    try:
        async with lock.cursor() as cursor:
            await cursor.execute("SELECT GET_LOCK('clinic_migrate', 120)")
            (granted,) = await cursor.fetchone()
        if granted != 1:
            raise RuntimeError("another `clinic migrate` has held the migration lock for two minutes")
        applied = []
        for migration in await pending(engine):
            report(f"applying {migration.id}  {migration.description}")
            await _apply(engine, migration)
            applied.append(migration.id)
        return applied
    finally:
        lock.close()  # closing the session releases the lock


async def _migrate_sqlite(engine: Engine, report: Callable[[str], None]) -> list[str]:
    applied = []
    for migration in discover():
        async with engine.transaction():
            if migration.id in await applied_ids(engine):
                continue
            report(f"applying {migration.id}  {migration.description}")
            await _apply(engine, migration)
        applied.append(migration.id)
    return applied


async def _apply(engine: Engine, migration: MigrationFile) -> None:
    manager = await migration.module.forwards()
    token = _engine.set(engine)
    try:
        await _run_steps(manager.raw)
        await _record(migration)
    finally:
        _engine.reset(token)


async def _run_steps(steps: Iterable[Callable]) -> None:
    for step in steps:
        result = step()
        if hasattr(result, "__await__"):
            await result


async def _record(migration: MigrationFile) -> None:
    await MigrationRecord.insert(MigrationRecord(name=migration.id, app_name=APP_NAME))


# -- operations used by migration files --------------------------------------


async def create_table(table: type[Table]) -> None:
    """Create a table (with its indexes and foreign keys) if it is missing."""
    engine = migration_engine()
    table._meta.db = engine
    await table.create_table(if_not_exists=True)


async def create_index(table: str, columns: list[str], *, unique: bool = False, name: str | None = None) -> None:
    engine = migration_engine()
    name = name or f"{table}_{'_'.join(columns)}_{'uniq' if unique else 'idx'}"
    if await index_exists(engine, table, name):
        return
    column_list = ", ".join(f'"{column}"' for column in columns)
    kind = "UNIQUE INDEX" if unique else "INDEX"
    await engine.run_ddl(f'CREATE {kind} "{name}" ON "{table}" ({column_list})')


async def add_column(table: type[Table], column: Column) -> None:
    """Add one column of a frozen table definition, if it is missing."""
    engine = migration_engine()
    table._meta.db = engine
    name = column._meta.db_column_name
    if name in await column_names(engine, table._meta.tablename):
        if is_mysql(engine) and hasattr(column, "_foreign_key_meta"):
            await _ensure_mysql_foreign_key(engine, table, column)
        return
    tablename = table._meta.tablename
    if is_mysql(engine):
        from clinic.db.mysql.ddl import column_ddl, foreign_key_clause

        await engine.run_ddl(f'ALTER TABLE "{tablename}" ADD COLUMN {column_ddl(column)}')
        if hasattr(column, "_foreign_key_meta"):
            # MySQL 8 ignores inline REFERENCES: add the constraint by name.
            await engine.run_ddl(f'ALTER TABLE "{tablename}" ADD {foreign_key_clause(tablename, column)}')
    else:
        await engine.run_ddl(f'ALTER TABLE "{tablename}" ADD COLUMN {column.ddl}')


async def execute(*, sqlite: list[str] | None = None, mysql: list[str] | None = None) -> None:
    """Statements that differ per backend (triggers, for instance)."""
    engine = migration_engine()
    for statement in (mysql if is_mysql(engine) else sqlite) or []:
        await engine.run_ddl(statement)


async def _ensure_mysql_foreign_key(engine: Engine, table: type[Table], column: Column) -> None:
    """Finish a column added by an interrupted migration: its constraint may be missing."""
    from clinic.db.mysql.ddl import foreign_key_clause
    from clinic.db.schema import raw

    tablename = table._meta.tablename
    rows = await raw(
        engine,
        "SELECT COUNT(*) AS n FROM information_schema.table_constraints WHERE constraint_schema = DATABASE() "
        "AND table_name = {} AND constraint_name = {}",
        tablename,
        f"{tablename}_{column._meta.db_column_name}_fkey",
    )
    if rows[0]["n"] == 0:
        await engine.run_ddl(f'ALTER TABLE "{tablename}" ADD {foreign_key_clause(tablename, column)}')
