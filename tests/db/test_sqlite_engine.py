"""Our SQLite engine under load: one trip to a connection's thread per statement, and still
serialised, durable writes, isolated reads and translated errors.

The engine runs each statement and fetches its rows in one call on the
connection's thread (clinic/db/sqlite.py); these tests hold it to what that
must not change. SQLite only: the same behaviour on both backends is in
test_engine.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from clinic.db import IntegrityViolation
from clinic.db.schema import raw
from tests.db.engine_tables import Item, Supplier, with_tables


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'engine.db'}"


@pytest.fixture
def trips(monkeypatch) -> list[str]:
    """Every call into an aiosqlite connection's thread, by the name of what ran there."""
    calls: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self, function, *args, **kwargs):
        calls.append(getattr(function, "__name__", repr(function)))
        return await original(self, function, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


def test_a_statement_is_one_trip_to_the_connections_thread(url, trips):
    async def work(engine):
        await Item.insert(Item(name="gauze"), Item(name="saline"))
        await Item.select().limit(1)  # the pool now has a connection open
        trips.clear()
        rows = await Item.select(Item.name).order_by(Item.name)
        one_select = len(trips)
        trips.clear()
        async with engine.transaction():
            await Item.update({Item.quantity: 3}).where(Item.name == "gauze")
            await Item.select(Item.quantity).where(Item.name == "gauze")
        return rows, one_select, len(trips)

    rows, one_select, in_transaction = with_tables(url, work)
    assert [row["name"] for row in rows] == ["gauze", "saline"]
    assert one_select == 1
    assert in_transaction == 4  # BEGIN, two statements, COMMIT


def test_every_pooled_connection_is_durable_and_journals_ahead(url):
    async def work(engine):
        async def settings():
            async with engine.transaction():
                mode = await raw(engine, "PRAGMA journal_mode")
                sync = await raw(engine, "PRAGMA synchronous")
                keys = await raw(engine, "PRAGMA foreign_keys")
                await asyncio.sleep(0.05)  # hold the connection so the others open their own
                return mode[0]["journal_mode"], sync[0]["synchronous"], keys[0]["foreign_keys"]

        return await asyncio.gather(*[settings() for _ in range(engine.pool_size)]), engine.pool_size

    found, pool_size = with_tables(url, work)
    assert found == [("wal", 2, 1)] * pool_size  # synchronous 2 is FULL


def test_a_committed_write_is_on_disk_for_another_process_at_once(url, tmp_path):
    async def work(engine):
        async with engine.transaction():
            await Item.insert(Item(name="splint"))
        # A separate plain connection, as another process would open it.
        with sqlite3.connect(tmp_path / "engine.db") as other:
            return other.execute("SELECT name FROM engine_item").fetchall()

    assert with_tables(url, work) == [("splint",)]


def test_readers_do_not_wait_for_a_writer_and_never_see_its_uncommitted_rows(url):
    async def work(engine):
        await Item.insert(Item(name="before"))
        writing = asyncio.Event()
        finish = asyncio.Event()

        async def writer():
            async with engine.transaction():
                await Item.insert(Item(name="uncommitted"))
                writing.set()
                await finish.wait()

        task = asyncio.create_task(writer())
        await writing.wait()
        seen = await asyncio.wait_for(asyncio.gather(*[Item.select(Item.name) for _ in range(6)]), timeout=2)
        finish.set()
        await task
        return [sorted(row["name"] for row in rows) for rows in seen], await Item.count()

    seen, total = with_tables(url, work)
    assert seen == [["before"]] * 6
    assert total == 2


def test_concurrent_writers_take_turns_and_lose_nothing(url):
    async def work(engine):
        await Supplier.insert(Supplier(name="Acme"))

        async def add(n: int):
            async with engine.transaction():
                count = await Item.count()
                await Item.insert(Item(name=f"item {n:02d}", quantity=count))

        await asyncio.gather(*[add(n) for n in range(30)], *[Item.select() for _ in range(30)])
        return await Item.select(Item.quantity).order_by(Item.quantity)

    rows = with_tables(url, work)
    # Serialised: each writer saw every earlier one's row, so the counts run 0..29 without a repeat.
    assert [row["quantity"] for row in rows] == list(range(30))


def test_the_pool_lends_no_more_connections_than_it_has(url):
    async def work(engine):
        await Item.insert(*[Item(name=f"item {n}") for n in range(5)])
        results = await asyncio.gather(*[Item.select(Item.name) for _ in range(40)])
        return [len(rows) for rows in results], len(engine._idle), engine.pool_size

    sizes, idle, pool_size = with_tables(url, work)
    assert sizes == [5] * 40
    assert 1 <= idle <= pool_size


def test_errors_are_translated_and_the_connection_stays_usable(url):
    async def work(engine):
        await Item.insert(Item(name="gauze"))
        with pytest.raises(IntegrityViolation) as unique:
            await Item.insert(Item(name="gauze"))
        with pytest.raises(IntegrityViolation) as foreign_key:
            await Item.insert(Item(name="orphan", supplier=999))
        with pytest.raises(sqlite3.OperationalError):
            await raw(engine, "SELECT no_such_column FROM engine_item")
        with pytest.raises(IntegrityViolation):
            async with engine.transaction():
                await Item.insert(Item(name="rolled back"))
                await Item.insert(Item(name="gauze"))
        return unique.value, foreign_key.value, await Item.select(Item.name)

    unique, foreign_key, rows = with_tables(url, work)
    assert (unique.kind, unique.table, unique.columns) == (IntegrityViolation.UNIQUE, "engine_item", ("name",))
    assert foreign_key.kind == IntegrityViolation.FOREIGN_KEY
    assert "gauze" not in str(unique)  # no value from the row in the message
    assert [row["name"] for row in rows] == ["gauze"]


def test_a_query_cancelled_mid_flight_leaves_the_pool_working(url):
    async def work(engine):
        await Item.insert(*[Item(name=f"item {n}") for n in range(200)])
        slow = "SELECT COUNT(*) AS n FROM engine_item a, engine_item b, engine_item c"
        task = asyncio.create_task(raw(engine, slow))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        counts = await asyncio.gather(*[Item.count() for _ in range(8)])
        async with engine.transaction():
            await Item.insert(Item(name="after"))
        return counts, await Item.count()

    counts, total = with_tables(url, work)
    assert counts == [200] * 8
    assert total == 201


def test_rows_come_back_as_dictionaries_with_their_types(url):
    async def work(engine):
        await Item.insert(Item(name="gauze", quantity=7))
        return await raw(engine, "SELECT name, quantity FROM engine_item")

    assert with_tables(url, work) == [{"name": "gauze", "quantity": 7}]


def test_the_file_must_exist_unless_the_engine_may_create_it(tmp_path):
    from clinic.db import DatabaseUnavailable, engine_for
    from clinic.db.urls import parse_database_url
    from tests.conftest import run_async

    async def work():
        engine = engine_for(parse_database_url(f"sqlite:///{tmp_path / 'missing.db'}", Path(".")))
        await engine.start_connection_pool()
        try:
            await raw(engine, "SELECT 1 AS one")
        finally:
            await engine.close_connection_pool()

    with pytest.raises(DatabaseUnavailable):
        run_async(work)
