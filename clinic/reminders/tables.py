"""The reminder outbox, the administrators' message templates, the patients'
used link tokens and the providers' calendar feeds."""

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.scheduling.tables import Appointment
from clinic.security.tables import Staff

PENDING = "pending"
SENT = "sent"
FAILED = "failed"  # gave up after the last attempt
CANCELLED = "cancelled"  # voided: the appointment was cancelled or moved
STATES = (PENDING, SENT, FAILED, CANCELLED)


class ReminderMessage(Table, tablename="reminder_message"):
    """One message to one patient about one appointment, keyed by
    (appointment, revision, channel, kind) with a unique index (m0009), so
    however often the generator runs, a revision is reminded once per channel.

    ``due_at`` is the one column the sender polls: ``next_attempt_at`` while
    the row waits, the end of its lease while a sender holds it (a sender
    that died is replaced once the lease ends). ``starts_at`` and
    ``provider_id`` are the facts the message states: a later revision that
    changed neither (a status change, say) needs no new message.
    ``last_error`` is an exception's type or a short reason, never PHI;
    the recipient's address is looked up when sending and never stored here.
    """

    appointment = ForeignKey(Appointment, on_delete=OnDelete.cascade, null=False)
    revision = Integer()
    channel = Varchar(length=10)  # email | sms
    kind = Varchar(length=20)  # reminder
    state = Varchar(length=10, default=PENDING)
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
    """An administrator's wording for one channel and kind (built-in wording when absent)."""

    channel = Varchar(length=10)
    kind = Varchar(length=20)
    subject = Varchar(length=200, default="")
    body = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class ReminderLinkUse(Table, tablename="reminder_link_use"):
    """A confirm or cancel link that has been used (unique token id): it works once."""

    token_id = Varchar(length=40, unique=True)
    appointment = ForeignKey(Appointment, on_delete=OnDelete.cascade, null=False)
    action = Varchar(length=10)
    used_at = Timestamptz(default=TimestamptzNow())


class CalendarFeed(Table, tablename="calendar_feed"):
    """A provider's private calendar address; only the token's SHA-256 is stored."""

    staff = ForeignKey(Staff, on_delete=OnDelete.cascade, null=False)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
