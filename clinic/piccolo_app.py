"""The project's one Piccolo app: every table, migrations in piccolo_migrations/.

It names every domain's tables, so it sits at the top with the app, not in ``clinic.db``.

``APP_CONFIG`` (for Piccolo's own tools) is built on first use: Piccolo's
``conf.apps`` imports the code formatter black for writing migrations, 9 MB of
memory a server never needs. The server finds the tables itself.
"""

from functools import lru_cache
from importlib import import_module

from piccolo.engine.base import Engine
from piccolo.table import Table

from clinic.db import engine_for
from clinic.paths import PROJECT_ROOT
from clinic.settings import Settings

TABLE_MODULES = [
    "clinic.core.jobs.tables",
    "clinic.patients.tables",
    "clinic.scheduling.tables",
    "clinic.security.tables",
    "clinic.audit.tables",
    "clinic.clinical.tables",
    "clinic.practice.tables",
    "clinic.reminders.tables",
    "clinic.visits.tables",
    "clinic.prescriptions.tables",
    "clinic.documents.tables",
    "clinic.billing.tables",
    "clinic.claims.tables",
    "clinic.exports.tables",
    "clinic.ops.tables",
]



@lru_cache(maxsize=1)
def table_classes() -> tuple[type[Table], ...]:
    """Every table defined in TABLE_MODULES (not those they import), as Piccolo's
    ``table_finder(exclude_imported=True, exclude_tags=["abstract"])`` finds them."""
    found = []
    for name in TABLE_MODULES:
        module = import_module(name)
        for attribute, value in vars(module).items():
            if (not attribute.startswith("_") and isinstance(value, type) and issubclass(value, Table)
                    and value is not Table and value not in found and value.__module__ == name
                    and "abstract" not in value._meta.tags):
                found.append(value)
    return tuple(found)


def __getattr__(name: str):
    if name == "APP_CONFIG":
        from piccolo.conf.apps import AppConfig

        config = AppConfig(
            app_name="clinic",
            migrations_folder_path=str(PROJECT_ROOT / "piccolo_migrations"),
            table_classes=list(table_classes()),
            migration_dependencies=[],
            commands=[],
        )
        globals()["APP_CONFIG"] = config
        return config
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def bind_tables(engine: Engine) -> None:
    """Point every table at ``engine`` (Piccolo keeps the engine on each table
    class, so one process serves one database at a time)."""
    from piccolo.apps.migrations.tables import Migration

    for table in [*table_classes(), Migration]:
        table._meta.db = engine


def create_engine(settings: Settings, *, create: bool = False) -> Engine:
    """The engine the settings ask for (``DATABASE_URL`` and the pool settings)."""
    return engine_for(
        settings.database,
        pool_min=settings.db_pool_min,
        pool_max=settings.db_pool_max,
        pool_recycle=settings.db_pool_recycle_seconds,
        connect_timeout=settings.db_connect_timeout_seconds,
        busy_timeout_ms=settings.db_busy_timeout_ms,
        create=create,
    )
