"""SQLite, the embedded default: Piccolo's engine with a small connection pool.

Piccolo's SQLiteEngine opens (and closes) a connection for every query run
outside a transaction: about a millisecond each and memory that climbs under
load. This engine keeps a few connections open and lends them out:

- every connection is opened with WAL journaling, ``synchronous=FULL`` (an
  acknowledged write survives a crash), foreign keys on and a busy timeout;
- a connection is lent to one query or one transaction at a time, and comes
  back only if it is not left inside a transaction (otherwise it is closed);
- transactions begin IMMEDIATE: they take SQLite's single write lock at the
  start, so two writers queue on the busy timeout instead of failing when a
  read lock cannot be upgraded ("database is locked").

- the database file is this user's alone (0600): created so, before SQLite
  opens it, since SQLite gives its ``-wal`` and ``-shm`` files the database
  file's permissions; files left wider by an earlier version are tightened
  (with a warning) when the engine first opens them;
- the file is opened read-write but never created, except by ``clinic migrate``:
  a missing file means a lost volume or a botched restore, not "start an empty
  clinic"; and before a connection is lent, the file at the configured path
  must still be the one it has open, otherwise it is closed (its writes would
  go to a deleted file) and a fresh one opened.

Outside a started pool (the command line before the app runs) it falls back to
one connection per query, as Piccolo does.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
import warnings
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiosqlite
from piccolo.engine.exceptions import TransactionError
from piccolo.engine.sqlite import (
    AsyncBatch,
    Atomic,
    SQLiteEngine,
    SQLiteTransaction,
    TransactionType,
    dict_factory,
)
from piccolo.querystring import QueryString

from clinic.db.counting import count_statement, count_transaction
from clinic.db.errors import (
    AppendOnlyViolation,
    DatabaseUnavailable,
    IntegrityViolation,
)

# Piccolo warns on every ILIKE that SQLite has none and uses LIKE, which on
# SQLite already ignores (ASCII) case: exactly what ILIKE asks. Say it once here.
warnings.filterwarnings("ignore", message=".*SQLite doesn't support ILIKE")

PRIVATE_FILE = 0o600
# The database and the files SQLite keeps beside it while it is open.
SIDE_FILES = ("", "-wal", "-shm", "-journal")

UNAVAILABLE_MESSAGES = (
    "database is locked",
    "unable to open database",
    "disk i/o error",
    "database disk image is malformed",
    "attempt to write a readonly database",
)


def translate_sqlite_error(error: sqlite3.Error) -> Exception:
    """Map a driver error to one of ours; unknown errors pass through."""
    message = str(error)
    lowered = message.lower()
    if isinstance(error, sqlite3.IntegrityError):
        if "append-only" in lowered:
            return AppendOnlyViolation(message)
        for prefix, kind in (
            ("UNIQUE constraint failed: ", IntegrityViolation.UNIQUE),
            ("NOT NULL constraint failed: ", IntegrityViolation.NOT_NULL),
            ("CHECK constraint failed: ", IntegrityViolation.CHECK),
        ):
            if message.startswith(prefix):
                return _violation(kind, message[len(prefix):])
        if "FOREIGN KEY constraint failed" in message:
            return IntegrityViolation(IntegrityViolation.FOREIGN_KEY)
        return IntegrityViolation(IntegrityViolation.CHECK, constraint=message[:80])
    if isinstance(error, sqlite3.OperationalError) and any(m in lowered for m in UNAVAILABLE_MESSAGES):
        return DatabaseUnavailable(f"SQLite: {message}")
    return error


def _violation(kind: str, detail: str) -> IntegrityViolation:
    # detail looks like "staff.email, staff.tenant" or a CHECK constraint name
    columns = [part.strip() for part in detail.split(",") if part.strip()]
    if kind != IntegrityViolation.CHECK and columns and "." in columns[0]:
        table = columns[0].split(".", 1)[0]
        return IntegrityViolation(kind, table=table, columns=tuple(c.split(".", 1)[1] for c in columns))
    return IntegrityViolation(kind, constraint=detail)


@asynccontextmanager
async def translated_errors():
    try:
        yield
    except sqlite3.Error as error:
        translated = translate_sqlite_error(error)
        if translated is error:
            raise
        raise translated from None


class ClinicSQLiteBatch(AsyncBatch):
    """Piccolo's batch, but an exception raised in the ``async with`` block propagates."""

    async def __aexit__(self, exception_type, exception, traceback):
        await super().__aexit__(exception_type, exception, traceback)
        return False


