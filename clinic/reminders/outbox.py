"""The reminder outbox: rows generated for coming appointments, voided when
their appointment is cancelled or moved, and sent exactly once.

Generating (a periodic job, never a hook in scheduling): every booked or
confirmed appointment starting within the lead time gets one row per channel
the patient can be reached on, keyed by (appointment, revision, channel,
kind) with a unique index, so repeated or concurrent runs add nothing. A
later revision that changed neither the time nor the provider (a status
change: the patient confirmed) needs no second message; one that moved the
appointment does, and voids the old row.

Sending, exactly once per row even with several instances:

1. Claim (one transaction): the oldest due pending row, locked (``FOR UPDATE
   SKIP LOCKED`` on MySQL, SQLite's write lock), and its appointment, locked
   and re-checked: cancelled, moved or too close to its start voids the row;
   quiet hours defer it. Otherwise the row gets a lease (``due_at`` = lease
   end, ``leased_by`` = this sender, ``attempts`` + 1) and the transaction
   commits. Another sender skips it until the lease ends.
2. Deliver, outside any transaction: connect (and sign in) to the SMTP
   server, then check the appointment once more, at the last moment, and
   only then hand the message over (the gateway: check, then POST).
   A cancellation committed in between voids the row instead.
3. Finish (one transaction): the row is locked again and, only if the lease
   is still ours (sender name and attempt), marked sent, or failed / due
   again after a back-off, or cancelled by that last check.

No lock is held across the network call, so a slow mail server never stalls
the book: only a cancellation committed while the message itself is being
transferred (after the last check) is not seen.

The one window that cannot be closed: a crash (or a lost database) after
the SMTP server accepted the message and before step 3 commits. The lease
then runs out and the row is sent again. Both copies carry the same
Message-ID (derived from the row's key), so mail software and people can
recognise the repeat; the SMS webhook gets the same id as Idempotency-Key.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
from dataclasses import dataclass

from clinic.core import clock
from clinic.db.errors import IntegrityViolation, WriteConflict
from clinic.db.transactions import can_skip_locked, for_update
from clinic.reminders import links, queries, rules
from clinic.reminders.config import current
from clinic.reminders.delivery import Email, NoLongerWanted, send_email, send_text
from clinic.reminders.tables import CANCELLED, FAILED, PENDING, SENT, ReminderMessage
from clinic.reminders.wording import compose, wordings

UTC = dt.timezone.utc
logger = logging.getLogger("clinic.reminders")


def sender_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def _second(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def channels_for(appointment: dict) -> list[str]:
    return [channel for channel, address in (("email", appointment.get("email")), ("sms", appointment.get("phone")))
            if address]


def stale_reason(row: dict, facts: dict | None, now: dt.datetime) -> str:
    """Why a waiting reminder must not go any more ("" when it still should)."""
    if facts is None:
        return "appointment gone"
    if facts["status"] not in queries.REMINDABLE:
        return f"appointment {facts['status']}"[:80]
    if _second(facts["starts_at"]) != _second(row["starts_at"]) or facts["provider_id"] != row["provider_id"]:
        return "appointment moved"
    if rules.too_late(facts["starts_at"], now):
        return "too late"
    return ""


# -- generating and voiding ----------------------------------------------------


async def generate(zone, now: dt.datetime | None = None) -> dict:
    """Rows for coming appointments (idempotent), then void what went stale."""
    now = now or clock.now()
    appointments = [row for row in await queries.appointments_starting(now + rules.TOO_LATE, now + rules.LEAD_TIME)
                    if row["archived_at"] is None]
    existing: dict[int, list[dict]] = {}
    if appointments:
        for row in await ReminderMessage.select(
                ReminderMessage.appointment, ReminderMessage.revision, ReminderMessage.channel,
                ReminderMessage.kind, ReminderMessage.state, ReminderMessage.starts_at,
                ReminderMessage.provider_id).where(
                ReminderMessage.appointment.is_in([row["id"] for row in appointments])):
            existing.setdefault(row["appointment"], []).append(row)
    created = 0
    for appointment in appointments:
        for channel in channels_for(appointment):
            for kind in rules.KINDS:
                mine = [row for row in existing.get(appointment["id"], [])
                        if row["channel"] == channel and row["kind"] == kind]
                if any(row["revision"] == appointment["revision"] for row in mine):
                    continue
                if any(row["state"] != CANCELLED and not stale_reason(row, appointment, now) for row in mine):
                    continue  # already said (or saying) this time with this provider
                when = rules.first_attempt(appointment["starts_at"], now, zone)
                try:
                    await ReminderMessage.insert(ReminderMessage(
                        appointment=appointment["id"], revision=appointment["revision"], channel=channel,
                        kind=kind, state=PENDING, starts_at=appointment["starts_at"],
                        provider_id=appointment["provider_id"], next_attempt_at=when, due_at=when,
                        created_at=now))
                except IntegrityViolation:
                    continue  # another instance generated it a moment ago
                created += 1
    return {"created": created, "voided": await void_stale(now), "forgotten_links": await forget_spent_links(now)}


# Links expire at their appointment, at most days after they are sent: a spent token's id is kept
# well past that (an expired link is refused anyway), then forgotten.
SPENT_LINKS_KEPT = dt.timedelta(days=30)


async def forget_spent_links(now: dt.datetime) -> int:
    from clinic.db.pruning import delete_in_batches
    from clinic.reminders.tables import ReminderLinkUse

    return await delete_in_batches(ReminderLinkUse, ReminderLinkUse.used_at < now - SPENT_LINKS_KEPT)


async def void_stale(now: dt.datetime | None = None) -> int:
    """Cancel waiting rows whose appointment was cancelled, moved, or is about to start.
    Rows a sender holds right now are left to it (it re-checks before sending)."""
    now = now or clock.now()
    waiting = await ReminderMessage.select(
        ReminderMessage.id, ReminderMessage.appointment, ReminderMessage.starts_at, ReminderMessage.provider_id,
        ReminderMessage.lease_until).where(ReminderMessage.state == PENDING)
    facts = await queries.appointment_facts(sorted({row["appointment"] for row in waiting}))
    voided = 0
    for row in waiting:
        if row["lease_until"] is not None and row["lease_until"] > now:
            continue
        reason = stale_reason(row, facts.get(row["appointment"]), now)
        if reason:
            await ReminderMessage.update({
                ReminderMessage.state: CANCELLED, ReminderMessage.due_at: None, ReminderMessage.last_error: reason,
            }).where((ReminderMessage.id == row["id"]) & (ReminderMessage.state == PENDING)
                     & ((ReminderMessage.lease_until.is_null()) | (ReminderMessage.lease_until <= now)))
            voided += 1
    return voided


# -- sending -------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    id: int
    appointment_id: int
    revision: int  # the appointment's revision when claimed: its links bind to it
    row_revision: int
    channel: str
    kind: str
    attempt: int
    sender: str
    # What the message states: checked again at the last moment.
    starts_at: dt.datetime = None  # type: ignore[assignment]
    provider_id: int = 0


_SKIPPED = object()


async def claim_next(sender: str, zone, channels: tuple[str, ...], now: dt.datetime | None = None):
    """Claim the oldest due row of a channel we can deliver; None when there is none."""
    if not channels:
        return None
    now = now or clock.now()
    engine = ReminderMessage._meta.db
    async with engine.transaction():
        query = (ReminderMessage.select(ReminderMessage.all_columns())
                 .where((ReminderMessage.state == PENDING) & (ReminderMessage.due_at <= now)
                        & ReminderMessage.channel.is_in(list(channels)))
                 .order_by(ReminderMessage.due_at).order_by(ReminderMessage.id))
        row = await for_update(query, skip_locked=can_skip_locked(engine)).first()
        if row is None:
            return None
        facts = (await queries.appointment_facts([row["appointment"]], lock=True)).get(row["appointment"])
        reason = stale_reason(row, facts, now)
        if reason:
            await ReminderMessage.update({ReminderMessage.state: CANCELLED, ReminderMessage.due_at: None,
                                          ReminderMessage.lease_until: None, ReminderMessage.last_error: reason}
                                         ).where(ReminderMessage.id == row["id"])
            return _SKIPPED
        if rules.in_quiet_hours(now, zone):
            later = rules.after_quiet_hours(now, zone)
            await ReminderMessage.update({ReminderMessage.next_attempt_at: later, ReminderMessage.due_at: later,
                                          ReminderMessage.lease_until: None}).where(ReminderMessage.id == row["id"])
            return _SKIPPED
        lease_until = now + rules.LEASE
        await ReminderMessage.update({
            ReminderMessage.attempts: row["attempts"] + 1, ReminderMessage.lease_until: lease_until,
            ReminderMessage.due_at: lease_until, ReminderMessage.leased_by: sender,
            # A row claimed again after its lease ran out may have gone already (see the module's note).
            ReminderMessage.last_error: "lease expired" if row["leased_by"] else row["last_error"],
        }).where(ReminderMessage.id == row["id"])
    return Claim(id=row["id"], appointment_id=row["appointment"], revision=facts["revision"],
                 row_revision=row["revision"], channel=row["channel"], kind=row["kind"],
                 attempt=row["attempts"] + 1, sender=sender, starts_at=row["starts_at"],
                 provider_id=row["provider_id"])


async def finish(claim: Claim, error: Exception | None, zone, now: dt.datetime | None = None) -> str:
    """Record how the delivery went, if the row is still ours. Returns the new state ("" if lost)."""
    now = now or clock.now()
    engine = ReminderMessage._meta.db
    async with engine.transaction():
        row = await for_update(ReminderMessage.select(
            ReminderMessage.state, ReminderMessage.leased_by, ReminderMessage.attempts).where(
            ReminderMessage.id == claim.id)).first()
        if row is None or row["state"] != PENDING or row["leased_by"] != claim.sender \
                or row["attempts"] != claim.attempt:
            logger.warning("reminder lease lost", extra={"reminder_id": claim.id})
            return ""
        if isinstance(error, NoLongerWanted):
            changes = {ReminderMessage.state: CANCELLED, ReminderMessage.due_at: None,
                       ReminderMessage.lease_until: None, ReminderMessage.last_error: error.reason[:80]}
        elif error is None:
            changes = {ReminderMessage.state: SENT, ReminderMessage.sent_at: now, ReminderMessage.due_at: None,
                       ReminderMessage.lease_until: None, ReminderMessage.last_error: ""}
        elif claim.attempt >= rules.MAX_ATTEMPTS:
            changes = {ReminderMessage.state: FAILED, ReminderMessage.due_at: None,
                       ReminderMessage.lease_until: None, ReminderMessage.last_error: describe(error)}
        else:
            later = rules.after_quiet_hours(now + rules.retry_delay(claim.attempt), zone)
            changes = {ReminderMessage.next_attempt_at: later, ReminderMessage.due_at: later,
                       ReminderMessage.lease_until: None, ReminderMessage.last_error: describe(error)}
        await ReminderMessage.update(changes).where(ReminderMessage.id == claim.id)
    return changes.get(ReminderMessage.state, PENDING)


def describe(error: Exception) -> str:
    """An error as the log may show it: its type, and our own refusals' short status (never content)."""
    from clinic.reminders.delivery import DeliveryRefused

    if isinstance(error, DeliveryRefused):
        return f"refused: {error}"[:80]
    return type(error).__name__[:80]


