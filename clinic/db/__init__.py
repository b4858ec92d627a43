"""The database layer: engines for SQLite and MySQL, transactions, migrations.

``create_engine(settings)`` picks the engine for ``DATABASE_URL``;
``bind_tables(engine)`` points every table of the app at it (Piccolo keeps the
engine on each table class, so one process serves one database at a time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from piccolo.engine.base import Engine

from clinic.db.errors import (
    AppendOnlyViolation,
    DatabaseError,
    DatabaseUnavailable,
    IntegrityViolation,
    UnsupportedQuery,
)
from clinic.db.urls import DatabaseURL

if TYPE_CHECKING:  # pragma: no cover
    from clinic.settings import Settings

__all__ = [
    "AppendOnlyViolation",
    "DatabaseError",
    "DatabaseUnavailable",
    "IntegrityViolation",
    "UnsupportedQuery",
    "bind_tables",
    "create_engine",
    "engine_for",
    "is_mysql",
]


def engine_for(database: DatabaseURL, *, pool_min: int = 1, pool_max: int = 5, pool_recycle: int = 3600,
               connect_timeout: int = 5, busy_timeout_ms: int = 5000, create: bool = False, **options) -> Engine:
    """The engine for a database URL. ``create`` lets SQLite make a new file
    (only ``clinic migrate`` and test set-up do; the app never does)."""
    if database.is_sqlite:
        from clinic.db.sqlite import ClinicSQLiteEngine

        assert database.path is not None
        if create:
            database.path.parent.mkdir(parents=True, exist_ok=True)
        return ClinicSQLiteEngine(
            str(database.path), pool_size=max(pool_max, 2), busy_timeout_ms=busy_timeout_ms, create=create
        )
    from clinic.db.mysql import MySQLEngine

    return MySQLEngine(
        database,
        pool_min=pool_min,
        pool_max=pool_max,
        pool_recycle=pool_recycle,
        connect_timeout=connect_timeout,
        **options,
    )


def create_engine(settings: "Settings", *, create: bool = False) -> Engine:
    return engine_for(
        settings.database,
        pool_min=settings.db_pool_min,
        pool_max=settings.db_pool_max,
        pool_recycle=settings.db_pool_recycle_seconds,
        connect_timeout=settings.db_connect_timeout_seconds,
        busy_timeout_ms=settings.db_busy_timeout_ms,
        create=create,
    )


def bind_tables(engine: Engine) -> None:
    from piccolo.apps.migrations.tables import Migration

    from clinic.piccolo_app import APP_CONFIG

    for table in [*APP_CONFIG.table_classes, Migration]:
        table._meta.db = engine


def is_mysql(engine: Engine) -> bool:
    from clinic.db.mysql import MySQLEngine

    return isinstance(engine, MySQLEngine)
