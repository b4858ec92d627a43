"""Booking, moving, status changes and cancelling: conflict-free under concurrency.

Every write runs in ONE transaction that first locks the provider's staff row
(``SELECT ... FOR UPDATE`` on MySQL; on SQLite the transaction itself begins
IMMEDIATE and holds the database's write lock), then the patient's row and
the room's, always in that order, and only then reads what is booked, judges
the conflicts and writes. Nobody can book the provider between the check and
the insert, and on MySQL the locks come before the transaction's first plain
read, so its snapshot already holds everything committed by whoever locked
before us. Each change writes an ``AppointmentChange`` row, bumps the
appointment's ``revision`` (reminders key on it) and records an audit entry,
all in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from clinic.audit.services import Actor, record
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.locale import Locale
from clinic.db.errors import IntegrityViolation, WriteConflict
from clinic.db.transactions import for_update
from clinic.scheduling import rules
from clinic.scheduling.conflicts import Conflict, conflicts_for, load_calendar
from clinic.scheduling.queries import lock_patient, patient_state
from clinic.scheduling.rules import Span, span_of
from clinic.scheduling.tables import (
    Appointment,
    AppointmentChange,
    AppointmentType,
    AppointmentTypeProvider,
    Room,
)
from clinic.security.tables import Staff

MIN_MINUTES = 5
MAX_MINUTES = 8 * 60
# A deadlock (MySQL) or lock timeout: the transaction is retried from the start this many times.
ATTEMPTS = 4
# The fields an AppointmentChange compares before and after.
TRACKED = ("starts_at", "ends_at", "provider", "room", "type", "status", "notes", "cancel_reason", "late_cancel",
           "overbook_reason")


@dataclass(frozen=True)
class Booking:
    patient_id: int
    provider_id: int
    type_id: int | None
    starts_at: dt.datetime  # aware, UTC
    minutes: int
    room_id: int | None = None
    notes: str = ""
    reason: str = ""
    # Non-empty: book on top of the conflicts on purpose, and why (recorded and audited).
    overbook_reason: str = ""
    # From the booking form: the same token again returns the appointment it made.
    idempotency_token: str | None = None


class BookingRefused(Invalid):
    """The time breaks one or more rules; ``conflicts`` says which, naming the other appointment."""

    def __init__(self, conflicts: list[Conflict]):
        super().__init__({"starts_at": " ".join(conflict.message for conflict in conflicts)})
        self.conflicts = conflicts


class AppointmentNotFound(LookupError):
    pass


@dataclass
class AppointmentChanged(Exception):
    """Someone changed the appointment since this form was loaded (its revision moved on)."""

    current: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Subject:
    """What a booking names, checked and loaded inside the transaction."""

    provider_name: str
    room_name: str
    may_overlap: bool
    type_name: str


# -- locking -----------------------------------------------------------------


@dataclass(frozen=True)
class Locked:
    """The rows ``lock_rows`` holds, as read under the lock (``check_subject`` needs no second read)."""

    provider: dict
    patient: dict | None = None
    room: dict | None = None


async def lock_rows(provider_id: int, patient_id: int | None, room_id: int | None) -> Locked:
    """Provider, then patient, then room: every writer takes them in this order, so none deadlock."""
    provider = await for_update(Staff.select(Staff.id, Staff.display_name, Staff.full_name, Staff.active).where(
        Staff.id == provider_id)).first()
    if provider is None:
        raise Invalid({"provider_id": "Choose a provider."})
    patient = await lock_patient(patient_id) if patient_id is not None else None
    room = None
    if room_id is not None:
        room = await for_update(Room.select(Room.id, Room.name, Room.active).where(Room.id == room_id)).first()
    return Locked(provider=provider, patient=patient, room=room)


async def retrying(work):
    """Run ``work()`` (which opens its own transaction) again after a deadlock."""
    for attempt in range(ATTEMPTS):
        try:
            return await work()
        except WriteConflict:
            if attempt == ATTEMPTS - 1:
                raise


# -- checks ------------------------------------------------------------------


def check_minutes(minutes: int) -> None:
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise Invalid({"minutes": f"An appointment lasts {MIN_MINUTES} minutes to {MAX_MINUTES // 60} hours."})


def check_start(starts_at: dt.datetime) -> None:
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be an aware datetime")
    if starts_at.second or starts_at.microsecond:
        raise Invalid({"starts_at": "Choose a start time in whole minutes."})


def _held(locked: Locked | None, name: str, row_id: int | None) -> dict | None | bool:
    """The row ``lock_rows`` read for ``name`` if it is the one asked for; False when it was not read."""
    row = getattr(locked, name) if locked is not None else None
    return row if row is not None and row["id"] == row_id else False


async def check_subject(*, patient_id: int | None, provider_id: int, type_id: int | None,
                        room_id: int | None, locked: Locked | None = None) -> Subject:
    """The patient, provider, type and room exist and go together."""
    errors: dict[str, str] = {}
    if patient_id is not None:
        patient = _held(locked, "patient", patient_id)
        if patient is False:
            patient = await patient_state(patient_id)
        if patient is None:
            errors["patient_id"] = "Choose a patient."
        elif patient["merged_into"] or patient["archived_at"]:
            errors["patient_id"] = "This patient's record is archived."
    provider = _held(locked, "provider", provider_id)
    if provider is False:
        provider = await Staff.select(Staff.id, Staff.display_name, Staff.full_name, Staff.active).where(
            Staff.id == provider_id).first()
    if provider is None or not provider["active"]:
        errors["provider_id"] = "Choose an active provider."
    kind = None
    if type_id is not None:
        kind = await AppointmentType.select().where(AppointmentType.id == type_id).first()
        if kind is None or not kind["active"]:
            errors["type_id"] = "Choose an appointment type."
        elif provider is not None:
            offered_by = {row["provider"] for row in await AppointmentTypeProvider.select(
                AppointmentTypeProvider.provider).where(AppointmentTypeProvider.type == type_id)}
            if offered_by and provider_id not in offered_by:
                errors["type_id"] = f"{provider['display_name'] or provider['full_name']} does not offer {kind['name']}."
    room = None
    if room_id is not None:
        room = _held(locked, "room", room_id)
        if room is False:
            room = await Room.select(Room.id, Room.name, Room.active).where(Room.id == room_id).first()
        if room is None or not room["active"]:
            errors["room_id"] = "Choose a room."
    elif kind is not None and kind["needs_room"]:
        errors["room_id"] = f"{kind['name']} needs a room."
    if errors:
        raise Invalid(errors)
    return Subject(provider_name=provider["display_name"] or provider["full_name"],
                   room_name=room["name"] if room else "", may_overlap=bool(kind and kind["may_overlap"]),
                   type_name=kind["name"] if kind else "")


async def judge(span: Span, locale: Locale, subject: Subject, *, provider_id: int, patient_id: int,
                room_id: int | None, exclude: tuple[int, ...] = ()) -> list[Conflict]:
    calendar = await load_calendar(locale, span, provider_id=provider_id, patient_id=patient_id, room_id=room_id,
                                   exclude=exclude)
    return conflicts_for(span, calendar, locale, may_overlap=subject.may_overlap,
                         provider_name=subject.provider_name, room_name=subject.room_name)


def overbooking(conflicts: list[Conflict], overbook_reason: str) -> str:
    """'' when there is nothing to overbook; raises when there is and no reason was given."""
    if not conflicts:
        return ""
    if not overbook_reason.strip():
        raise BookingRefused(conflicts)
    return ",".join(sorted({conflict.kind for conflict in conflicts}))


# -- history -----------------------------------------------------------------


def snapshot(row: dict) -> dict:
    """The tracked fields of an appointment row, as JSON-ready values."""
    values = {}
    for name in TRACKED:
        value = row.get(name)
        values[name] = value.isoformat() if isinstance(value, dt.datetime) else value
    return values


async def write_change(appointment_id: int, what: str, actor: Actor, before: dict | None, after: dict) -> None:
    if before is not None:
        changed = {name for name in after if before.get(name) != after.get(name)}
        before = {name: before.get(name) for name in sorted(changed)}
        after = {name: after.get(name) for name in sorted(changed | {"overbooked"} & set(after))}
    await AppointmentChange.insert(AppointmentChange(
        appointment=appointment_id, changed_at=clock.now(), staff=actor.staff_id, what=what,
        before=json.dumps(before or {}, sort_keys=True), after=json.dumps(after, sort_keys=True)))


# -- booking -----------------------------------------------------------------


async def book(booking: Booking, actor: Actor, locale: Locale) -> int:
    """Book one appointment; returns its id. Raises ``BookingRefused`` (naming each
    conflict) unless ``overbook_reason`` is given, and ``Invalid`` for a bad request."""
    check_minutes(booking.minutes)
    check_start(booking.starts_at)
    if booking.idempotency_token is not None and not 8 <= len(booking.idempotency_token) <= 64:
        raise Invalid({"idempotency_token": "This form has expired; open it again."})

    async def attempt() -> int:
        engine = Appointment._meta.db
        async with engine.transaction():
            locked = await lock_rows(booking.provider_id, booking.patient_id, booking.room_id)
            if booking.idempotency_token:
                existing = await Appointment.select(Appointment.id).where(
                    Appointment.idempotency_token == booking.idempotency_token).first()
                if existing:
                    return existing["id"]
            subject = await check_subject(patient_id=booking.patient_id, provider_id=booking.provider_id,
                                          type_id=booking.type_id, room_id=booking.room_id, locked=locked)
            return await insert_booking(booking, actor, locale, subject=subject)

    try:
        return await retrying(attempt)
    except IntegrityViolation as violation:
        # The same token sent twice at once to different providers: the first insert won.
        if booking.idempotency_token and violation.involves("idempotency_token"):
            existing = await Appointment.select(Appointment.id).where(
                Appointment.idempotency_token == booking.idempotency_token).first()
            if existing:
                return existing["id"]
        raise


async def insert_booking(booking: Booking, actor: Actor, locale: Locale, *, series_id: int | None = None,
                         conflicts: list[Conflict] | None = None, subject: Subject | None = None) -> int:
    """Inside the locked transaction: judge (unless the caller did), insert, history, audit, waitlist."""
    from clinic.scheduling.waitlist import settle_for_booking

    span = span_of(booking.starts_at.astimezone(rules.UTC), booking.minutes)
    if subject is None:
        subject = await check_subject(patient_id=booking.patient_id, provider_id=booking.provider_id,
                                      type_id=booking.type_id, room_id=booking.room_id)
    if conflicts is None:
        conflicts = await judge(span, locale, subject, provider_id=booking.provider_id,
                                patient_id=booking.patient_id, room_id=booking.room_id)
    overbooked = overbooking(conflicts, booking.overbook_reason)
    now = clock.now()
    rows = await Appointment.insert(Appointment(
        patient=booking.patient_id, provider=booking.provider_id, starts_at=span.start, ends_at=span.end,
        status="booked", reason=booking.reason.strip()[:200], type=booking.type_id, room=booking.room_id,
        series=series_id, notes=booking.notes.strip(),
        overbook_reason=booking.overbook_reason.strip()[:200] if overbooked else "",
        idempotency_token=booking.idempotency_token or None, revision=1, created_by=actor.staff_id,
        created_at=now, updated_at=now))
    appointment_id = rows[0]["id"]
    after = snapshot({"starts_at": span.start, "ends_at": span.end, "provider": booking.provider_id,
                      "room": booking.room_id, "type": booking.type_id, "status": "booked",
                      "notes": booking.notes.strip(), "cancel_reason": "", "late_cancel": False,
                      "overbook_reason": booking.overbook_reason.strip()[:200] if overbooked else ""})
    if overbooked:
        after["overbooked"] = overbooked
    await write_change(appointment_id, "booked", actor, None, after)
    detail = [f"overbooked: {overbooked}" if overbooked else "", f"series {series_id}" if series_id else ""]
    await record("appointment.book", actor, entity_type="appointment", entity_id=appointment_id,
                 patient_id=booking.patient_id, detail="; ".join(part for part in detail if part))
    await settle_for_booking(booking.patient_id, booking.provider_id, booking.type_id, appointment_id)
    return appointment_id


# -- changes -----------------------------------------------------------------


async def _current(appointment_id: int, revision: int) -> dict:
    """The appointment, inside the transaction, refused if missing or changed since ``revision``."""
    row = await Appointment.select().where(Appointment.id == appointment_id).first()
    if row is None:
        raise AppointmentNotFound(appointment_id)
    if row["revision"] != revision:
        raise AppointmentChanged(current=row)
    return row


async def _lock_existing(appointment_id: int, *, provider_id: int | None = None, room_id: int | None = None,
                         keep_room: bool = True) -> Locked:
    """Lock the rows an existing appointment's change needs, before any plain read (see module doc)."""
    head = await for_update(Appointment.select(Appointment.provider, Appointment.patient, Appointment.room).where(
        Appointment.id == appointment_id)).first()
    if head is None:
        raise AppointmentNotFound(appointment_id)
    provider = provider_id if provider_id is not None else head["provider"]
    room = room_id if room_id is not None or not keep_room else head["room"]
    return await lock_rows(provider, head["patient"], room)


