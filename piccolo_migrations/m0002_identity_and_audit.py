"""Sign-in, MFA, sessions, throttling, settings, the audit trail and break-the-glass.

The audit table is append-only in the database itself: triggers refuse
UPDATE and DELETE on both backends. (On MySQL, also grant the app's user no
UPDATE/DELETE on it: see README.)
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import BigInt, Boolean, Bytea, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.db.migrations import add_column, create_index, create_table, execute, migration_engine
from clinic.db.schema import raw

ID = "2026-11-23T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sign-in, MFA, sessions, audit trail, break-the-glass"


class Staff(Table, tablename="staff"):
    email = Varchar(length=254)


class StaffSignIn(Table, tablename="staff"):
    """The columns this migration adds to staff."""

    password_hash = Varchar(length=255, default="")
    must_change_password = Boolean(default=False)
    password_changed_at = Timestamptz(null=True, default=None)
    last_sign_in_at = Timestamptz(null=True, default=None)
    deactivated_at = Timestamptz(null=True, default=None)
    mfa_enabled = Boolean(default=False)
    totp_secret = Text(default="")
    totp_last_step = BigInt(null=True, default=None)


class StaffSession(Table, tablename="staff_session"):
    token_hash = Varchar(length=64, unique=True)
    staff = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    stage = Varchar(length=20, default="active")
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    confirmed_at = Timestamptz(default=TimestamptzNow())
    client_address = Varchar(length=64, default="")
    user_agent = Varchar(length=200, default="")
    ended_at = Timestamptz(null=True, default=None)
    end_reason = Varchar(length=30, default="")
    pending_totp_secret = Text(default="")


class RecoveryCode(Table, tablename="mfa_recovery_code"):
    staff = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    code_hash = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    used_at = Timestamptz(null=True, default=None)


class SignInThrottle(Table, tablename="sign_in_throttle"):
    key = Varchar(length=300, unique=True)
    failures = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class ClinicSetting(Table, tablename="clinic_setting"):
    key = Varchar(length=60, unique=True)
    value = Varchar(length=500, default="")
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Integer(null=True, default=None)


class StoredValue(Table, tablename="kv_store"):
    namespace = Varchar(length=60)
    key = Varchar(length=255)
    value = Bytea()
    expires_at = Timestamptz(null=True, default=None)


class AuditEvent(Table, tablename="audit_event"):
    occurred_at = Timestamptz(default=TimestamptzNow())
    staff_id = Integer(null=True, default=None)
    role = Varchar(length=20, default="")
    action = Varchar(length=60)
    entity_type = Varchar(length=40, default="")
    entity_id = Varchar(length=40, default="")
    patient_id = Integer(null=True, default=None)
    client_address = Varchar(length=64, default="")
    user_agent = Varchar(length=200, default="")
    outcome = Varchar(length=20, default="success")
    detail = Varchar(length=200, default="")
    prev_mac = Varchar(length=64)
    mac = Varchar(length=64)


class AuditChainHead(Table, tablename="audit_chain_head"):
    last_event_id = Integer(default=0)
    last_mac = Varchar(length=64, default="")


class BreakGlassGrant(Table, tablename="break_glass_grant"):
    staff = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    patient_id = Integer()
    permission = Varchar(length=40)
    reason = Varchar(length=500)
    granted_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


APPEND_ONLY = "audit_event is append-only"


async def build():
    for column in StaffSignIn._meta.columns:
        if column._meta.name != "id":
            await add_column(StaffSignIn, column)
    for table in (StaffSession, RecoveryCode, SignInThrottle, ClinicSetting, StoredValue, AuditEvent,
                  AuditChainHead, BreakGlassGrant):
        await create_table(table)
    await create_index("staff_session", ["staff", "ended_at"])
    await create_index("mfa_recovery_code", ["staff"])
    await create_index("kv_store", ["namespace", "key"], unique=True)
    await create_index("audit_event", ["occurred_at"])
    await create_index("audit_event", ["staff_id", "occurred_at"])
    await create_index("audit_event", ["patient_id", "occurred_at"])
    await create_index("audit_event", ["action", "occurred_at"])
    await create_index("break_glass_grant", ["staff", "patient_id", "expires_at"])
    await create_index("break_glass_grant", ["granted_at"])
    await execute(
        sqlite=[
            "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
            "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
        ],
        mysql=[
            "DROP TRIGGER IF EXISTS audit_event_no_update",
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event FOR EACH ROW "
            f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{APPEND_ONLY}'",
            "DROP TRIGGER IF EXISTS audit_event_no_delete",
            "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event FOR EACH ROW "
            f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{APPEND_ONLY}'",
        ],
    )
    engine = migration_engine()
    if not await raw(engine, "SELECT id FROM audit_chain_head"):
        await raw(engine, "INSERT INTO audit_chain_head (id, last_event_id, last_mac) VALUES (1, 0, '')")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
