"""Our database engines: the same behaviour on SQLite and MySQL/MariaDB.

Every test here runs on both backends with the same assertions (but one about
SQLite's own lock); what only a server can do is in test_mysql_engine.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clinic.db import IntegrityViolation, engine_for
from clinic.db.schema import raw
from clinic.db.transactions import for_update
from clinic.db.urls import parse_database_url
from tests.conftest import side_database_url
from tests.db.engine_tables import Item, Supplier, with_tables

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def engine_url(backend, tmp_path_factory) -> str:
    return side_database_url(backend, tmp_path_factory.mktemp("engine"), "engine")


# -- the same on both backends ---------------------------------------------------


def test_insert_returns_new_ids_and_select_reads_them_back(engine_url):
    async def work(engine):
        acme = Supplier(name="Acme Medical")
        await acme.save()
        rows = await Item.insert(
            Item(name="gauze", supplier=acme.id, price=Decimal("3.50")),
            Item(name="saline", supplier=acme.id, price=Decimal("12.25")),
            Item(name="splint", price=Decimal("40.00")),
        )
        ids = [row["id"] for row in rows]
        stored = await Item.select(Item.id, Item.name, Item.price).order_by(Item.id)
        return acme.id, ids, stored

    supplier_id, ids, stored = with_tables(engine_url, work)
    assert supplier_id == 1
    assert ids == [1, 2, 3] == [row["id"] for row in stored]
    assert [(row["name"], row["price"]) for row in stored] == [
        ("gauze", Decimal("3.50")), ("saline", Decimal("12.25")), ("splint", Decimal("40.00"))]


def test_joins_ordering_paging_counts_and_exists_agree(engine_url):
    async def work(engine):
        suppliers = [Supplier(name=name) for name in ("Beta", "Alpha")]
        await Supplier.insert(*suppliers)
        await Item.insert(*[Item(name=f"item {n:02d}", supplier=suppliers[n % 2].id, quantity=n) for n in range(12)])
        joined = await (
            Item.select(Item.name, Item.supplier.name.as_alias("supplier_name"))
            .where(Item.supplier.name == "Alpha")
            .order_by(Item.quantity, ascending=False)
            .limit(3)
            .offset(1)
        )
        nested = await Item.select(Item.name, Item.supplier.all_columns()).where(Item.name == "item 03").output(nested=True).first()
        return (
            joined,
            nested,
            await Item.count(),
            await Item.count().where(Item.quantity >= 10),
            await Item.exists().where(Item.name == "item 05"),
            await Item.exists().where(Item.name == "nothing"),
            await Item.select(Item.name).order_by(Item.name).offset(10).limit(5),
        )

    joined, nested, total, big, present, absent, tail = with_tables(engine_url, work)
    assert [row["name"] for row in joined] == ["item 09", "item 07", "item 05"]
    assert {row["supplier_name"] for row in joined} == {"Alpha"}
    assert nested["supplier"]["name"] == "Alpha"
    assert (total, big, present, absent) == (12, 2, True, False)
    assert [row["name"] for row in tail] == ["item 10", "item 11"]


def test_updates_deletes_and_objects_agree(engine_url):
    async def work(engine):
        await Item.insert(Item(name="gloves", quantity=5), Item(name="masks", quantity=1))
        await Item.update({Item.quantity: Item.quantity + 10, Item.in_stock: True}).where(Item.name == "gloves")
        await Item.delete().where(Item.name == "masks")
        gloves = await Item.objects().get(Item.name == "gloves")
        gloves.notes = "box of 100"
        await gloves.save()
        again = await Item.objects().where(Item.id == gloves.id).first()
        created = await Item.objects().get_or_create(Item.name == "tape", defaults={Item.quantity: 2})
        return again, created, await Item.select(Item.name).order_by(Item.name)

    gloves, tape, names = with_tables(engine_url, work)
    assert (gloves.quantity, gloves.in_stock, gloves.notes) == (15, True, "box of 100")
    assert tape.quantity == 2 and tape.id is not None
    assert [row["name"] for row in names] == ["gloves", "tape"]


def test_raw_queries_keep_parameters_and_literal_percent_signs(engine_url):
    async def work(engine):
        await Item.insert(Item(name="100% cotton"), Item(name="50% off"), Item(name="cotton"))
        # Raw SQL avoids backslashes: MySQL reads them as escapes inside literals.
        literal = await Item.raw("SELECT name FROM engine_item WHERE name LIKE '%!% cotton' ESCAPE '!' AND id > {}", 0)
        parameter = await Item.raw("SELECT name FROM engine_item WHERE name LIKE {} ESCAPE '!' ORDER BY name", "%!%%")
        injection = await Item.select(Item.name).where(Item.name == "x' OR '1'='1")
        like = await Item.select(Item.name).where(Item.name.like("%cot%")).order_by(Item.name)
        return literal, parameter, injection, like

    literal, parameter, injection, like = with_tables(engine_url, work)
    assert [row["name"] for row in literal] == ["100% cotton"]
    assert [row["name"] for row in parameter] == ["100% cotton", "50% off"]
    assert injection == []
    assert [row["name"] for row in like] == ["100% cotton", "cotton"]


def test_values_round_trip_with_their_types(engine_url):
    moment = dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Berlin"))  # +01:00, DST day

    async def work(engine):
        await Item.insert(
            Item(name="Zoë 🩺 Müller", price=Decimal("12345678.91"), in_stock=True, received_on=dt.date(2026, 2, 28),
                 checked_at=moment, opens_at=dt.time(9, 30), details='{"lot": "A-17", "cold": true}',
                 notes="line1\nline2 — ü"),
        )
        return await Item.select().first()

    row = with_tables(engine_url, work)
    assert row["name"] == "Zoë 🩺 Müller"
    assert row["price"] == Decimal("12345678.91") and isinstance(row["price"], Decimal)
    assert row["in_stock"] is True
    assert row["received_on"] == dt.date(2026, 2, 28)
    assert row["checked_at"] == moment and row["checked_at"].tzinfo is not None
    assert row["checked_at"].utcoffset() == dt.timedelta(0)  # stored and returned in UTC
    assert row["checked_at"].microsecond == 123456
    assert row["opens_at"] == dt.time(9, 30)  # a time of day on both (PyMySQL would give a timedelta)
    assert row["notes"] == "line1\nline2 — ü"
    import json

    assert json.loads(row["details"]) == {"lot": "A-17", "cold": True}


def test_timestamps_compare_in_utc_across_offsets(engine_url):
    async def work(engine):
        base = dt.datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
        await Item.insert(*[Item(name=f"t{n}", checked_at=base + dt.timedelta(minutes=n)) for n in range(5)])
        new_york = base.astimezone(ZoneInfo("America/New_York")) + dt.timedelta(minutes=2)  # 10:02-05:00
        return await Item.select(Item.name).where(Item.checked_at >= new_york).order_by(Item.checked_at)

    assert [row["name"] for row in with_tables(engine_url, work)] == ["t2", "t3", "t4"]


def test_transactions_commit_roll_back_and_nest_with_savepoints(engine_url):
    async def work(engine):
        async with engine.transaction():
            await Item.insert(Item(name="committed"))
        try:
            async with engine.transaction():
                await Item.insert(Item(name="rolled back"))
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        async with engine.transaction() as transaction:
            await Item.insert(Item(name="outer"))
            async with engine.transaction():  # nested: joins the outer one
                await Item.insert(Item(name="joined"))
            savepoint = await transaction.savepoint()
            await Item.insert(Item(name="undone by savepoint"))
            await savepoint.rollback_to()
            second = await transaction.savepoint("keep_me")
            await Item.insert(Item(name="kept"))
            await second.release()
        outside = engine.current_transaction.get()
        return [row["name"] for row in await Item.select(Item.name).order_by(Item.id)], outside

    names, outside = with_tables(engine_url, work)
    assert names == ["committed", "outer", "joined", "kept"]
    assert outside is None


def test_writes_outside_a_transaction_are_committed_at_once(engine_url):
    """aiomysql's default (autocommit off) would leave this write uncommitted and lose it."""

    async def work(engine):
        await Item.insert(Item(name="durable"))
        # A brand-new engine (new connections) must see it.
        other = engine_for(parse_database_url(engine_url, Path(".")))
        await other.start_connection_pool()
        try:
            rows = await raw(other, "SELECT name FROM engine_item")
        finally:
            await other.close_connection_pool()
        return rows

    assert with_tables(engine_url, work) == [{"name": "durable"}]