async def move(appointment_id: int, revision: int, *, starts_at: dt.datetime, minutes: int, provider_id: int,
               room_id: int | None, actor: Actor, locale: Locale, overbook_reason: str = "") -> None:
    """Move or resize (and/or hand to another provider or room), with every rule checked again."""
    check_minutes(minutes)
    check_start(starts_at)

    async def attempt() -> None:
        engine = Appointment._meta.db
        async with engine.transaction():
            locked = await _lock_existing(appointment_id, provider_id=provider_id, room_id=room_id, keep_room=False)
            await move_locked(appointment_id, revision, starts_at=starts_at, minutes=minutes, provider_id=provider_id,
                              room_id=room_id, actor=actor, locale=locale, overbook_reason=overbook_reason,
                              locked=locked)

    await retrying(attempt)


async def move_locked(appointment_id: int, revision: int | None, *, starts_at: dt.datetime, minutes: int,
                      provider_id: int, room_id: int | None, actor: Actor, locale: Locale, overbook_reason: str = "",
                      conflicts: list[Conflict] | None = None, what: str = "moved",
                      exclude: tuple[int, ...] = (), subject: Subject | None = None,
                      locked: Locked | None = None) -> None:
    row = await Appointment.select().where(Appointment.id == appointment_id).first()
    if row is None:
        raise AppointmentNotFound(appointment_id)
    if revision is not None and row["revision"] != revision:
        raise AppointmentChanged(current=row)
    if row["status"] not in ("booked", "confirmed"):
        raise Invalid({"status": f"A {rules.STATUS_LABELS[row['status']].lower()} appointment cannot be moved."})
    if subject is None:
        subject = await check_subject(patient_id=None, provider_id=provider_id, type_id=row["type"], room_id=room_id,
                                      locked=locked)
    span = span_of(starts_at.astimezone(rules.UTC), minutes)
    if conflicts is None:
        conflicts = await judge(span, locale, subject, provider_id=provider_id, patient_id=row["patient"],
                                room_id=room_id, exclude=(appointment_id, *exclude))
    overbooked = overbooking(conflicts, overbook_reason)
    # Moved clear of every conflict, an overbooking is over: its reason goes.
    reason = overbook_reason.strip()[:200] if overbooked else ""
    await Appointment.update({
        Appointment.starts_at: span.start, Appointment.ends_at: span.end, Appointment.provider: provider_id,
        Appointment.room: room_id, Appointment.overbook_reason: reason, Appointment.revision: row["revision"] + 1,
        Appointment.updated_at: clock.now(),
    }).where(Appointment.id == appointment_id)
    after = snapshot({**row, "starts_at": span.start, "ends_at": span.end, "provider": provider_id, "room": room_id,
                      "overbook_reason": reason})
    if overbooked:
        after["overbooked"] = overbooked
    await write_change(appointment_id, what, actor, snapshot(row), after)
    await record("appointment.move", actor, entity_type="appointment", entity_id=appointment_id,
                 patient_id=row["patient"], detail=f"overbooked: {overbooked}" if overbooked else "")


