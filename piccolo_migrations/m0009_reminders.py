"""Reminders and feeds: the reminder outbox (one row per appointment, revision,
channel and kind: a unique index), administrators' templates, used
confirm/cancel link tokens, and providers' private calendar feeds."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.db.migrations import create_index, create_table

ID = "2026-11-30T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reminders: outbox, templates, used link tokens, calendar feeds"


class Staff(Table, tablename="staff"):
    email = Varchar(length=254)


class Appointment(Table, tablename="appointment"):
    status = Varchar(length=20)


class ReminderMessage(Table, tablename="reminder_message"):
    appointment = ForeignKey(Appointment, on_delete=OnDelete.cascade, null=False)
    revision = Integer()
    channel = Varchar(length=10)
    kind = Varchar(length=20)
    state = Varchar(length=10, default="pending")
    starts_at = Timestamptz()
    provider_id = Integer()
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    due_at = Timestamptz(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    leased_by = Varchar(length=80, default="")
    last_error = Varchar(length=80, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class ReminderTemplate(Table, tablename="reminder_template"):
    channel = Varchar(length=10)
    kind = Varchar(length=20)
    subject = Varchar(length=200, default="")
    body = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class ReminderLinkUse(Table, tablename="reminder_link_use"):
    token_id = Varchar(length=40, unique=True)
    appointment = ForeignKey(Appointment, on_delete=OnDelete.cascade, null=False)
    action = Varchar(length=10)
    used_at = Timestamptz(default=TimestamptzNow())


class CalendarFeed(Table, tablename="calendar_feed"):
    staff = ForeignKey(Staff, on_delete=OnDelete.cascade, null=False)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


async def build():
    for table in (ReminderMessage, ReminderTemplate, ReminderLinkUse, CalendarFeed):
        await create_table(table)
    await create_index("reminder_message", ["appointment", "revision", "channel", "kind"], unique=True)
    await create_index("reminder_message", ["state", "due_at"])
    await create_index("reminder_template", ["channel", "kind"], unique=True)
    await create_index("calendar_feed", ["staff"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
