"""Test harness: every database test runs on SQLite and on MySQL/MariaDB.

The ``backend`` fixture is parametrised, so a test that uses a database (through
``client``, ``app`` or ``database``) runs once per backend with the same
assertions. MySQL comes from CLINIC_TEST_MYSQL_URL (default
mysql://root@127.0.0.1:3306/clinic_test); the database is dropped, created
and migrated once per run. Without a server the MySQL half is skipped with one
line, except with CI=true, where it fails.
"""

from __future__ import annotations

import asyncio
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import pymysql
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from clinic.app import create_app
from clinic.db import engine_for
from clinic.db.migrations import migrate
from clinic.db.schema import raw, table_names
from clinic.db.urls import DatabaseURL, parse_database_url
from clinic.piccolo_app import bind_tables
from clinic.settings import Settings, load_settings

MYSQL_URL = os.environ.get("CLINIC_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/clinic_test")
# With pytest-xdist (`make test` runs two workers) each worker has a MySQL database of
# its own, as it has its own SQLite files: a run empties and migrates its database.
if os.environ.get("PYTEST_XDIST_WORKER"):
    _server, _, _query = MYSQL_URL.partition("?")
    MYSQL_URL = f"{_server}_{os.environ['PYTEST_XDIST_WORKER']}" + (f"?{_query}" if _query else "")
    os.environ["CLINIC_TEST_MYSQL_URL"] = MYSQL_URL
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_SECRET = "test-secret-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e"
TEST_AUDIT_KEY = "test-audit-key-9d8c7b6a5f4e3d2c1b0a9f8e7d"
TEST_ENCRYPTION_KEYS = "test1:" + "A" * 42 + "g"  # 32 bytes of base64url
TEST_INDEX_KEY = "test-index-key-5e4d3c2b1a0f9e8d7c6b5a49"
TEST_TIMEZONE = "America/New_York"
# Never emptied between tests: append-only by design (audit), or bookkeeping.
KEEP_TABLES = {"migration", "audit_event", "audit_event_patient", "audit_chain_head"}

BACKENDS = ["sqlite", "mysql"]


def run_async(function: Callable[..., Any], *args: Any) -> Any:
    """asyncio.run in a thread of its own: Playwright's sync API keeps an event
    loop running in the main thread while browser tests are active."""
    outcome: dict[str, Any] = {}

    def target():
        try:
            outcome["value"] = asyncio.run(function(*args))
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def mysql_database() -> DatabaseURL:
    return parse_database_url(MYSQL_URL, Path("."))


def mysql_unreachable_reason() -> str | None:
    database = mysql_database()
    try:
        pymysql.connect(host=database.host, port=database.port, user=database.user,
                        password=database.password, connect_timeout=3).close()
    except pymysql.err.MySQLError as error:
        return f"no MySQL/MariaDB at {database.host}:{database.port} ({error.args[0]})"
    return None