async def set_status(appointment_id: int, revision: int, status: str, actor: Actor, locale: Locale) -> None:
    """Move along booked → confirmed → arrived → in progress → completed, or mark a no-show.
    Cancelling has its own service (``cancel``: it needs a reason)."""
    if status not in rules.STATUSES:
        raise Invalid({"status": "Choose a status."})
    if status == "cancelled":
        raise Invalid({"status": "Cancel with a reason."})

    engine = Appointment._meta.db
    async with engine.transaction():
        locked = await _lock_existing(appointment_id)
        row = await _current(appointment_id, revision)
        if not rules.can_change_status(row["status"], status):
            raise Invalid({"status": f"{rules.STATUS_LABELS[row['status']]} cannot become "
                                     f"{rules.STATUS_LABELS[status].lower()}."})
        if status == "no_show" and row["starts_at"] > clock.now():
            raise Invalid({"status": "An appointment that has not started yet cannot be a no-show."})
        if status in rules.HOLDS_TIME and row["status"] not in rules.HOLDS_TIME:
            # A no-show turned arrived takes its time back: nobody may have been booked into it.
            subject = await check_subject(patient_id=None, provider_id=row["provider"], type_id=row["type"],
                                          room_id=row["room"], locked=locked)
            clashes = [conflict for conflict in await judge(
                Span(row["starts_at"], row["ends_at"]), locale, subject, provider_id=row["provider"],
                patient_id=row["patient"], room_id=row["room"], exclude=(appointment_id,))
                if conflict.kind in ("provider", "patient", "room")]
            if clashes and not row["overbook_reason"]:
                raise BookingRefused(clashes)
        await Appointment.update({Appointment.status: status, Appointment.revision: row["revision"] + 1,
                                  Appointment.updated_at: clock.now()}).where(Appointment.id == appointment_id)
        await write_change(appointment_id, "status", actor, snapshot(row), snapshot({**row, "status": status}))
        await record("appointment.status", actor, entity_type="appointment", entity_id=appointment_id,
                     patient_id=row["patient"], detail=f"{row['status']}->{status}")
        await _tell_followers(appointment_id, status, actor)


