from piccolo.columns import Bytea, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.staff.tables import Staff


class StaffSession(Table, tablename="staff_session"):
    """A signed-in browser. The cookie holds a random token; we keep its hash."""

    token_hash = Varchar(length=64, unique=True)
    staff = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    # "active", or a step still owed: "mfa", "mfa_enrol", "password_change"
    stage = Varchar(length=20, default="active")
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    confirmed_at = Timestamptz(default=TimestamptzNow())
    client_address = Varchar(length=64, default="")
    user_agent = Varchar(length=200, default="")
    ended_at = Timestamptz(null=True, default=None)
    end_reason = Varchar(length=30, default="")
    # An MFA secret being enrolled, encrypted, until its first code is confirmed.
    pending_totp_secret = Text(default="")


class RecoveryCode(Table, tablename="mfa_recovery_code"):
    staff = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    code_hash = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    used_at = Timestamptz(null=True, default=None)


class SignInThrottle(Table, tablename="sign_in_throttle"):
    """Consecutive failed sign-ins per account key or client address."""

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
    """Litestar's Store interface on our database (shared by every app instance)."""

    namespace = Varchar(length=60)
    key = Varchar(length=255)
    value = Bytea()
    expires_at = Timestamptz(null=True, default=None)



