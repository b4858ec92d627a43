"""The appointment book: types, rooms, working hours, time off, series, history, waitlist.

Appointment gains its type, room, series, notes, cancellation, overbooking,
idempotency token (unique; NULLs do not collide on either backend) and a
revision that every change bumps.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.db.migrations import add_column, create_index, create_table

ID = "2026-11-30T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "scheduling: types, rooms, working hours, time off, series, history, waitlist"


class Staff(Table, tablename="staff"):
    email = Varchar(length=254)


class Patient(Table, tablename="patient"):
    mrn = Varchar(length=20, unique=True)


class AppointmentType(Table, tablename="appointment_type"):
    name = Varchar(length=80, unique=True)
    minutes = Integer(default=20)
    colour = Varchar(length=20, default="")
    needs_room = Boolean(default=False)
    may_overlap = Boolean(default=False)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class AppointmentTypeProvider(Table, tablename="appointment_type_provider"):
    type = ForeignKey(AppointmentType, on_delete=OnDelete.cascade, null=False)
    provider = ForeignKey(Staff, on_delete=OnDelete.cascade, null=False)


class Room(Table, tablename="room"):
    name = Varchar(length=60, unique=True)
    active = Boolean(default=True)


class WorkingHours(Table, tablename="working_hours"):
    provider = ForeignKey(Staff, on_delete=OnDelete.cascade, null=False)
    weekday = Integer()
    starts = Integer()
    ends = Integer()


class TimeOff(Table, tablename="time_off"):
    provider = ForeignKey(Staff, on_delete=OnDelete.cascade, null=False)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    reason = Varchar(length=120, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class AppointmentSeries(Table, tablename="appointment_series"):
    rule = Varchar(length=200)
    local_date = Date()
    local_minutes = Integer()
    zone = Varchar(length=60)
    minutes = Integer()
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    provider = ForeignKey(Staff, on_delete=OnDelete.restrict, null=False)
    type = ForeignKey(AppointmentType, on_delete=OnDelete.restrict, null=True, default=None)
    room = ForeignKey(Room, on_delete=OnDelete.restrict, null=True, default=None)
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Appointment(Table, tablename="appointment"):
    """The columns this migration adds to appointment."""

    type = ForeignKey(AppointmentType, on_delete=OnDelete.restrict, null=True, default=None)
    room = ForeignKey(Room, on_delete=OnDelete.restrict, null=True, default=None)
    series = ForeignKey(AppointmentSeries, on_delete=OnDelete.restrict, null=True, default=None)
    notes = Text(default="")
    cancel_reason = Varchar(length=200, default="")
    cancelled_at = Timestamptz(null=True, default=None)
    late_cancel = Boolean(default=False)
    overbook_reason = Varchar(length=200, default="")
    idempotency_token = Varchar(length=64, null=True, default=None)
    revision = Integer(default=1)
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class AppointmentChange(Table, tablename="appointment_change"):
    appointment = ForeignKey(Appointment, on_delete=OnDelete.restrict, null=False)
    changed_at = Timestamptz(default=TimestamptzNow())
    staff = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    what = Varchar(length=20)
    before = Text(default="")
    after = Text(default="")


class WaitlistEntry(Table, tablename="waitlist_entry"):
    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    providers = Varchar(length=200, default="")
    type = ForeignKey(AppointmentType, on_delete=OnDelete.restrict, null=True, default=None)
    weekdays = Varchar(length=20, default="")
    earliest_minutes = Integer(null=True, default=None)
    latest_minutes = Integer(null=True, default=None)
    from_date = Date(null=True, default=None)
    until_date = Date(null=True, default=None)
    notes = Text(default="")
    state = Varchar(length=20, default="waiting")
    appointment = ForeignKey(Appointment, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


async def build():
    for table in (AppointmentType, AppointmentTypeProvider, Room, WorkingHours, TimeOff, AppointmentSeries):
        await create_table(table)
    for column in Appointment._meta.columns:
        if column._meta.name != "id":
            await add_column(Appointment, column)
    await create_table(AppointmentChange)
    await create_table(WaitlistEntry)
    await create_index("appointment_type_provider", ["type", "provider"], unique=True)
    await create_index("appointment_type_provider", ["provider"])
    await create_index("working_hours", ["provider", "weekday"])
    await create_index("time_off", ["provider", "starts_at"])
    await create_index("appointment_series", ["patient"])
    await create_index("appointment_series", ["provider"])
    await create_index("appointment", ["room", "starts_at"])
    await create_index("appointment", ["series", "starts_at"])
    await create_index("appointment", ["idempotency_token"], unique=True)
    await create_index("appointment_change", ["appointment", "changed_at"])
    await create_index("waitlist_entry", ["patient", "state"])
    await create_index("waitlist_entry", ["state", "created_at"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
