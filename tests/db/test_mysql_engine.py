"""Our MySQL/MariaDB engine: what only a server has (pools, killed connections, strict mode,
the no-RETURNING path of MySQL 8, locks and deadlocks), and the rewriting of Piccolo's SQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import piccolo
import pytest

from clinic.db import DatabaseUnavailable, IntegrityViolation, UnsupportedQuery, engine_for, is_mysql
from clinic.db.mysql.engine import MySQLEngine, check_piccolo_version
from clinic.db.schema import raw
from clinic.db.transactions import can_skip_locked, for_update
from clinic.db.urls import parse_database_url
from tests.conftest import require_mysql, side_database_url
from tests.db.engine_tables import Item, Supplier, with_tables

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def mysql_url() -> str:
    """A database of its own for the cases only a MySQL/MariaDB server has."""
    require_mysql()
    return side_database_url("mysql", Path("."), "engine_mysql")


def test_postgres_only_sql_is_refused_not_sent(mysql_url):
    async def work(engine):
        refused = []
        for query in (
            lambda: Item.raw("SELECT 1::int AS x"),
            lambda: Item.select(Item.name).distinct(on=[Item.name]).order_by(Item.name),
            lambda: raw(engine, "SELECT * FROM pg_tables"),
        ):
            try:
                await query()
            except UnsupportedQuery as error:
                refused.append(str(error))
        return refused

    refused = with_tables(mysql_url, work)
    assert len(refused) == 3 and all("untranslated Postgres syntax" in message for message in refused)


def test_a_piccolo_upgrade_fails_loudly(monkeypatch):
    monkeypatch.setattr(piccolo, "__VERSION__", "1.39.0")
    with pytest.raises(RuntimeError, match="tested with Piccolo 1.38"):
        check_piccolo_version()
    monkeypatch.undo()
    assert piccolo.__VERSION__.startswith("1.38.")


def test_rewrites_leave_string_literals_alone():
    from clinic.db.mysql.sql import refuse_untranslated, translate

    sql = "SELECT 'skip OFFSET 5' AS note, 'x AS TEXT)' FROM t"
    assert translate(sql) == sql
    refuse_untranslated("SELECT a AS text FROM t")  # a column alias, not a cast
    with pytest.raises(UnsupportedQuery):
        translate("INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING")
    with pytest.raises(UnsupportedQuery):
        refuse_untranslated('SELECT * FROM "t" FOR SHARE')


def test_the_no_returning_path_gives_the_same_ids(mysql_url):
    """MySQL 8 has no INSERT ... RETURNING: ids come from lastrowid, row by row."""

    async def work(engine):
        assert engine.use_returning is False
        acme = Supplier(name="Acme")
        await acme.save()
        rows = await Item.insert(*[Item(name=f"n{n}", supplier=acme.id) for n in range(5)])
        stored = await Item.select(Item.id, Item.name).order_by(Item.id)
        try:
            await Item.insert(Item(name="n5"), Item(name="n0"))  # second row collides
        except IntegrityViolation:
            pass
        return acme.id, [row["id"] for row in rows], stored, await Item.count()

    supplier_id, ids, stored, count = with_tables(mysql_url, work, use_returning=False)
    assert supplier_id == 1
    assert ids == [row["id"] for row in stored] == [1, 2, 3, 4, 5]
    assert count == 5  # the failed multi-row insert left nothing behind


def test_mariadb_uses_returning_when_it_has_it(mysql_url):
    async def work(engine):
        return engine.is_mariadb, engine.use_returning, engine.server_version

    is_mariadb, use_returning, version = with_tables(mysql_url, work)
    assert use_returning == (is_mariadb and version >= (10, 5))


def test_strict_mode_refuses_over_long_strings_and_bad_dates(mysql_url):
    async def work(engine):
        failures = []
        for statement in (
            "INSERT INTO engine_item (name, code, price, in_stock, details, notes, quantity) "
            "VALUES ('x', 'much-too-long-code', 0, 0, '{}', '', 0)",
            "INSERT INTO engine_item (name, code, price, in_stock, received_on, details, notes, quantity) "
            "VALUES ('y', '', 0, 0, '2026-02-30', '{}', '', 0)",
            "INSERT INTO engine_item (name, code, price, in_stock, details, notes, quantity) "
            "VALUES ('z', '', 0, 0, '{}', '', 'many')",
        ):
            try:
                await raw(engine, statement)
            except Exception as error:
                failures.append(type(error).__name__)
        session = await raw(engine, "SELECT @@SESSION.sql_mode AS mode, @@SESSION.time_zone AS tz")
        return failures, session[0], await Item.count()

    failures, session, count = with_tables(mysql_url, work)
    assert len(failures) == 3 and count == 0
    assert {"STRICT_ALL_TABLES", "ANSI_QUOTES", "PIPES_AS_CONCAT"} <= set(session["mode"].split(","))
    assert session["tz"] == "+00:00"


def test_the_pool_survives_wait_timeout(mysql_url):
    """The server closes idle connections after wait_timeout; the pool replaces them."""

    async def work(engine):
        await Item.insert(Item(name="before"))
        await raw(engine, "SET SESSION wait_timeout = 1")  # on the connection that goes back to the pool
        await asyncio.sleep(2.5)
        await Item.insert(Item(name="after"))
        return [row["name"] for row in await Item.select(Item.name).order_by(Item.id)]

    assert with_tables(mysql_url, work, pool_min=1, pool_max=1) == ["before", "after"]


async def kill(url: str, connection_ids) -> None:
    killer = engine_for(parse_database_url(url, Path(".")))
    await killer.start_connection_pool()
    try:
        for connection_id in connection_ids:
            await raw(killer, f"KILL CONNECTION {int(connection_id)}")
    finally:
        await killer.close_connection_pool()


def test_the_pool_survives_killed_connections(mysql_url):
    async def work(engine):
        await Item.insert(Item(name="before"))
        await kill(mysql_url, [row["id"] for row in await raw(engine, "SELECT CONNECTION_ID() AS id")])
        survived = await Item.count()  # the dead pooled connection is replaced
        outcome = "no error"
        try:
            async with engine.transaction():
                (victim,) = await raw(engine, "SELECT CONNECTION_ID() AS id")
                await kill(mysql_url, [victim["id"]])
                await Item.insert(Item(name="lost with the connection"))
        except DatabaseUnavailable:
            outcome = "unavailable"  # a clear error, never a hang or a silent success
        await Item.insert(Item(name="after"))
        return survived, outcome, [row["name"] for row in await Item.select(Item.name).order_by(Item.id)]

    survived, outcome, names = with_tables(mysql_url, work, pool_min=1, pool_max=2)
    assert survived == 1 and outcome == "unavailable"
    assert names == ["before", "after"]


def test_ddl_inside_a_transaction_is_refused_on_mysql(mysql_url):
    async def work(engine):
        async with engine.transaction():
            await Item.create_table(if_not_exists=True)

    from piccolo.engine.exceptions import TransactionError

    with pytest.raises(TransactionError, match="silently commit"):
        with_tables(mysql_url, work)


def test_connections_use_utf8mb4_and_tls_settings_from_the_url(mysql_url):
    database = parse_database_url(mysql_url + "?ssl=true&ssl-verify=false", Path("."))
    engine = MySQLEngine(database)
    options = engine.connection_options()
    assert options["charset"] == "utf8mb4" and options["autocommit"] is True
    assert options["ssl"] is not None and options["ssl"].verify_mode.name == "CERT_NONE"
    assert "time_zone = '+00:00'" in options["init_command"] and "SET GLOBAL" not in options["init_command"]
    assert is_mysql(engine)


def test_a_duplicate_inside_a_transaction_fails_fast_with_one_connection(mysql_url):
    """Naming the violated key must not need a second connection (pool of one)."""

    async def work(engine):
        await Item.insert(Item(name="taken"))
        try:
            async with engine.transaction():
                await asyncio.wait_for(Item.insert(Item(name="taken")), 10)
        except IntegrityViolation as violation:
            return violation.kind, violation.involves("name")

    assert with_tables(mysql_url, work, pool_min=1, pool_max=1, use_returning=False) == ("unique", True)


def test_deadlocks_become_a_retryable_write_conflict(mysql_url):
    from clinic.db.errors import WriteConflict

    async def work(engine):
        await Item.insert(Item(name="a"), Item(name="b"))
        both_locked_one = asyncio.Barrier(2)
        outcomes = []

        async def lock(first, second):
            try:
                async with engine.transaction():
                    await for_update(Item.select().where(Item.name == first)).first()
                    await both_locked_one.wait()
                    await for_update(Item.select().where(Item.name == second)).first()
                outcomes.append("committed")
            except WriteConflict:
                outcomes.append("conflict")

        await asyncio.gather(lock("a", "b"), lock("b", "a"))
        return sorted(outcomes)

    assert with_tables(mysql_url, work) == ["committed", "conflict"]


def test_skip_locked_leaves_out_rows_another_transaction_holds(mysql_url):
    """What a job queue's claimers need: take the next free row instead of waiting."""

    async def work(engine):
        await Item.insert(Item(name="a"), Item(name="b"), Item(name="c"))
        held, release = asyncio.Event(), asyncio.Event()

        async def hold(name):
            async with engine.transaction():
                await for_update(Item.select().where(Item.name == name)).first()
                held.set()
                await release.wait()

        holder = asyncio.create_task(hold("a"))
        await held.wait()
        try:
            async with engine.transaction():
                assert can_skip_locked(engine)
                free = await asyncio.wait_for(
                    for_update(Item.select(Item.name).order_by(Item.name), skip_locked=True), 5
                )
        finally:
            release.set()
            await holder
        return [row["name"] for row in free]

    assert with_tables(mysql_url, work) == ["b", "c"]


