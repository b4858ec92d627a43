"""A Piccolo engine for MySQL 8 and MariaDB over an aiomysql pool.

Piccolo 1.38 ships no MySQL engine. This one declares the Postgres dialect
(the only way an out-of-tree engine gets SQL out of Piccolo) and translates
it (``sql.py``, ``ddl.py``). Connection behaviour:

- autocommit is on outside explicit transactions: aiomysql's default of off
  leaves every write in an open transaction that is lost with the connection;
- each connection sets its own session: strict SQL mode with ANSI_QUOTES and
  PIPES_AS_CONCAT, UTC time zone, utf8mb4 (never ``SET GLOBAL``);
- pooled connections are recycled before the server's ``wait_timeout``; one
  that has been idle a while is pinged before it is lent, and a dead one is
  replaced; a connection that fails mid-query is closed, not reused;
- errors are mapped to ``clinic.db.errors`` without the driver's message,
  which can contain the offending value (PHI).
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime
import re
import ssl
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, AsyncIterator

import aiomysql
import piccolo
import pymysql
from piccolo.engine.base import BaseAtomic, BaseBatch, BaseTransaction, Engine, validate_savepoint_name
from piccolo.engine.exceptions import TransactionError
from piccolo.query.base import DDL, Query
from piccolo.querystring import QueryString
from piccolo.utils.sync import run_sync
from pymysql.constants import FIELD_TYPE

from clinic.db.errors import (
    AppendOnlyViolation,
    DatabaseUnavailable,
    IntegrityViolation,
    QueryFailed,
    UnsupportedQuery,
    WriteConflict,
)
from clinic.db.mysql import ddl as mysql_ddl
from clinic.db.mysql.sql import (
    compile_querystring,
    refuse_untranslated,
    single_row_inserts,
    split_insert,
    translate,
)
from clinic.db.sqlite import check_open

if TYPE_CHECKING:  # pragma: no cover
    from piccolo.table import Table

    from clinic.db.urls import DatabaseURL

TESTED_PICCOLO = "1.38."
SQL_MODE = (
    "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION,ANSI_QUOTES,PIPES_AS_CONCAT"
)
SESSION_SETUP = (
    f"SET SESSION sql_mode = '{SQL_MODE}', time_zone = '+00:00', innodb_lock_wait_timeout = 15"
)
# Idle longer than this, a pooled connection is pinged before use.
PING_AFTER_SECONDS = 10.0
# Client-side codes (2xxx) and server codes that mean "the database is gone".
UNAVAILABLE_CODES = {1040, 1045, 1049, 1053, 1077, 1129, 1927, 2002, 2003, 2005, 2006, 2013, 2055, 4031}
# The server had already dropped the connection before our statement reached
# it (killed, timed out, gone away on send): running it again cannot apply it
# twice, so outside a transaction we retry once on a fresh connection.
RETRYABLE_CODES = {1927, 2006, 4031}
_FK_MESSAGE = re.compile(r"`([^`]+)`, CONSTRAINT `([^`]+)` FOREIGN KEY \(([^)]*)\)")
_DUPLICATE_KEY = re.compile(r"for key '(?:[^'.]+\.)?([^']+)'")
_CREATE_INDEX = re.compile(
    r'^CREATE (UNIQUE )?INDEX (IF NOT EXISTS )?"?(\w+)"? ON "?(\w+)"?(?: USING (\w+))? \((.*)\)$', re.S
)
_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP|TRUNCATE|RENAME)\b", re.I)
# How long a request waits for a free pooled connection before a 503.
ACQUIRE_TIMEOUT_SECONDS = 30.0


class QuietCursor(aiomysql.Cursor):
    """A cursor that does not turn server notes into Python warnings.

    aiomysql follows any statement that left warnings with SHOW WARNINGS and
    prints them: an extra round trip, and the text can quote column values.
    Strict SQL mode already turns data problems into errors.
    """

    async def _show_warnings(self, conn) -> None:
        return None


class QuietStreamingCursor(aiomysql.SSCursor):
    async def _show_warnings(self, conn) -> None:
        return None


def check_piccolo_version() -> None:
    if not piccolo.__VERSION__.startswith(TESTED_PICCOLO):
        raise RuntimeError(
            f"our MySQL engine is tested with Piccolo {TESTED_PICCOLO}x, found {piccolo.__VERSION__}: "
            "run its test module against MariaDB before changing the pin"
        )


def adapt_parameter(value: Any) -> Any:
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        # PyMySQL drops tzinfo without a word: 12:00+02:00 would be stored as
        # 12:00. Store UTC, as the SQLite engine does.
        return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _as_bool(value):
    return None if value is None else bool(value)


def _as_utc(value):
    return value.replace(tzinfo=datetime.timezone.utc) if isinstance(value, datetime.datetime) else value


def _as_int(value):
    return int(value) if isinstance(value, Decimal) else value


def decode_rows(description, rows) -> list[dict]:
    """Rows as dicts, with MySQL's types made to match what SQLite returns."""
    if not description:
        return []
    names = [column[0] for column in description]
    converters: dict[int, Any] = {}
    for index, (_, type_code, _, length, _, scale, _) in enumerate(description):
        if type_code == FIELD_TYPE.TINY and length == 1:
            converters[index] = _as_bool  # BOOLEAN is TINYINT(1)
        elif type_code in (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP):
            converters[index] = _as_utc  # everything is stored as UTC
        elif type_code == FIELD_TYPE.NEWDECIMAL and scale == 0:
            converters[index] = _as_int  # SUM/COUNT of integers
    if not converters:
        return [dict(zip(names, row)) for row in rows]
    decoded = []
    for row in rows:
        values = list(row)
        for index, convert in converters.items():
            values[index] = convert(values[index])
        decoded.append(dict(zip(names, values)))
    return decoded