def test_unique_and_foreign_key_violations_raise_one_exception_type(engine_url):
    async def work(engine):
        await Item.insert(Item(name="unique name"))
        caught = []
        for attempt in (
            lambda: Item.insert(Item(name="unique name")),
            lambda: Item.insert(Item(name="orphan", supplier=999)),
        ):
            try:
                await attempt()
            except IntegrityViolation as error:
                caught.append(error)
        acme = Supplier(name="Acme")
        await acme.save()
        await Item.insert(Item(name="child", supplier=acme.id))
        try:
            await Supplier.delete().where(Supplier.id == acme.id)
        except IntegrityViolation as error:
            caught.append(error)
        return caught

    unique, orphan, parent = with_tables(engine_url, work)
    assert unique.kind == IntegrityViolation.UNIQUE and unique.involves("name") and unique.table == "engine_item"
    assert "unique name" not in str(unique)  # the offending value (maybe PHI) is never in the message
    assert orphan.kind == IntegrityViolation.FOREIGN_KEY
    assert parent.kind == IntegrityViolation.FOREIGN_KEY


def test_comparisons_are_exact_on_both_backends(engine_url):
    """Decided on purpose: '=' and ORDER BY are binary and no-pad everywhere.

    MySQL's default collations would make 'Cafe' = 'café' and 'a ' = 'a' true;
    SQLite would not. Case-insensitive search goes through normalised columns.
    """

    async def work(engine):
        await Item.insert(*[Item(name=name) for name in ("café", "Cafe", "cafe ", "B", "a")])

        async def names(condition):
            return sorted(row["name"] for row in await Item.select(Item.name).where(condition))

        return (
            await names(Item.name == "cafe"),
            await names(Item.name == "café"),
            await names(Item.name == "Cafe"),
            await names(Item.name == "cafe "),
            [row["name"] for row in await Item.select(Item.name).order_by(Item.name)],
            sorted(row["name"] for row in await Item.select(Item.name).where(Item.name.ilike("caf%"))),
        )

    plain, accented, upper, padded, ordered, insensitive = with_tables(engine_url, work)
    assert plain == [] and accented == ["café"] and upper == ["Cafe"] and padded == ["cafe "]
    assert ordered == ["B", "Cafe", "a", "cafe ", "café"]
    assert insensitive == ["Cafe", "cafe ", "café"]


