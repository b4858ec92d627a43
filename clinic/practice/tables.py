from piccolo.columns import Boolean, Date, ForeignKey, Integer, Time, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.security.tables import Staff


class ClinicProfile(Table, tablename="clinic_profile"):
    """One row: the clinic as it presents itself and keeps time."""

    singleton = Integer(default=1, unique=True)
    name = Varchar(length=120)
    address_line1 = Varchar(length=120, default="")
    address_line2 = Varchar(length=120, default="")
    city = Varchar(length=80, default="")
    region = Varchar(length=80, default="")
    postal_code = Varchar(length=20, default="")
    phone = Varchar(length=32, default="")
    email = Varchar(length=254, default="")
    timezone = Varchar(length=60)
    currency = Varchar(length=3)
    appointment_minutes = Integer(default=20)
    # A nurse's visit note needs a doctor's co-signature (clinic/visits).
    cosign_nurse_notes = Boolean(default=False)
    version = Integer(default=1)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class OpeningHours(Table, tablename="opening_hours"):
    """A block of the week when the clinic is open (several per day: 9–12, 13–17)."""

    weekday = Integer()  # 0 Monday .. 6 Sunday
    opens = Time()
    closes = Time()


class Closure(Table, tablename="clinic_closure"):
    """Days the clinic is closed (holidays, training), first and last day included."""

    first_day = Date()
    last_day = Date()
    reason = Varchar(length=120)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
