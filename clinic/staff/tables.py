from piccolo.columns import BigInt, Boolean, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Staff(Table, tablename="staff"):
    """A person who signs in. Never deleted: history keeps its author."""

    email = Varchar(length=254)
    # Lower-cased email: uniqueness and sign-in ignore case on every backend.
    email_key = Varchar(length=254, unique=True)
    full_name = Varchar(length=120)
    display_name = Varchar(length=60, default="")
    role = Varchar(length=20)
    colour = Varchar(length=20, default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # Sign-in
    password_hash = Varchar(length=255, default="")
    must_change_password = Boolean(default=False)
    password_changed_at = Timestamptz(null=True, default=None)
    last_sign_in_at = Timestamptz(null=True, default=None)
    deactivated_at = Timestamptz(null=True, default=None)
    # TOTP: the secret is encrypted (see clinic/security/crypto.py); the last
    # accepted time step makes every code single-use.
    mfa_enabled = Boolean(default=False)
    totp_secret = Text(default="")
    totp_last_step = BigInt(null=True, default=None)
