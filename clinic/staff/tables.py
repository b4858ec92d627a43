from piccolo.columns import Boolean, Timestamptz, Varchar
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