def test_row_locks_serialise_writers(engine_url):
    """for_update(): the second transaction waits until the first commits."""

    async def work(engine):
        await Item.insert(Item(name="counter", quantity=0))
        order = []

        async def bump(label, hold):
            async with engine.transaction():
                row = await for_update(Item.select(Item.quantity).where(Item.name == "counter")).first()
                order.append(f"{label} locked")
                await asyncio.sleep(hold)
                await Item.update({Item.quantity: row["quantity"] + 1}).where(Item.name == "counter")
                order.append(f"{label} done")

        first = asyncio.create_task(bump("first", 0.3))
        await asyncio.sleep(0.05)
        await asyncio.gather(first, bump("second", 0))
        return order, await Item.select(Item.quantity).first()

    order, counter = with_tables(engine_url, work)
    assert order == ["first locked", "first done", "second locked", "second done"]
    assert counter["quantity"] == 2


def test_twenty_concurrent_transactions_stay_isolated(engine_url):
    async def work(engine):
        await Item.insert(Item(name="counter", quantity=0))

        async def one(n):
            try:
                async with engine.transaction():
                    await Item.insert(*[Item(name=f"t{n}-{k}", code=f"t{n}") for k in range(3)])
                    mine = await Item.count().where(Item.code == f"t{n}")
                    row = await for_update(Item.select(Item.quantity).where(Item.name == "counter")).first()
                    await Item.update({Item.quantity: row["quantity"] + 1}).where(Item.name == "counter")
                    if n % 4 == 0:
                        raise RuntimeError("abandon")
                    return mine
            except RuntimeError:
                return "rolled back"

        results = await asyncio.gather(*[one(n) for n in range(20)])
        counter = await Item.select(Item.quantity).where(Item.name == "counter").first()
        return results, counter["quantity"], await Item.count().where(Item.name != "counter")

    results, counter, stored = with_tables(engine_url, work)
    assert results.count("rolled back") == 5 and all(r == 3 for r in results if r != "rolled back")
    assert counter == 15 and stored == 45


