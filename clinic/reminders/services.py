"""Reminders' services: the screens and jobs call these.

- ``reminder_log``: an appointment's messages, for its detail screen.
- ``generate_reminders`` / ``send_reminders``: the periodic jobs' work.
- ``open_link`` / ``use_link``: the patient's signed confirm/cancel links.
- ``create_feed`` / ``revoke_feed`` / ``feed_owner``: providers' calendar feeds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from clinic.audit.services import Actor, record
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.db.errors import IntegrityViolation, WriteConflict
from clinic.practice.services import practice
from clinic.reminders import links, outbox, queries, rules
from clinic.reminders.config import configure, current  # noqa: F401  (the app configures through here)
from clinic.reminders.tables import PENDING, CalendarFeed, ReminderLinkUse, ReminderMessage
from clinic.reminders.wording import reset_wording, save_wording, wordings  # noqa: F401

UTC = dt.timezone.utc


async def clinic_locale():
    """The clinic's name and ways as an administrator last set them, for work outside a request."""
    profile = await practice(current.practice_defaults)
    return profile, profile.locale(current.base_locale)


SAMPLE = {"date": "Tue, Mar 2, 2027", "time": "10:00 AM", "clinic": "Riverside Clinic",
          "clinic_phone": "(415) 555-0100", "provider": "Lena",
          "confirm_link": "https://clinic.example.org/r/...", "cancel_link": "https://clinic.example.org/r/..."}


def preview(wording) -> dict[str, str]:
    """The wording filled in with an example appointment, for the administrators' screen."""
    from clinic.reminders.wording import compose

    return {"subject": compose(wording.subject, SAMPLE), "body": compose(wording.body, SAMPLE)}


# -- the log ---------------------------------------------------------------------


async def reminder_log(appointment_id: int) -> list[dict]:
    """Every message about an appointment, oldest first: channel, state, attempts, when, why not."""
    rows = await ReminderMessage.select(
        ReminderMessage.id, ReminderMessage.revision, ReminderMessage.channel, ReminderMessage.kind,
        ReminderMessage.state, ReminderMessage.attempts, ReminderMessage.next_attempt_at, ReminderMessage.sent_at,
        ReminderMessage.last_error, ReminderMessage.created_at,
    ).where(ReminderMessage.appointment == appointment_id).order_by(ReminderMessage.id)
    for row in rows:
        row["channel_label"] = rules.CHANNEL_LABELS.get(row["channel"], row["channel"])
        row["state_label"] = rules.STATE_LABELS.get(row["state"], row["state"])
        row["waiting_for_setup"] = row["state"] == "pending" and row["channel"] not in current.delivery.channels
    return rows


async def failed_messages(limit: int = 20) -> list[dict]:
    """The latest messages that gave up, newest first: when the appointment is, the channel and why (no names)."""
    rows = await ReminderMessage.select(
        ReminderMessage.id, ReminderMessage.appointment, ReminderMessage.channel, ReminderMessage.starts_at,
        ReminderMessage.attempts, ReminderMessage.last_error,
    ).where(ReminderMessage.state == "failed").order_by(ReminderMessage.id, ascending=False).limit(limit)
    for row in rows:
        row["channel_label"] = rules.CHANNEL_LABELS.get(row["channel"], row["channel"])
    return rows


async def appointment_exists(appointment_id: int) -> bool:
    return bool(await queries.appointment_facts([appointment_id]))


async def outbox_counts() -> dict[str, int]:
    """How many messages are in each state (for the administrators' screen)."""
    from piccolo.query.functions.aggregate import Count

    rows = await ReminderMessage.select(ReminderMessage.state, Count(ReminderMessage.id, alias="n")).group_by(
        ReminderMessage.state)
    return {row["state"]: row["n"] for row in rows}


async def outbox_backlog(now: dt.datetime | None = None) -> int:
    """Messages due by now and not yet sent: a growing number means delivery is stuck."""
    now = now or clock.now()
    return await ReminderMessage.count().where((ReminderMessage.state == PENDING) & (ReminderMessage.due_at <= now))


