"""Reminders' pure rules: when a message may go, how long to wait after a
failure, what a template may say, and how a message is named. No database."""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
CHANNELS = ("email", "sms")
CHANNEL_LABELS = {"email": "Email", "sms": "Text message"}
KINDS = ("reminder",)
STATE_LABELS = {"pending": "Waiting", "sent": "Sent", "failed": "Failed", "cancelled": "Not sent"}

# Appointments starting within this much of now get their reminder rows.
LEAD_TIME = dt.timedelta(hours=48)
# A reminder goes out this long before the appointment (or at once, if booked later).
SEND_BEFORE = dt.timedelta(hours=24)
# Closer to the start than this, a reminder is no use: it is voided.
TOO_LATE = dt.timedelta(hours=1)
# Quiet hours, clinic time: nothing is sent from QUIET_FROM until QUIET_UNTIL (deferred, not dropped).
QUIET_FROM = dt.time(20, 0)
QUIET_UNTIL = dt.time(8, 0)
# Retries: 1, 2, 4, 8 ... minutes, at most an hour apart; after MAX_ATTEMPTS the row is failed.
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=1)
MAX_ATTEMPTS = 6
# A sender holds a row this long; the SMTP and webhook timeouts are well inside it.
LEASE = dt.timedelta(minutes=2)
DELIVERY_TIMEOUT_SECONDS = 30

# What a template may name: when, where and with whom; never why.
PLACEHOLDERS = {
    "date": "the appointment's date",
    "time": "its start time",
    "clinic": "the clinic's name",
    "clinic_phone": "the clinic's phone number",
    "provider": "the provider's display name",
    "confirm_link": "the link that confirms the appointment",
    "cancel_link": "the link that cancels it",
}


def in_quiet_hours(moment: dt.datetime, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def after_quiet_hours(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """``moment`` itself, or the end of the quiet hours it falls in (UTC)."""
    if not in_quiet_hours(moment, zone):
        return moment
    local = moment.astimezone(zone)
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + dt.timedelta(days=1)
    # fold=0 and a wall time well away from the usual 01:00-03:00 changes: exists once.
    return dt.datetime.combine(day, QUIET_UNTIL, tzinfo=zone).astimezone(UTC)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after ``attempts`` failed tries."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LONGEST_RETRY)


def first_attempt(starts_at: dt.datetime, now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """When a new reminder should first go: a day ahead, never in quiet hours."""
    return after_quiet_hours(max(now, starts_at - SEND_BEFORE), zone)


def too_late(starts_at: dt.datetime, moment: dt.datetime) -> bool:
    return moment > starts_at - TOO_LATE


def message_id(appointment_id: int, revision: int, channel: str, kind: str, domain: str) -> str:
    """One Message-ID per outbox row: a message sent twice (the one window, a
    crash between the server's acceptance and our commit) is recognisably the same."""
    return f"<reminder.{appointment_id}.{revision}.{channel}.{kind}@{domain}>"


def initials(first_name: str, last_name: str) -> str:
    return "".join(part[:1].upper() + "." for part in (first_name.strip(), last_name.strip()) if part)


class TemplateProblem(ValueError):
    pass


def placeholders_in(text: str) -> list[str]:
    """The names a template uses; refuses anything but plain ``{name}`` of the allowed ones."""
    names = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise TemplateProblem("Braces must pair up: write {date}, or {{ and }} for a brace itself.") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            allowed = ", ".join("{" + key + "}" for key in PLACEHOLDERS)
            raise TemplateProblem(f"{{{name}}} is not allowed. Use only {allowed}.")
        names.append(name)
    return names


def fill(text: str, values: dict[str, str]) -> str:
    placeholders_in(text)
    return text.format(**{name: values.get(name, "") for name in PLACEHOLDERS})


@dataclass(frozen=True)
class Wording:
    channel: str
    kind: str
    subject: str
    body: str
    custom: bool = False


DEFAULT_WORDING = {
    ("email", "reminder"): Wording(
        "email", "reminder", "Reminder: your appointment on {date} at {time}",
        "Hello,\n\nThis is a reminder of your appointment at {clinic} on {date} at {time} with {provider}.\n\n"
        "Confirm: {confirm_link}\nCancel: {cancel_link}\n\n"
        "To change the time, call us on {clinic_phone}.\n\n{clinic}"),
    ("sms", "reminder"): Wording(
        "sms", "reminder", "",
        "{clinic}: appointment {date} {time}. Confirm {confirm_link} Cancel {cancel_link}"),
}