def translate_error(error: BaseException, table: str | None) -> BaseException:
    """A driver error as one of ours. Driver messages quote the offending
    values (PHI), so only codes, constraint and column names are kept."""
    if isinstance(error, (asyncio.TimeoutError, ConnectionError, OSError)):
        return DatabaseUnavailable("MySQL: cannot reach the server")
    if not isinstance(error, pymysql.err.MySQLError):
        return error
    code = error.args[0] if error.args and isinstance(error.args[0], int) else 0
    message = str(error.args[1]) if len(error.args) > 1 else ""
    if isinstance(error, pymysql.err.InterfaceError) or code in UNAVAILABLE_CODES:
        return DatabaseUnavailable(f"MySQL: connection lost or refused (error {code})")
    if code == 1644 and "append-only" in message:
        return AppendOnlyViolation(message)
    if code in (1213, 1205):
        return WriteConflict(f"MySQL error {code}: {'deadlock' if code == 1213 else 'lock wait timeout'}")
    if code == 1062:
        # MySQL 8.0.19+ writes "for key 'table.name'", MariaDB "for key 'name'";
        # our key names contain their columns (table_column_key, table_cols_uniq).
        key = _DUPLICATE_KEY.search(message)
        return IntegrityViolation(IntegrityViolation.UNIQUE, table=table, constraint=key.group(1) if key else None)
    if code in (1451, 1452, 1216, 1217):
        match = _FK_MESSAGE.search(message)
        if match:
            child_table = match.group(1).split("`.`")[-1]
            columns = tuple(c.strip("` ") for c in match.group(3).split(","))
            return IntegrityViolation(
                IntegrityViolation.FOREIGN_KEY, table=child_table, columns=columns, constraint=match.group(2)
            )
        return IntegrityViolation(IntegrityViolation.FOREIGN_KEY, table=table)
    if code in (1048, 1364):
        column = re.search(r"(?:Column|Field) '([^']+)'", message)
        return IntegrityViolation(
            IntegrityViolation.NOT_NULL, table=table, columns=(column.group(1),) if column else ()
        )
    if code in (3819, 4025):
        name = re.search(r"constraint '([^']+)'", message, re.I)
        return IntegrityViolation(IntegrityViolation.CHECK, table=table, constraint=name.group(1) if name else None)
    return QueryFailed(code, type(error).__name__)


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
            if exception:
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