def _phone(number: str, locale) -> str:
    try:
        return locale.format_phone(number) if number else ""
    except ValueError:
        return number


async def deliver(claim: Claim, practice, locale) -> None:
    """Compose and hand over one claimed message (raises on failure)."""
    details = await queries.message_details(claim.appointment_id)
    if details is None:
        raise LookupError("appointment gone")
    expires = details["starts_at"]
    base = current.public_url
    values = {
        "date": locale.long_date(details["starts_at"]), "time": locale.format_time(details["starts_at"]),
        "clinic": practice.name, "clinic_phone": _phone(practice.phone, locale),
        "provider": details["provider_name"] or "",
        "confirm_link": f"{base}/r/{links.make_token(claim.appointment_id, claim.revision, 'confirm', expires)}",
        "cancel_link": f"{base}/r/{links.make_token(claim.appointment_id, claim.revision, 'cancel', expires)}",
    }
    wording = (await wordings())[(claim.channel, claim.kind)]
    delivery = current.delivery

    async def last_check() -> None:
        facts = (await queries.appointment_facts([claim.appointment_id])).get(claim.appointment_id)
        reason = stale_reason({"starts_at": claim.starts_at, "provider_id": claim.provider_id}, facts, clock.now())
        if reason:
            raise NoLongerWanted(reason)

    message_id = rules.message_id(claim.appointment_id, claim.row_revision, claim.channel, claim.kind,
                                  delivery.mail_domain)
    if claim.channel == "email":
        if not details["email"]:
            raise LookupError("no email address")
        await send_email(delivery, Email(
            to=details["email"], subject=compose(wording.subject, values), body=compose(wording.body, values),
            message_id=message_id, uid=f"appointment-{claim.appointment_id}@{delivery.mail_domain}",
            starts_at=details["starts_at"], ends_at=details["ends_at"], sequence=claim.revision,
            summary=f"Appointment at {practice.name}", sender_name=practice.name, reply_to=practice.email),
            last_check)
    else:
        if not details["phone"]:
            raise LookupError("no phone number")
        await send_text(delivery, details["phone"], compose(wording.body, values), message_id, last_check)


async def hand_over(claim: Claim, practice, locale, now: dt.datetime | None = None) -> str:
    """Deliver one claimed message and record the outcome; returns the row's new state ("" if lost)."""
    error: Exception | None = None
    try:
        await deliver(claim, practice, locale)
    except Exception as failure:  # any failure is retried; the row records its type
        error = failure
    return await finish(claim, error, locale.zone, now)


async def send_due(practice, locale, *, sender: str | None = None, limit: int = 200,
                   now: dt.datetime | None = None) -> dict:
    """Send every due reminder this process can deliver (up to ``limit`` claims)."""
    sender = sender or sender_name()
    counts = {"sent": 0, "failed": 0, "retrying": 0, "skipped": 0}
    for _ in range(limit):
        try:
            claim = await claim_next(sender, locale.zone, current.delivery.channels, now)
        except WriteConflict:
            continue  # chosen as a deadlock victim: look again
        if claim is None:
            break
        if claim is _SKIPPED:
            counts["skipped"] += 1
            continue
        state = await hand_over(claim, practice, locale, now)
        if state:
            counts[{SENT: "sent", FAILED: "failed", CANCELLED: "skipped"}.get(state, "retrying")] += 1
    return counts
