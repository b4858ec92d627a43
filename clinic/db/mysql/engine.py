"""A Piccolo engine for MySQL 8 and MariaDB over an aiomysql pool.

Piccolo 1.38 ships no MySQL engine. This one declares the Postgres dialect
(the only way an out-of-tree engine gets SQL out of Piccolo) and translates
it (``sql.py``, ``ddl.py``); values, errors and transactions live in
``values.py``, ``errors.py`` and ``transactions.py``. Connection behaviour:

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
import re
import ssl
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, AsyncIterator

import aiomysql
import piccolo
import pymysql
from piccolo.engine.base import Engine
from piccolo.engine.exceptions import TransactionError
from piccolo.query.base import Query
from piccolo.querystring import QueryString
from piccolo.utils.sync import run_sync

from clinic.db.counting import count_statement
from clinic.db.errors import (
    DatabaseUnavailable,
    UnsupportedQuery,
)
from clinic.db.mysql import ddl as mysql_ddl
from clinic.db.mysql.errors import RETRYABLE_CODES, translate_error
from clinic.db.mysql.sql import (
    compile_querystring,
    refuse_untranslated,
    single_row_inserts,
    split_insert,
    translate,
)
from clinic.db.mysql.transactions import AsyncBatch, Atomic, MySQLTransaction
from clinic.db.mysql.values import QuietCursor, adapt_parameter, decode_rows
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
_CREATE_INDEX = re.compile(
    r'^CREATE (UNIQUE )?INDEX (IF NOT EXISTS )?"?(\w+)"? ON "?(\w+)"?(?: USING (\w+))? \((.*)\)$', re.S
)
_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP|TRUNCATE|RENAME)\b", re.I)
# How long a request waits for a free pooled connection before a 503.
ACQUIRE_TIMEOUT_SECONDS = 30.0


def check_piccolo_version() -> None:
    if not piccolo.__VERSION__.startswith(TESTED_PICCOLO):
        raise RuntimeError(
            f"our MySQL engine is tested with Piccolo {TESTED_PICCOLO}x, found {piccolo.__VERSION__}: "
            "run its test module against MariaDB before changing the pin"
        )


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

    @property
    def supports_skip_locked(self) -> bool:
        """``FOR UPDATE SKIP LOCKED``: MariaDB 10.6+, MySQL 8.0.1+ (known once connected)."""
        return self.server_version >= ((10, 6) if self.is_mariadb else (8, 0, 1))

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

    def pool_use(self) -> dict[str, int]:
        """Connections lent out, idle and allowed (for /metrics)."""
        pool = self.pool
        if pool is None:
            return {"in_use": 0, "idle": 0, "max": self.pool_max}
        return {"in_use": pool.size - pool.freesize, "idle": pool.freesize, "max": pool.maxsize}

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
        except (DatabaseUnavailable, pymysql.err.OperationalError, pymysql.err.InterfaceError,
                asyncio.CancelledError):
            # Cancelled (a request timeout) mid-statement, the connection may hold half a reply: never reuse it.
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
        count_statement(sql, args)
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
                    count_statement(sql, args)
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
