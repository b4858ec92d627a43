"""The project's one Piccolo app: every table, migrations in piccolo_migrations/."""

from piccolo.conf.apps import AppConfig, table_finder

from clinic.paths import PROJECT_ROOT

TABLE_MODULES = [
    "clinic.core.jobs.tables",
    "clinic.staff.tables",
    "clinic.patients.tables",
    "clinic.scheduling.tables",
    "clinic.security.tables",
    "clinic.audit.tables",
    "clinic.clinical.tables",
]

APP_CONFIG = AppConfig(
    app_name="clinic",
    migrations_folder_path=str(PROJECT_ROOT / "piccolo_migrations"),
    table_classes=table_finder(modules=TABLE_MODULES, exclude_imported=True, exclude_tags=["abstract"]),
    migration_dependencies=[],
    commands=[],
)