# -- jobs ------------------------------------------------------------------------


async def generate_reminders(now: dt.datetime | None = None) -> dict:
    _, locale = await clinic_locale()
    return await outbox.generate(locale.zone, now)


async def send_reminders(now: dt.datetime | None = None, *, sender: str | None = None) -> dict:
    profile, locale = await clinic_locale()
    return await outbox.send_due(profile, locale, sender=sender, now=now)


# -- confirm and cancel links ---------------------------------------------------------


class LinkNotFound(LookupError):
    """Not a link we made (or altered): answered as not found."""


@dataclass(frozen=True)
class LinkPage:
    """What the patient's page shows: only the date, time and clinic, and whether the action can be taken."""

    action: str
    date: str
    time: str
    clinic: str
    ready: bool
    message: str = ""
    # After a confirmation: a fresh link to cancel instead (the old ones named the previous revision).
    cancel_token: str = ""


def _cancellation_window() -> dt.timedelta:
    from clinic.scheduling.booking import cancellation_window

    return cancellation_window()


async def _judge(token: str) -> tuple[links.Link, dict, str]:
    try:
        link = links.read_token(token)
    except links.BadLink:
        raise LinkNotFound() from None
    facts = (await queries.appointment_facts([link.appointment_id])).get(link.appointment_id)
    if facts is None:
        raise LinkNotFound()
    now = clock.now()
    used = await ReminderLinkUse.exists().where(ReminderLinkUse.token_id == link.token_id)
    if used:
        return link, facts, "This link has already been used."
    if now >= link.expires_at:
        return link, facts, "This link has expired."
    # What the patient most needs to know first: it is off, or already confirmed (by the desk, say).
    if facts["status"] == "cancelled":
        return link, facts, "This appointment is cancelled."
    if link.action == "confirm" and facts["status"] == "confirmed":
        return link, facts, "This appointment is already confirmed."
    if facts["revision"] != link.revision:
        return link, facts, "This appointment has changed since this message was sent. Please call the clinic."
    if link.action == "confirm":
        if facts["status"] != "booked":
            return link, facts, "This appointment can no longer be confirmed. Please call the clinic."
    else:
        if facts["status"] not in ("booked", "confirmed"):
            return link, facts, "This appointment can no longer be cancelled. Please call the clinic."
        if now > facts["starts_at"] - _cancellation_window():
            return link, facts, "It is too close to the appointment to cancel online. Please call the clinic."
    return link, facts, ""


async def _page(link: links.Link, facts: dict, message: str, *, ready: bool, cancel_token: str = "") -> LinkPage:
    profile, locale = await clinic_locale()
    return LinkPage(action=link.action, date=locale.long_date(facts["starts_at"]),
                    time=locale.format_time(facts["starts_at"]), clinic=profile.name, ready=ready, message=message,
                    cancel_token=cancel_token)


async def open_link(token: str) -> LinkPage:
    """The page a link opens (a GET changes nothing: mail scanners open links too)."""
    link, facts, problem = await _judge(token)
    return await _page(link, facts, problem, ready=not problem)


