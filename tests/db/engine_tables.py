"""Two small tables of our own for the engine tests, created fresh for each test."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from piccolo.columns import JSON, Boolean, Date, ForeignKey, Integer, Numeric, Text, Time, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from clinic.db import engine_for
from clinic.db.urls import parse_database_url
from tests.conftest import run_async


class Supplier(Table, tablename="engine_supplier"):
    name = Varchar(length=60, unique=True)
    active = Boolean(default=True)


class Item(Table, tablename="engine_item"):
    name = Varchar(length=40, unique=True)
    code = Varchar(length=10, default="", index=True)
    supplier = ForeignKey(Supplier, on_delete=OnDelete.restrict, null=True)
    price = Numeric(digits=(10, 2), default=Decimal("0"))
    in_stock = Boolean(default=False)
    received_on = Date(null=True, default=None)
    checked_at = Timestamptz(null=True, default=None)
    opens_at = Time(null=True, default=None)
    details = JSON(default="{}")
    notes = Text(default="")
    quantity = Integer(default=0)


TABLES = [Supplier, Item]


def with_tables(url: str, work, **engine_options):
    """Run ``work(engine)`` on fresh test tables, on a loop of its own."""

    async def run():
        engine = engine_for(parse_database_url(url, Path(".")), create=True, **engine_options)
        await engine.start_connection_pool()
        try:
            for table in TABLES:
                table._meta.db = engine
            for table in reversed(TABLES):  # children first: MySQL ignores CASCADE
                await table.alter().drop_table(if_exists=True)
            for table in TABLES:
                await table.create_table()
            return await work(engine)
        finally:
            await engine.close_connection_pool()

    return run_async(run)
