"""Migrations: one command builds the schema, re-running is safe, both backends agree."""

from __future__ import annotations

from pathlib import Path

from clinic.db import engine_for
from clinic.db.migrations import _engine as current_migration_engine
from clinic.db.migrations import discover, migrate, pending
from clinic.db.schema import describe, sqlite_family
from clinic.db.urls import parse_database_url
from clinic.piccolo_app import APP_CONFIG
from tests.conftest import require_mysql, run_async, side_database_url

# A busy CI machine can hold SQLite's write lock longer than the app's 5 s while
# migrating: these tests are about order, not speed.
PATIENT_BUSY_TIMEOUT_MS = 60_000


async def with_engine(url: str, work):
    engine = engine_for(parse_database_url(url, Path(".")), create=True, busy_timeout_ms=PATIENT_BUSY_TIMEOUT_MS)
    await engine.start_connection_pool()
    try:
        return await work(engine)
    finally:
        await engine.close_connection_pool()


def test_the_test_database_is_fully_migrated(harness):
    assert harness.run(pending, harness.engine) == []


def test_migration_ids_are_ordered_and_unique():
    ids = [migration.id for migration in discover()]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_migrate_on_an_empty_database_builds_every_table(backend, tmp_path):
    url = side_database_url(backend, tmp_path, "migrate")

    async def work(engine):
        applied = await migrate(engine)
        assert applied == [migration.id for migration in discover()]
        assert await migrate(engine) == []  # nothing left to do
        return await describe(engine)

    schema = run_async(with_engine, url, work)
    for table in APP_CONFIG.table_classes:
        assert table._meta.tablename in schema, table


def test_the_schema_matches_the_table_classes(harness):
    """Migrations and tables.py must not drift apart."""
    schema = harness.run(describe, harness.engine)
    for table in APP_CONFIG.table_classes:
        columns = schema[table._meta.tablename].columns
        declared = {column._meta.db_column_name: column for column in table._meta.columns}
        assert set(columns) == set(declared), table._meta.tablename
        for name, column in declared.items():
            assert columns[name].nullable == (column._meta.null and not column._meta.primary_key), (table, name)
            expected = sqlite_family(column.column_type if not hasattr(column, "_foreign_key_meta") else "INTEGER")
            if column.__class__.__name__ == "Serial":
                expected = "integer"
            assert columns[name].family == expected, (table._meta.tablename, name, columns[name].family, expected)


def test_a_half_applied_migration_completes_when_run_again(backend, tmp_path):
    """MySQL DDL is not transactional: an interrupted migration must be safe to re-run."""
    url = side_database_url(backend, tmp_path, "half")
    first = discover()[0]

    async def interrupted(engine):
        manager = await first.module.forwards()
        token = current_migration_engine.set(engine)
        try:
            # Simulate a crash after the first tables were created.
            await first.module.create_table(first.module.Staff)
            await first.module.create_table(first.module.Patient)
        finally:
            current_migration_engine.reset(token)
        assert manager.raw
        await migrate(engine)
        return await describe(engine)

    async def clean(engine):
        await migrate(engine)
        return await describe(engine)

    half_then_full = run_async(with_engine, url, interrupted)
    straight = run_async(with_engine, side_database_url(backend, tmp_path, "straight"), clean)
    assert summarise(half_then_full) == summarise(straight)


def test_every_step_is_idempotent(harness):
    """Running every migration's steps again over a migrated database changes nothing."""
    before = summarise(harness.run(describe, harness.engine))

    async def rerun(engine):
        token = current_migration_engine.set(engine)
        try:
            for migration in discover():
                manager = await migration.module.forwards()
                for step in manager.raw:
                    await step()
        finally:
            current_migration_engine.reset(token)

    harness.run(rerun, harness.engine)
    assert summarise(harness.run(describe, harness.engine)) == before


def summarise(schema):
    return {
        name: (
            sorted((c.name, c.family, c.nullable, c.primary_key) for c in table.columns.values()),
            sorted(table.unique),
            sorted(table.indexed),
            sorted(table.foreign_keys),
            sorted(table.triggers),
        )
        for name, table in schema.items()
    }


def test_sqlite_and_mariadb_build_the_same_schema(tmp_path):
    """Table by table, column by column: names, types, nullability, keys, indexes, triggers."""
    require_mysql()
    sqlite_url = side_database_url("sqlite", tmp_path, "compare")
    mysql_url = side_database_url("mysql", tmp_path, "compare")

    async def build(engine):
        await migrate(engine)
        return await describe(engine)

    sqlite_schema = run_async(with_engine, sqlite_url, build)
    mysql_schema = run_async(with_engine, mysql_url, build)
    assert sorted(sqlite_schema) == sorted(mysql_schema)
    for name in sqlite_schema:
        assert summarise({name: sqlite_schema[name]}) == summarise({name: mysql_schema[name]}), name


def test_mysql_tables_use_innodb_and_a_binary_no_pad_collation():
    require_mysql()

    async def inspect(engine):
        from clinic.db.schema import raw

        return await raw(
            engine,
            "SELECT table_name AS t, engine AS e, table_collation AS c FROM information_schema.tables "
            "WHERE table_schema = DATABASE()",
        )

    async def work(engine):
        await migrate(engine)
        return await inspect(engine)

    rows = run_async(with_engine, side_database_url("mysql", Path("."), "collation"), work)
    assert rows and all(row["e"] == "InnoDB" for row in rows)
    assert {row["c"] for row in rows} == {"utf8mb4_nopad_bin"}


def test_app_tables_store_times_as_aware_utc_only():
    """The MySQL engine returns every DATETIME as UTC-aware, so naive Timestamp
    columns would read back differently on the two backends: we use none."""
    from piccolo.columns import Timestamp

    naive = [
        f"{table._meta.tablename}.{column._meta.name}"
        for table in APP_CONFIG.table_classes
        for column in table._meta.columns
        if type(column) is Timestamp
    ]
    assert naive == []


def test_two_migrate_runs_at_once_take_turns(backend, tmp_path):
    url = side_database_url(backend, tmp_path, "concurrent")

    async def both(engine):
        import asyncio

        other = engine_for(parse_database_url(url, Path(".")), create=True, busy_timeout_ms=PATIENT_BUSY_TIMEOUT_MS)
        await other.start_connection_pool()
        try:
            first, second = await asyncio.gather(migrate(engine), migrate(other))
        finally:
            await other.close_connection_pool()
        from clinic.db.schema import raw

        rows = await raw(engine, "SELECT name, COUNT(*) AS n FROM migration GROUP BY name")
        return first, second, rows

    first, second, rows = run_async(with_engine, url, both)
    assert sorted(first + second) == sorted(migration.id for migration in discover())
    assert all(row["n"] == 1 for row in rows) and len(rows) == len(discover())
