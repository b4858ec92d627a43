"""Which patients a read showed: every patient on a list or in search results.

``audit_event.patients`` holds their ids (covered by the entry's MAC);
``audit_event_patient`` indexes them so "who looked at this patient?" is one
indexed query. Both are append-only, like the trail.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Integer, Text
from piccolo.table import Table

from clinic.db.migrations import add_column, create_index, create_table, execute

ID = "2026-11-30T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the patients each audited read showed"
APPEND_ONLY = "audit entries are append-only"


class AuditEvent(Table, tablename="audit_event"):
    patients = Text(default="")


class AuditEventPatient(Table, tablename="audit_event_patient"):
    event_id = Integer()
    patient_id = Integer()


async def build():
    await add_column(AuditEvent, AuditEvent.patients)
    await create_table(AuditEventPatient)
    await create_index("audit_event_patient", ["patient_id", "event_id"])
    await execute(
        sqlite=[
            "CREATE TRIGGER IF NOT EXISTS audit_event_patient_no_update BEFORE UPDATE ON audit_event_patient "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
            "CREATE TRIGGER IF NOT EXISTS audit_event_patient_no_delete BEFORE DELETE ON audit_event_patient "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
        ],
        mysql=[
            "DROP TRIGGER IF EXISTS audit_event_patient_no_update",
            "CREATE TRIGGER audit_event_patient_no_update BEFORE UPDATE ON audit_event_patient FOR EACH ROW "
            f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{APPEND_ONLY}'",
            "DROP TRIGGER IF EXISTS audit_event_patient_no_delete",
            "CREATE TRIGGER audit_event_patient_no_delete BEFORE DELETE ON audit_event_patient FOR EACH ROW "
            f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{APPEND_ONLY}'",
        ],
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