class MySQLEngine(Engine[MySQLTransaction]):
    """Piccolo engine for MySQL 8 / MariaDB 10.5+.

    :param use_returning: None detects it (MariaDB 10.5+ has INSERT ...
        RETURNING, MySQL has none); False forces the ``lastrowid`` path.
    """

    __slots__ = (
        "database", "pool_min", "pool_max", "pool_recycle", "connect_timeout", "use_returning",
        "pool", "server_version", "is_mariadb", "collation",
    )

    def __init__(
        self,
        database: "DatabaseURL",
        *,
        pool_min: int = 1,
        pool_max: int = 5,
        pool_recycle: int = 3600,
        connect_timeout: int = 5,
        use_returning: bool | None = None,
        log_queries: bool = False,
    ):
        check_piccolo_version()
        mysql_ddl.install()
        self.database = database
        self.pool_min = pool_min
        self.pool_max = pool_max
        self.pool_recycle = pool_recycle
        self.connect_timeout = connect_timeout
        self.use_returning = use_returning
        self.pool: aiomysql.Pool | None = None
        self.server_version: tuple[int, ...] = (0,)
        self.is_mariadb = True
        self.collation = mysql_ddl.MARIADB_COLLATION
        self.current_transaction = contextvars.ContextVar(f"mysql_transaction_{id(self)}", default=None)
        super().__init__(engine_type="postgres", min_version_number=0, log_queries=log_queries)

    # Piccolo calls these from __init__ through run_sync; we learn the server
    # when the pool starts instead of blocking the constructor on the network.
    async def check_version(self):
        return None

    async def prep_database(self):
        return None

    async def get_version(self) -> float:
        return float("{}.{}".format(*self.server_version[:2])) if len(self.server_version) > 1 else 0.0

    def get_version_sync(self) -> float:
        return run_sync(self.get_version())

    # -- connections -----------------------------------------------------------

    def connection_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "host": self.database.host,
            "port": self.database.port,
            "user": self.database.user,
            "password": self.database.password,
            "db": self.database.name,
            "charset": "utf8mb4",
            "autocommit": True,
            "init_command": SESSION_SETUP,
            "connect_timeout": self.connect_timeout,
            "cursorclass": QuietCursor,
        }
        if self.database.ssl:
            context = ssl.create_default_context(cafile=self.database.ssl_ca)
            if not self.database.ssl_verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            options["ssl"] = context
        return options

    async def new_connection(self) -> aiomysql.Connection:
        try:
            return await aiomysql.connect(**self.connection_options())
        except Exception as error:
            raise translate_error(error, None) from None

    async def _learn_server(self, connection) -> None:
        async with connection.cursor() as cursor:
            await cursor.execute("SELECT VERSION()")
            (version,) = await cursor.fetchone()
        self.is_mariadb = "mariadb" in version.lower()
        self.server_version = tuple(int(part) for part in re.findall(r"\d+", version)[:3])
        self.collation = mysql_ddl.MARIADB_COLLATION if self.is_mariadb else mysql_ddl.MYSQL_COLLATION
        if self.use_returning is None:
            self.use_returning = self.is_mariadb and self.server_version >= (10, 5)

    async def start_connection_pool(self, **_: Any) -> None:
        if self.pool is not None:
            return
        options = dict(maxsize=self.pool_max, pool_recycle=self.pool_recycle, **self.connection_options())
        try:
            self.pool = await aiomysql.create_pool(minsize=self.pool_min, **options)
        except Exception as error:
            # Keep a pool that connects on demand, so the app recovers by
            # itself once the server is back; tell the caller it is down.
            self.pool = await aiomysql.create_pool(minsize=0, **options)
            raise translate_error(error, None) from None
        connection = await self.acquire()
        await self.release(connection)

    async def close_connection_pool(self) -> None:
        if self.pool is not None:
            pool, self.pool = self.pool, None
            pool.close()
            await pool.wait_closed()

    async def acquire(self) -> aiomysql.Connection:
        if self.pool is None:
            connection = await self.new_connection()
            if self.server_version == (0,):
                await self._learn_server(connection)
            return connection
        for _ in range(self.pool_max + 1):
            try:
                connection = await asyncio.wait_for(self.pool.acquire(), ACQUIRE_TIMEOUT_SECONDS)
            except asyncio.TimeoutError:
                raise DatabaseUnavailable("MySQL: no free database connection (pool exhausted)") from None
            except Exception as error:
                raise translate_error(error, None) from None
            try:
                if asyncio.get_running_loop().time() - connection.last_usage >= PING_AFTER_SECONDS:
                    await connection.ping(reconnect=False)
                if self.server_version == (0,):
                    await self._learn_server(connection)
                return connection
            except BaseException as error:
                # Killed by the server, a proxy or wait_timeout, or we were
                # cancelled mid-ping: close it and give its slot back.
                connection.close()
                self.pool.release(connection)
                if not isinstance(error, Exception):
                    raise
        raise DatabaseUnavailable("MySQL: every pooled connection is dead")

    async def release(self, connection: aiomysql.Connection, broken: bool = False) -> None:
        if broken and not connection.closed:
            connection.close()
        if self.pool is None:
            connection.close()
        else:
            await self.pool.release(connection)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiomysql.Connection]:
        transaction = self.current_transaction.get()
        if transaction:
            check_open(transaction)
            async with transaction.statement_lock:
                yield transaction.connection
            return
        connection = await self.acquire()
        broken = False
        try:
            yield connection
        except (DatabaseUnavailable, pymysql.err.OperationalError, pymysql.err.InterfaceError):
            broken = True
            raise
        finally:
            await self.release(connection, broken=broken or connection.closed)

    @asynccontextmanager
    async def translated_errors(self, table: str | None):
        try:
            yield
        except (pymysql.err.MySQLError, asyncio.TimeoutError, OSError) as error:
            translated = translate_error(error, table)
            if translated is error:
                raise
            raise translated from None

    # -- running SQL -----------------------------------------------------------

    def prepare(self, querystring: QueryString) -> tuple[str, list[Any]]:
        sql, args = compile_querystring(querystring)
        sql = translate(sql, query_type=querystring.query_type)
        refuse_untranslated(sql)
        return sql, [adapt_parameter(arg) for arg in args]

    async def fetch(self, sql: str, args: list[Any] | None = None, *, table: str | None = None,
                    use_transaction: bool = True) -> list[dict]:
        """Run one statement; rows as dicts (for SELECT) or [] for other statements."""
        in_transaction = use_transaction and self.current_transaction.get() is not None
        if in_transaction and _DDL.match(sql):
            # MySQL commits the open transaction before any DDL statement.
            raise TransactionError("DDL inside a transaction would silently commit it on MySQL")
        for attempt in (1, 2):
            connection_context = self.connection() if use_transaction else self._pooled_connection()
            try:
                async with connection_context as connection:
                    async with connection.cursor() as cursor:
                        await cursor.execute(sql, args or None)
                        if cursor.description:
                            return decode_rows(cursor.description, await cursor.fetchall())
                        return []
            except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as error:
                code = error.args[0] if error.args and isinstance(error.args[0], int) else 0
                retryable = code in RETRYABLE_CODES or isinstance(error, pymysql.err.InterfaceError)
                if attempt == 1 and retryable and not in_transaction:
                    continue
                raise translate_error(error, table) from None
            except (pymysql.err.MySQLError, asyncio.TimeoutError, OSError) as error:
                translated = translate_error(error, table)
                if translated is error:
                    raise
                raise translated from None
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def _pooled_connection(self):
        connection = await self.acquire()
        try:
            yield connection
        finally:
            await self.release(connection, broken=connection.closed)

    async def _insert_returning_ids(self, querystring: QueryString) -> list[dict]:
        """INSERT without RETURNING (MySQL 8): ids from ``lastrowid``, row by row."""
        table: type[Table] = querystring.table  # type: ignore[assignment]
        insert, rows, returning = split_insert(querystring)
        pk = table._meta.primary_key._meta.db_column_name
        if returning is not None and returning.template.strip() != f'RETURNING "{pk}"':
            raise UnsupportedQuery("MySQL can only return the new primary key of an insert")
        statements = [insert] if len(rows) <= 1 else single_row_inserts(insert, rows)
        ids: list[dict] = []
        # One transaction, so a multi-row insert stays all-or-nothing.
        async with self.transaction():
            async with self.connection() as connection:
                for statement in statements:
                    sql, args = self.prepare(statement)
                    async with self.translated_errors(table._meta.tablename):
                        async with connection.cursor() as cursor:
                            await cursor.execute(sql, args or None)
                            if returning is not None:
                                ids.append({pk: cursor.lastrowid})
        return ids

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True):
        table = querystring.table
        if querystring.query_type == "insert" and table is not None and not self.use_returning:
            return await self._insert_returning_ids(querystring)
        sql, args = self.prepare(querystring)
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=sql)
        response = await self.fetch(sql, args, table=table._meta.tablename if table is not None else None)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def run_ddl(self, ddl: str, in_pool: bool = True):
        if self.current_transaction.get():
            # MySQL commits the open transaction before any DDL statement.
            raise TransactionError("DDL inside a transaction would silently commit it on MySQL")
        match = _CREATE_INDEX.match(ddl.strip())
        if match:
            unique, if_not_exists, name, table, method, columns = match.groups()
            if if_not_exists and await self.index_exists(table, name):
                return []
            ddl = f'CREATE {unique or ""}INDEX "{name}" ON "{table}" ({columns})'
            if method and method.lower() != "btree":
                raise UnsupportedQuery(f"{method} indexes are not supported on MySQL")
        refuse_untranslated(ddl)
        if self.log_queries:
            self.print_query(query_id=self.get_query_id(), query=ddl)
        return await self.fetch(ddl)

    async def index_exists(self, table: str, name: str) -> bool:
        rows = await self.fetch(
            "SELECT COUNT(*) AS n FROM information_schema.statistics "
            "WHERE table_schema = DATABASE() AND table_name = %s AND index_name = %s",
            [table, name],
        )
        return rows[0]["n"] > 0

    async def batch(self, query: Query, batch_size: int = 100, node: str | None = None) -> AsyncBatch:
        return AsyncBatch(engine=self, query=query, batch_size=batch_size)

    def atomic(self) -> Atomic:
        return Atomic(self)

    def transaction(self, allow_nested: bool = True) -> MySQLTransaction:
        return MySQLTransaction(self, allow_nested=allow_nested)