async def use_link(token: str, actor: Actor) -> LinkPage:
    """Confirm or cancel through scheduling's services, once; the link is spent in the same transaction."""
    from clinic.scheduling import services as scheduling

    link, facts, problem = await _judge(token)
    if problem:
        return await _page(link, facts, problem, ready=False)
    _, locale = await clinic_locale()
    engine = ReminderLinkUse._meta.db
    try:
        async with engine.transaction():
            # Scheduling takes its locks first, in its own order (provider, patient, appointment); the
            # token is spent after, in the same transaction: a second use rolls the change back with it.
            if link.action == "confirm":
                await scheduling.set_status(link.appointment_id, link.revision, "confirmed", actor, locale)
            else:
                await scheduling.cancel(link.appointment_id, link.revision, "Cancelled by the patient (reminder link)",
                                        actor, locale)
            await ReminderLinkUse.insert(ReminderLinkUse(token_id=link.token_id, appointment=link.appointment_id,
                                                         action=link.action, used_at=clock.now()))
    except IntegrityViolation:
        return await _page(link, facts, "This link has already been used.", ready=False)
    except (scheduling.AppointmentChanged, Invalid):
        return await _page(link, facts, "This appointment has changed. Please call the clinic.", ready=False)
    except WriteConflict:
        return await _page(link, facts, "The clinic was busy changing this appointment. Please try again.",
                           ready=True)
    if link.action == "confirm":
        fresh = (await queries.appointment_facts([link.appointment_id]))[link.appointment_id]
        cancel_token = ""
        if clock.now() <= fresh["starts_at"] - _cancellation_window():
            cancel_token = links.make_token(link.appointment_id, fresh["revision"], "cancel", fresh["starts_at"])
        return await _page(link, fresh, "Thank you: your appointment is confirmed.", ready=False,
                           cancel_token=cancel_token)
    return await _page(link, facts, "Your appointment is cancelled. Thank you for letting us know.", ready=False)


def patient_actor(client_address: str = "", user_agent: str = "") -> Actor:
    """The patient, acting through a signed link (no staff member)."""
    return Actor(staff_id=None, role="patient-link", client_address=client_address, user_agent=user_agent)


# -- calendar feeds -----------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def feed_state(staff_id: int) -> dict | None:
    return await CalendarFeed.select(CalendarFeed.id, CalendarFeed.created_at).where(
        (CalendarFeed.staff == staff_id) & CalendarFeed.revoked_at.is_null()).first()


async def create_feed(staff_id: int, actor: Actor) -> str:
    """A new private address (any earlier one stops working); the token is shown once and stored hashed."""
    token = secrets.token_urlsafe(32)
    engine = CalendarFeed._meta.db
    async with engine.transaction():
        await CalendarFeed.update({CalendarFeed.revoked_at: clock.now()}).where(
            (CalendarFeed.staff == staff_id) & CalendarFeed.revoked_at.is_null())
        await CalendarFeed.insert(CalendarFeed(staff=staff_id, token_hash=_hash(token), created_at=clock.now()))
        await record("calendar_feed.create", actor, entity_type="staff", entity_id=staff_id)
    return token


async def revoke_feed(staff_id: int, actor: Actor) -> bool:
    engine = CalendarFeed._meta.db
    async with engine.transaction():
        active = await feed_state(staff_id)
        if active is None:
            return False
        await CalendarFeed.update({CalendarFeed.revoked_at: clock.now()}).where(CalendarFeed.id == active["id"])
        await record("calendar_feed.revoke", actor, entity_type="staff", entity_id=staff_id)
    return True


async def feed_owner(token: str) -> int | None:
    if not 20 <= len(token) <= 100:
        return None
    row = await CalendarFeed.select(CalendarFeed.staff).where(
        (CalendarFeed.token_hash == _hash(token)) & CalendarFeed.revoked_at.is_null()).first()
    return row["staff"] if row else None


FEED_PAST = dt.timedelta(days=30)
FEED_AHEAD = dt.timedelta(days=180)


async def feed_calendar(staff_id: int) -> bytes:
    """The provider's appointments as iCalendar: initials and type only, cancelled ones left out."""
    import icalendar

    profile, _ = await clinic_locale()
    now = clock.now()
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Clinic//Provider feed//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{profile.name} appointments")
    for row in await queries.provider_calendar(staff_id, now - FEED_PAST, now + FEED_AHEAD):
        event = icalendar.Event()
        event.add("uid", f"appointment-{row['id']}@clinic")
        event.add("dtstamp", now)
        event.add("dtstart", row["starts_at"])
        event.add("dtend", row["ends_at"])
        event.add("sequence", row["revision"])
        what = row["type_name"] or "Appointment"
        event.add("summary", f"{rules.initials(row['first_name'], row['last_name'])} {what}".strip())
        calendar.add_component(event)
    return calendar.to_ical()
