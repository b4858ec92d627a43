"""The project's one Piccolo app: every table, migrations in piccolo_migrations/.

It names every domain's tables, so it sits at the top with the app, not in ``clinic.db``.
"""

from piccolo.conf.apps import AppConfig, table_finder
from piccolo.engine.base import Engine

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
    "clinic.visits.tables",
    "clinic.billing.tables",
    "clinic.claims.tables",
]

APP_CONFIG = AppConfig(
    app_name="clinic",
    migrations_folder_path=str(PROJECT_ROOT / "piccolo_migrations"),
    table_classes=table_finder(modules=TABLE_MODULES, exclude_imported=True, exclude_tags=["abstract"]),
    migration_dependencies=[],
    commands=[],
)


def bind_tables(engine: Engine) -> None:
    """Point every table at ``engine`` (Piccolo keeps the engine on each table
    class, so one process serves one database at a time)."""
    from piccolo.apps.migrations.tables import Migration

    for table in [*APP_CONFIG.table_classes, Migration]:
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
