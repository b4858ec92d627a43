"""The appointment book: types, rooms, providers' hours and time off, appointments,
their series and history, and the waitlist.

Times of day that repeat every week (working hours, a waitlist's preferred
times, a series' local start) are minutes after local midnight in the
clinic's zone: plain integers read the same on SQLite and MySQL. Instants are
UTC (``Timestamptz``).
"""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.patients.merge import move_rows, register_merge_step
from clinic.patients.tables import Patient
from clinic.security.tables import Staff


class AppointmentType(Table, tablename="appointment_type"):
    """What is booked: a check-up, an injection. Its length is the default duration."""

    name = Varchar(length=80, unique=True)
    minutes = Integer(default=20)
    colour = Varchar(length=20, default="")
    needs_room = Boolean(default=False)
    # May sit on top of the provider's other appointments (a 5-minute injection).
    may_overlap = Boolean(default=False)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class AppointmentTypeProvider(Table, tablename="appointment_type_provider"):
    """Which providers offer a type (unique pair, index in m0008)."""

    type = ForeignKey(AppointmentType, on_delete=OnDelete.cascade, null=False)
    provider = ForeignKey(Staff, on_delete=OnDelete.cascade, null=False)


class Room(Table, tablename="room"):
    name = Varchar(length=60, unique=True)
    active = Boolean(default=True)


class WorkingHours(Table, tablename="working_hours"):
    """A block of a provider's week; several a day, the gaps between them are breaks."""

    provider = ForeignKey(Staff, on_delete=OnDelete.cascade, null=False)
    weekday = Integer()  # 0 Monday .. 6 Sunday
    starts = Integer()  # minutes after local midnight
    ends = Integer()


class TimeOff(Table, tablename="time_off"):
    provider = ForeignKey(Staff, on_delete=OnDelete.cascade, null=False)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    reason = Varchar(length=120, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class AppointmentSeries(Table, tablename="appointment_series"):
    """A recurring booking: the RFC 5545 rule and its start in the clinic's local
    time and named zone; every occurrence is also an Appointment row."""

    rule = Varchar(length=200)  # e.g. FREQ=WEEKLY;INTERVAL=2;COUNT=10
    local_date = Date()  # first occurrence, local
    local_minutes = Integer()  # local start, minutes after midnight
    zone = Varchar(length=60)
    minutes = Integer()
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    provider = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    type = ForeignKey(AppointmentType, on_delete=OnDelete.restrict, null=True, default=None)
    room = ForeignKey(Room, on_delete=OnDelete.restrict, null=True, default=None)
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Appointment(Table, tablename="appointment"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    provider = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    # booked | confirmed | arrived | in_progress | completed | cancelled | no_show
    status = Varchar(length=20, default="booked")
    reason = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    type = ForeignKey(AppointmentType, on_delete=OnDelete.restrict, null=True, default=None)
    room = ForeignKey(Room, on_delete=OnDelete.restrict, null=True, default=None)
    series = ForeignKey(AppointmentSeries, on_delete=OnDelete.restrict, null=True, default=None)
    notes = Text(default="")
    cancel_reason = Varchar(length=200, default="")
    cancelled_at = Timestamptz(null=True, default=None)
    late_cancel = Boolean(default=False)
    # Non-empty: booked on top of a conflict on purpose, and why.
    overbook_reason = Varchar(length=200, default="")
    # From the booking form: a resubmitted form finds its appointment (unique index in m0008).
    idempotency_token = Varchar(length=64, null=True, default=None)
    # +1 on every change; reminders key on it.
    revision = Integer(default=1)
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class AppointmentChange(Table, tablename="appointment_change"):
    """One change to an appointment: who, when, and the fields before and after (JSON)."""

    appointment = ForeignKey(Appointment, on_delete=OnDelete.restrict, null=False)
    changed_at = Timestamptz(default=TimestamptzNow())
    staff = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    what = Varchar(length=20)  # booked | moved | status | cancelled | ...
    before = Text(default="")
    after = Text(default="")


class WaitlistEntry(Table, tablename="waitlist_entry"):
    """A patient waiting for an earlier slot, with the constraints they gave."""

    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    providers = Varchar(length=200, default="")  # comma-separated staff ids; empty = any
    type = ForeignKey(AppointmentType, on_delete=OnDelete.restrict, null=True, default=None)
    weekdays = Varchar(length=20, default="")  # comma-separated 0..6; empty = any
    earliest_minutes = Integer(null=True, default=None)
    latest_minutes = Integer(null=True, default=None)
    from_date = Date(null=True, default=None)
    until_date = Date(null=True, default=None)
    notes = Text(default="")
    state = Varchar(length=20, default="waiting")  # waiting | booked | lapsed | removed
    appointment = ForeignKey(Appointment, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


# A merged duplicate's appointments, series and waitlist entries move to the surviving record.
register_merge_step("appointments", move_rows(Appointment))
register_merge_step("appointment_series", move_rows(AppointmentSeries))
register_merge_step("waitlist", move_rows(WaitlistEntry))
