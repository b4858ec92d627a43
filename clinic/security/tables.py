"""Who may sign in, and the records that keep sign-in safe: sessions, codes, throttles, settings."""

from piccolo.columns import BigInt, Boolean, Bytea, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.security import fields


class Staff(Table, tablename="staff"):
    """A person who signs in. Never deleted: history keeps its author."""

    email = Varchar(length=254)
    # Lower-cased email: uniqueness and sign-in ignore case on every backend.
    email_key = Varchar(length=254, unique=True)
    full_name = Varchar(length=120)
    display_name = Varchar(length=60, default="")
    role = Varchar(length=20)
    colour = Varchar(length=20, default="")
    # A prescriber's professional licence number, printed on prescriptions.
    licence_number = Varchar(length=40, default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # Sign-in
    password_hash = Varchar(length=255, default="")
    must_change_password = Boolean(default=False)
    password_changed_at = Timestamptz(null=True, default=None)
    last_sign_in_at = Timestamptz(null=True, default=None)
    deactivated_at = Timestamptz(null=True, default=None)
    # TOTP: the secret is encrypted (see clinic/core/crypto.py); the last
    # accepted time step makes every code single-use.
    mfa_enabled = Boolean(default=False)
    totp_secret = Text(default="")
    totp_last_step = BigInt(null=True, default=None)


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
    # Earlier versions kept the MFA secret being enrolled here (encrypted);
    # enrolment now stores nothing until a code is right (mfa.enrolment_secret).
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


# Encrypted with a context bound to the row (mfa.py; the enrolment screen of
# earlier versions): registered so that `clinic rotate-keys` re-encrypts them
# with everything else.
fields.register(Staff, "totp_secret")
fields.register(StaffSession, "pending_totp_secret")