# Domains that follow the book (billing voids a cancelled appointment's draft charges and
# charges a missed-appointment fee where the clinic does): each is called as
# hook(appointment_id, new_status, actor) inside the change's transaction, so the book and
# what follows it never disagree. Registered by those domains; this one knows nothing of them.
StatusChanged = Callable[[int, str, Actor], Awaitable[None]]
_status_hooks: list[StatusChanged] = []


def on_status_changed(hook: StatusChanged) -> None:
    if hook not in _status_hooks:
        _status_hooks.append(hook)


async def _tell_followers(appointment_id: int, status: str, actor: Actor) -> None:
    for hook in _status_hooks:
        await hook(appointment_id, status, actor)


def cancellation_window() -> dt.timedelta:
    """How long before the start a cancellation stops being on time (clinic settings have none yet)."""
    return rules.CANCELLATION_WINDOW


async def cancel(appointment_id: int, revision: int, reason: str, actor: Actor, locale: Locale) -> list[dict]:
    """Cancel with a reason; flags a late cancel. Returns waitlist entries that could take the time."""
    from clinic.scheduling.waitlist import matching_waitlist

    if not reason.strip():
        raise Invalid({"cancel_reason": "Say why the appointment is cancelled."})
    engine = Appointment._meta.db
    async with engine.transaction():
        await _lock_existing(appointment_id)
        row = await _current(appointment_id, revision)
        await cancel_locked(row, reason, actor)
    return await matching_waitlist({**row, "status": "cancelled"}, locale)


async def cancel_locked(row: dict, reason: str, actor: Actor, *, what: str = "cancelled") -> None:
    if row["status"] not in ("booked", "confirmed"):
        raise Invalid({"status": f"A {rules.STATUS_LABELS[row['status']].lower()} appointment cannot be cancelled."})
    now = clock.now()
    late = rules.is_late_cancel(row["starts_at"], now, cancellation_window())
    reason = reason.strip()[:200]
    await Appointment.update({
        Appointment.status: "cancelled", Appointment.cancel_reason: reason, Appointment.cancelled_at: now,
        Appointment.late_cancel: late, Appointment.revision: row["revision"] + 1, Appointment.updated_at: now,
    }).where(Appointment.id == row["id"])
    await write_change(row["id"], what, actor, snapshot(row),
                       snapshot({**row, "status": "cancelled", "cancel_reason": reason, "late_cancel": late}))
    await record("appointment.cancel", actor, entity_type="appointment", entity_id=row["id"],
                 patient_id=row["patient"], detail="late" if late else "")
    await _tell_followers(row["id"], "cancelled", actor)