def test_skip_locked_is_refused_on_a_server_without_it(mysql_url):
    """MariaDB before 10.6 would reject the syntax; the engine says why first."""

    async def work(engine):
        async with engine.transaction():
            known = engine.server_version
            engine.server_version = (10, 5, 22)
            try:
                assert not can_skip_locked(engine)
                with pytest.raises(UnsupportedQuery, match="SKIP LOCKED needs MariaDB 10.6"):
                    for_update(Item.select(), skip_locked=True)
                return await for_update(Item.select(Item.name)).run()  # plain FOR UPDATE still works
            finally:
                engine.server_version = known

    assert with_tables(mysql_url, work) == []


def test_unmapped_errors_keep_the_code_and_drop_the_value(mysql_url):
    from clinic.db.errors import QueryFailed

    async def work(engine):
        try:
            await raw(engine, "INSERT INTO engine_item (name, code, price, in_stock, details, notes, quantity) "
                              "VALUES ('x', '', 0, 0, '[]', '', {})", "Jane Doe")
        except QueryFailed as error:
            return error.code, str(error)

    code, message = with_tables(mysql_url, work)
    assert code == 1366 and "Jane" not in message


def test_batches_refuse_to_run_inside_a_transaction(mysql_url):
    from piccolo.engine.exceptions import TransactionError

    async def work(engine):
        async with engine.transaction():
            async with await Item.select().batch() as batch:
                async for _ in batch:
                    pass

    with pytest.raises(TransactionError):
        with_tables(mysql_url, work)