def recreate_mysql_database(database: DatabaseURL) -> None:
    connection = pymysql.connect(host=database.host, port=database.port, user=database.user,
                                 password=database.password, autocommit=True)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{database.name}`")
        cursor.execute(f"CREATE DATABASE `{database.name}` CHARACTER SET utf8mb4")
    connection.close()


def side_database_url(backend: str, tmp_path: Path, name: str) -> str:
    """An empty database of its own, beside the suite's, for a test that builds,
    migrates or breaks one: a file on SQLite; on MySQL ``<test database>_<name>``,
    so two people's runs against one server never share it."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.db')}"
    database = mysql_database()
    side = replace(database, name=f"{database.name}_{name}")
    recreate_mysql_database(side)
    server, _, query = MYSQL_URL.partition("?")
    return server.rsplit("/", 1)[0] + f"/{side.name}" + (f"?{query}" if query else "")


def require_mysql() -> None:
    reason = mysql_unreachable_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"MySQL tests are mandatory in CI: {reason}", pytrace=False)
        pytest.skip(f"MySQL half skipped: {reason}; set CLINIC_TEST_MYSQL_URL to run it")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    if request.param == "mysql":
        require_mysql()
    return request.param


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data")


def settings_for(database_url: str, data_dir: Path, **environ: str) -> Settings:
    return load_settings(
        {
            "CLINIC_ENV": "development",
            "CLINIC_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "CLINIC_SECRET_KEY": TEST_SECRET,
            "CLINIC_AUDIT_KEY": TEST_AUDIT_KEY,
            "CLINIC_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS,
            "CLINIC_INDEX_KEY": TEST_INDEX_KEY,
            "CLINIC_COUNTRY": "US",
            "CLINIC_TIMEZONE": TEST_TIMEZONE,
            "CLINIC_LOG_FORMAT": "console",
            "CLINIC_DB_POOL_MAX": "5",
            # Tests run jobs themselves; an app's own worker is started where a test asks for it.
            "CLINIC_WORKER": "off",
            **environ,
        }
    )


def create_database(url: str) -> str:
    """Create (SQLite) and migrate the database at url; returns url."""

    async def build():
        engine = engine_for(parse_database_url(url, Path(".")), create=True)
        await engine.start_connection_pool()
        try:
            await migrate(engine)
        finally:
            await engine.close_connection_pool()

    run_async(build)
    return url


@pytest.fixture(scope="session")
def database_url(backend, tmp_path_factory) -> str:
    """A freshly migrated database for this run, on the backend under test."""
    if backend == "sqlite":
        return create_database(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'clinic.db'}")
    recreate_mysql_database(mysql_database())
    return create_database(MYSQL_URL)


@pytest.fixture(scope="session")
def settings(database_url, data_dir) -> Settings:
    return settings_for(database_url, data_dir)


@pytest.fixture(scope="session")
def app(settings) -> Litestar:
    return create_app(settings)


async def empty_tables(engine) -> None:
    from clinic.db import is_mysql
    from clinic.practice.services import forget

    forget()  # the clinic settings are cached for a few seconds

    names = [name for name in await table_names(engine) if name not in KEEP_TABLES]
    if is_mysql(engine):
        async with engine.transaction():
            await raw(engine, "SET FOREIGN_KEY_CHECKS = 0")
            for name in names:
                await raw(engine, f'DELETE FROM "{name}"')
            await raw(engine, "SET FOREIGN_KEY_CHECKS = 1")
    else:
        async with engine.transaction():
            await raw(engine, "PRAGMA defer_foreign_keys = ON")
            for name in names:
                await raw(engine, f'DELETE FROM "{name}"')


@dataclass
class Harness:
    """The app under test, its HTTP client and its database, on one event loop."""

    app: Litestar
    client: TestClient
    backend: str
    # Audit entries outlive each test (the table is append-only); tests look
    # only at entries written after this id.
    audit_start: int = 0

    @property
    def engine(self):
        return self.app.state.engine

    def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run an async function (a service, a factory, a query) on the app's loop."""

        async def call():
            return await function(*args, **kwargs)

        return self.client.blocking_portal.call(call)

    def sql(self, template: str, *args: Any) -> list[dict]:
        return self.run(raw, self.engine, template, *args)

    def audit(self, where: str = "1 = 1", *args: Any, columns: str = "*") -> list[dict]:
        """Audit entries written during this test, oldest first."""
        return self.sql(f"SELECT {columns} FROM audit_event WHERE id > {{}} AND ({where}) ORDER BY id",
                        self.audit_start, *args)


@contextmanager
def harness_for(app: Litestar, backend: str, base_url: str = "http://testserver.local") -> Iterator[Harness]:
    """``app`` started on a client of its own, with its tables emptied: for the
    ``harness`` fixture and for tests that build an app with other settings."""
    bind_tables(app.state.engine)  # the tables follow the app under test
    with TestClient(app, base_url=base_url) as client:
        harness = Harness(app=app, client=client, backend=backend)
        harness.run(empty_tables, app.state.engine)
        harness.audit_start = harness.sql("SELECT COALESCE(MAX(id), 0) AS n FROM audit_event")[0]["n"]
        yield harness


@pytest.fixture
def harness(app, backend) -> Harness:
    with harness_for(app, backend) as test_harness:
        yield test_harness


@pytest.fixture
def client(harness) -> TestClient:
    return harness.client


@pytest.fixture
def proxied(make_app, backend) -> Harness:
    """The app behind one trusted proxy (CLINIC_PROXY_HOPS=1): a request names
    its client address in ``X-Forwarded-For``, as the proxy would."""
    app = make_app(CLINIC_PROXY_HOPS="1")
    with TestClient(app, base_url="http://testserver.local") as client:
        test_harness = Harness(app=app, client=client, backend=backend)
        test_harness.run(empty_tables, app.state.engine)
        test_harness.audit_start = test_harness.sql("SELECT COALESCE(MAX(id), 0) AS n FROM audit_event")[0]["n"]
        yield test_harness


@pytest.fixture
def make_app(database_url, tmp_path) -> Callable[..., Litestar]:
    """Build an app with other settings (production mode, short timeouts...)."""

    def build(**environ: str) -> Litestar:
        return create_app(settings_for(database_url, tmp_path, **environ))

    return build