def test_batches_stream_rows(engine_url):
    async def work(engine):
        await Item.insert(*[Item(name=f"row {n:03d}") for n in range(250)])
        seen = []
        async with await Item.select(Item.name).order_by(Item.name).batch(batch_size=100) as batch:
            async for rows in batch:
                seen.append(len(rows))
        return seen

    assert with_tables(engine_url, work) == [100, 100, 50]


def test_ddl_is_idempotent_and_table_exists_looks_at_this_database(engine_url):
    async def work(engine):
        await Item.create_table(if_not_exists=True)
        return await Item.table_exists(), await Supplier.table_exists()

    assert with_tables(engine_url, work) == (True, True)


# -- failure paths found in review -------------------------------------------------


def test_tasks_started_inside_a_transaction_take_turns_on_its_connection(engine_url):
    """Tasks inherit the transaction (a context variable): they must not interleave on it."""

    async def work(engine):
        async with engine.transaction():
            await Item.insert(Item(name="inside"))
            counts = await asyncio.gather(*[Item.count().run() for _ in range(5)],
                                          asyncio.wait_for(Item.count().run(), 5))
        leftover = []

        async def outlive():
            await asyncio.sleep(0.2)
            try:
                await Item.count()
            except RuntimeError as error:
                leftover.append(str(error))

        async with engine.transaction():
            task = asyncio.create_task(outlive())
        await task
        return counts, leftover

    counts, leftover = with_tables(engine_url, work)
    assert counts == [1] * 6
    assert leftover == ["this transaction has already ended (a task outlived it)"]


def test_batches_do_not_swallow_errors(engine_url):
    async def work(engine):
        await Item.insert(*[Item(name=f"row {n}") for n in range(5)])
        try:
            async with await Item.select(Item.name).batch(batch_size=2) as batch:
                async for _ in batch:
                    raise ValueError("stop")
        except ValueError:
            return "raised"
        return "swallowed"

    assert with_tables(engine_url, work) == "raised"


def test_sqlite_a_transaction_cancelled_while_waiting_for_the_lock_loses_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'cancel.db'}"

    async def work(engine):
        holder_ready = asyncio.Event()

        async def hold_the_write_lock():
            async with engine.transaction():
                await Item.insert(Item(name="holder"))
                holder_ready.set()
                await asyncio.sleep(0.6)

        async def wait_then_get_cancelled():
            async with engine.transaction():
                await Item.insert(Item(name="never"))

        holder = asyncio.create_task(hold_the_write_lock())
        await holder_ready.wait()
        waiter = asyncio.create_task(wait_then_get_cancelled())
        await asyncio.sleep(0.1)
        waiter.cancel()
        await asyncio.gather(holder, waiter, return_exceptions=True)
        await Item.insert(Item(name="after"))
        other = engine_for(parse_database_url(url, Path(".")))
        await other.start_connection_pool()
        try:
            return sorted(row["name"] for row in await raw(other, "SELECT name FROM engine_item"))
        finally:
            await other.close_connection_pool()

    assert with_tables(url, work) == ["after", "holder"]