class PooledSQLiteTransaction(SQLiteTransaction):
    """Piccolo's transaction, on a pooled connection that is lent, not closed."""

    __slots__ = ("finished",)

    async def __aenter__(self) -> "PooledSQLiteTransaction":
        if self._parent is not None:
            check_open(self._parent)
            return self._parent
        self.connection = await self.engine.acquire()
        try:
            async with translated_errors():
                await self.begin()
        except BaseException:
            # Cancelled while BEGIN waited for the lock, aiosqlite may still
            # run it later: never hand this connection out again.
            await self.engine.release(self.connection, broken=True)
            raise
        self.finished = False
        self.context = self.engine.current_transaction.set(self)
        count_transaction()
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        broken = False
        try:
            async with translated_errors():
                if exception:
                    if not self._rolled_back:
                        await self.rollback()
                elif not self._committed and not self._rolled_back:
                    await self.commit()
        except BaseException:
            broken = True
            raise
        finally:
            self.finished = True
            await self.engine.release(self.connection, broken=broken)
            self.engine.current_transaction.reset(self.context)
        return exception is None


def check_open(transaction) -> None:
    """Refuse to use a transaction that has already ended.

    Tasks inherit context variables: a task started inside a transaction that
    outlives it would otherwise go on using a connection back in the pool.
    """
    if getattr(transaction, "finished", False):
        raise RuntimeError("this transaction has already ended (a task outlived it)")


