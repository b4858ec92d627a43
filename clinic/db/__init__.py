"""The database layer: engines for SQLite and MySQL, transactions, migrations.

``engine_for(url)`` picks the engine for a database URL (``clinic.piccolo_app.create_engine``
builds it from the settings);
(``clinic.piccolo_app.bind_tables`` points every table at it.)
"""

from __future__ import annotations

from piccolo.engine.base import Engine

from clinic.db.errors import (
    AppendOnlyViolation,
    DatabaseError,
    DatabaseUnavailable,
    IntegrityViolation,
    UnsupportedQuery,
)
from clinic.db.urls import DatabaseURL

__all__ = [
    "AppendOnlyViolation",
    "DatabaseError",
    "DatabaseUnavailable",
    "IntegrityViolation",
    "UnsupportedQuery",
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


def is_mysql(engine: Engine) -> bool:
    from clinic.db.mysql import MySQLEngine

    return isinstance(engine, MySQLEngine)
