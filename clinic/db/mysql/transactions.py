"""Transactions, savepoints, atomic blocks and streamed batches on one MySQL connection."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from piccolo.engine.base import BaseAtomic, BaseBatch, BaseTransaction, validate_savepoint_name
from piccolo.engine.exceptions import TransactionError
from piccolo.query.base import DDL, Query
from piccolo.utils.sync import run_sync

from clinic.db.counting import count_statement, count_transaction
from clinic.db.errors import DatabaseUnavailable
from clinic.db.mysql.values import QuietStreamingCursor, decode_rows
from clinic.db.sqlite import check_open

if TYPE_CHECKING:  # pragma: no cover
    from clinic.db.mysql.engine import MySQLEngine


@dataclass
class Savepoint:
    name: str
    transaction: "MySQLTransaction"

    async def rollback_to(self) -> None:
        validate_savepoint_name(self.name)
        await self.transaction.execute(f'ROLLBACK TO SAVEPOINT "{self.name}"')

    async def release(self) -> None:
        validate_savepoint_name(self.name)
        await self.transaction.execute(f'RELEASE SAVEPOINT "{self.name}"')


class MySQLTransaction(BaseTransaction):
    __slots__ = ("engine", "connection", "context", "finished", "statement_lock", "_savepoint_id", "_parent",
                 "_committed", "_rolled_back")

    def __init__(self, engine: "MySQLEngine", allow_nested: bool = True):
        self.engine = engine
        self._savepoint_id = 0
        self._parent = None
        self._committed = False
        self._rolled_back = False
        current = engine.current_transaction.get()
        if current:
            if not allow_nested:
                raise TransactionError("A transaction is already active - nested transactions aren't allowed.")
            self._parent = current

    async def __aenter__(self) -> "MySQLTransaction":
        if self._parent is not None:
            check_open(self._parent)
            return self._parent
        self.connection = await self.engine.acquire()
        try:
            async with self.engine.translated_errors(None):
                await self.connection.begin()
        except BaseException:
            await self.engine.release(self.connection, broken=True)
            raise
        self.finished = False
        # Tasks started inside the transaction share it (context variables are
        # inherited): their statements take turns instead of interleaving on
        # one MySQL connection, which would corrupt the protocol.
        self.statement_lock = asyncio.Lock()
        self.context = self.engine.current_transaction.set(self)
        count_transaction()
        return self

    async def execute(self, sql: str) -> None:
        async with self.statement_lock, self.engine.translated_errors(None):
            async with self.connection.cursor() as cursor:
                await cursor.execute(sql)

    async def commit(self) -> None:
        async with self.statement_lock, self.engine.translated_errors(None):
            await self.connection.commit()
        self._committed = True

    async def rollback(self) -> None:
        async with self.statement_lock, self.engine.translated_errors(None):
            await self.connection.rollback()
        self._rolled_back = True

    async def rollback_to(self, savepoint_name: str) -> None:
        await Savepoint(savepoint_name, self).rollback_to()

    def get_savepoint_id(self) -> int:
        self._savepoint_id += 1
        return self._savepoint_id

    async def savepoint(self, name: str | None = None) -> Savepoint:
        name = name or f"savepoint_{self.get_savepoint_id()}"
        validate_savepoint_name(name)
        await self.execute(f'SAVEPOINT "{name}"')
        return Savepoint(name, self)

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        broken = False
        try:
            if isinstance(exception, asyncio.CancelledError):
                # Cancelled mid-statement (a request timeout): closing the connection rolls the
                # transaction back on the server; a ROLLBACK sent after half a reply would not.
                broken = True
            elif exception:
                if not self._rolled_back:
                    try:
                        await self.rollback()
                    except DatabaseUnavailable:
                        broken = True  # the connection is gone; so is the transaction
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            broken = True
            raise
        finally:
            self.finished = True
            await self.engine.release(self.connection, broken=broken or self.connection.closed)
            self.engine.current_transaction.reset(self.context)
        return exception is None


class Atomic(BaseAtomic):
    __slots__ = ("engine", "queries")

    def __init__(self, engine: "MySQLEngine"):
        self.engine = engine
        self.queries: list[Query | DDL] = []

    def add(self, *query: Query | DDL) -> None:
        self.queries += list(query)

    async def run(self) -> None:
        try:
            async with self.engine.transaction():
                for query in self.queries:
                    await query.run()
        finally:
            self.queries = []

    def run_sync(self):
        return run_sync(self.run())

    def __await__(self):
        return self.run().__await__()


@dataclass
class AsyncBatch(BaseBatch):
    """Rows streamed from an unbuffered cursor on a connection of its own."""

    engine: "MySQLEngine"
    query: Query
    batch_size: int
    connection: Any = None
    cursor: Any = None

    async def __aenter__(self) -> "AsyncBatch":
        if self.engine.current_transaction.get() is not None:
            # Its own connection would not see the transaction's writes.
            raise TransactionError("batch() cannot run inside a transaction on MySQL")
        sql, args = self.engine.prepare(self.query.querystrings[0])
        self.connection = await self.engine.new_connection()
        try:
            self.cursor = await self.connection.cursor(QuietStreamingCursor)
            count_statement(sql, args)
            async with self.engine.translated_errors(None):
                await self.cursor.execute(sql, args or None)
        except BaseException:
            self.connection.close()
            raise
        return self

    async def __aexit__(self, exception_type, exception, traceback):
        try:
            await self.cursor.close()
        finally:
            self.connection.close()
        return False

    def __aiter__(self) -> "AsyncBatch":
        return self

    async def __anext__(self) -> list[dict]:
        rows = await self.cursor.fetchmany(self.batch_size)
        if not rows:
            raise StopAsyncIteration()
        return await self.query._process_results(decode_rows(self.cursor.description, rows))