class ClinicSQLiteEngine(SQLiteEngine):
    __slots__ = ("file", "create", "pool_size", "busy_timeout_ms", "_idle", "_slots", "_pool_open", "_opened_file",
                 "_permits", "_files_private")

    def __init__(self, path: str, *, pool_size: int = 4, busy_timeout_ms: int = 5000, create: bool = False,
                 log_queries: bool = False):
        self.file = Path(path)
        self.create = create
        self.pool_size = pool_size
        self.busy_timeout_ms = busy_timeout_ms
        self._idle: list[aiosqlite.Connection] = []
        self._slots: asyncio.Semaphore | None = None
        self._pool_open = False
        # Which file (device, inode) each open connection is on.
        self._opened_file: dict[int, tuple[int, int]] = {}
        # Connections lent out against a pool permit (released with them).
        self._permits: set[int] = set()
        self._files_private = False
        mode = "rwc" if create else "rw"
        super().__init__(
            path=f"file:{quote(str(self.file.absolute()))}?mode={mode}",
            uri=True,
            log_queries=log_queries,
            timeout=busy_timeout_ms / 1000,
        )

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            status = os.stat(self.file)
        except FileNotFoundError:
            return None
        return status.st_dev, status.st_ino

    async def check_version(self):
        # Piccolo calls this from __init__ through run_sync; nothing to check
        # that the pragma set-up below would not reveal anyway.
        return None

    # -- connections ---------------------------------------------------------

    def _keep_files_private(self) -> None:
        """Create the database file 0600 (SQLite would make it 0644), and tighten ours if wider."""
        if self._files_private:
            return
        if self.create:
            try:
                os.close(os.open(self.file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
            except FileExistsError:
                pass
            except OSError:
                return  # SQLite reports what is wrong when it tries
        for suffix in SIDE_FILES:
            path = Path(f"{self.file}{suffix}")
            try:
                mode = stat.S_IMODE(path.stat().st_mode)
                if mode & 0o077:
                    path.chmod(PRIVATE_FILE)
                    logging.getLogger("clinic").warning(
                        "%s could be read by other users of this machine (mode %o); it is now 600", path.name, mode)
            except FileNotFoundError:
                continue
            except OSError:
                return  # not ours to change (another owner): SQLite still works
        self._files_private = True

    async def get_connection(self) -> aiosqlite.Connection:
        self._keep_files_private()
        try:
            connection = await aiosqlite.connect(**self.connection_kwargs)
        except sqlite3.Error as error:
            raise translate_sqlite_error(error) from None
        identity = self._file_identity()
        if identity:
            self._opened_file[id(connection)] = identity
        connection.row_factory = dict_factory  # type: ignore[assignment]
        try:
            async with translated_errors():
                await connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
                await self._use_wal(connection)
                await connection.execute("PRAGMA synchronous = FULL")
                await connection.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            await connection.close()
            raise
        return connection

    async def _use_wal(self, connection: aiosqlite.Connection) -> None:
        """Switching a new database to WAL needs it to itself, and SQLite does not
        wait for that (no busy handler): while another connection is writing the
        first migration, try again for as long as a writer would wait."""
        deadline = asyncio.get_running_loop().time() + self.busy_timeout_ms / 1000
        while True:
            try:
                await connection.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error).lower() or asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.05)

    async def start_connection_pool(self, **_: Any) -> None:
        self._slots = asyncio.Semaphore(self.pool_size)
        self._idle = []
        self._pool_open = True

    def pool_use(self) -> dict[str, int]:
        """Connections lent out, idle and allowed (for /metrics)."""
        free = self._slots._value if self._slots is not None else self.pool_size
        return {"in_use": self.pool_size - free, "idle": len(self._idle), "max": self.pool_size}

    async def close_connection_pool(self) -> None:
        self._pool_open = False
        await self._close_idle()

    async def _close_idle(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await self._close(connection)

    async def _close(self, connection: aiosqlite.Connection) -> None:
        self._opened_file.pop(id(connection), None)
        try:
            await connection.close()
        except sqlite3.Error:
            pass

    async def acquire(self) -> aiosqlite.Connection:
        if not self._pool_open:
            return await self.get_connection()
        assert self._slots is not None
        slots = self._slots
        await slots.acquire()
        try:
            identity = self._file_identity()
            if identity is None and not self.create:
                await self._close_idle()
                raise DatabaseUnavailable(
                    f"SQLite: the database file {self.file} is missing (`clinic migrate` creates a new one)"
                )
            connection = None
            while self._idle and connection is None:
                candidate = self._idle.pop()
                if self._opened_file.get(id(candidate)) == identity:
                    connection = candidate
                else:
                    await self._close(candidate)  # on a file that was replaced
            connection = connection or await self.get_connection()
        except BaseException:
            slots.release()
            raise
        self._permits.add(id(connection))
        return connection

    async def release(self, connection: aiosqlite.Connection, broken: bool = False) -> None:
        holds_permit = id(connection) in self._permits
        self._permits.discard(id(connection))
        try:
            if broken or not self._pool_open or not holds_permit or connection.in_transaction:
                await self._close(connection)
            else:
                self._idle.append(connection)
        finally:
            if holds_permit and self._slots is not None:
                self._slots.release()

    # -- running queries -------------------------------------------------------

    async def _execute(self, connection, sql: str, args: list[Any]) -> list[dict]:
        count_statement(sql, args)
        # Execute and fetch in one call on the connection's thread: each call is a
        # hop there and back (a queue, a wake-up, the event loop's self-pipe, and the
        # GIL to win back under load), and cursor-by-cursor it was three per query.
        return await connection.execute_fetchall(sql, args)

    async def _run(self, sql: str, args: list[Any] | None) -> list[dict]:
        args = args or []
        transaction = self.current_transaction.get()
        async with translated_errors():
            if transaction:
                check_open(transaction)
                return await self._execute(transaction.connection, sql, args)
            connection = await self.acquire()
            broken = True
            try:
                result = await self._execute(connection, sql, args)
                broken = False
                return result
            except sqlite3.Error as error:
                # A refused statement leaves the connection usable; a lost
                # file or a cancelled call (anything else) does not.
                broken = translate_sqlite_error(error) is not error and not isinstance(error, sqlite3.IntegrityError)
                raise
            finally:
                await self.release(connection, broken=broken)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False):
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=querystring.__str__())
        sql, args = querystring.compile_string(engine_type=self.engine_type)
        response = await self._run(sql, args)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def run_ddl(self, ddl: str, in_pool: bool = False):
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=ddl)
        return await self._run(ddl, None)

    async def batch(self, query, batch_size: int = 100, node: str | None = None) -> "ClinicSQLiteBatch":
        if self.current_transaction.get() is not None:
            # It reads on a connection of its own, which cannot see the transaction's writes.
            raise TransactionError("batch() cannot run inside a transaction")
        return ClinicSQLiteBatch(connection=await self.get_connection(), query=query, batch_size=batch_size)

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> PooledSQLiteTransaction:
        return PooledSQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    def atomic(self, transaction_type: TransactionType = TransactionType.immediate) -> Atomic:
        return Atomic(engine=self, transaction_type=transaction_type)
