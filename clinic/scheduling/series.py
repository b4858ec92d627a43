"""Recurring series: booked, moved and cancelled as a whole or in part.

A series is stored as its RFC 5545 rule with the first occurrence's LOCAL date
and time and the clinic's named zone, and expanded into one appointment row
per occurrence (so the book, reports and conflict checks see every one).
Booking a series checks EVERY occurrence in one locked transaction (the same
locks as a single booking) against one bulk read of the calendar: either all
are booked, or none and the caller learns which dates conflict and why; with
``skip_conflicts`` the free dates are booked and the others reported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clinic.audit.services import Actor, record
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.locale import Locale
from clinic.db.transactions import for_update
from clinic.scheduling import rules
from clinic.scheduling.booking import (
    AppointmentChanged,
    AppointmentNotFound,
    Booking,
    BookingRefused,
    cancel_locked,
    check_minutes,
    check_start,
    check_subject,
    insert_booking,
    lock_rows,
    move_locked,
    retrying,
)
from clinic.scheduling.conflicts import Conflict, conflicts_for, load_calendar
from clinic.scheduling.rules import SeriesRule, Span, span_of
from clinic.scheduling.tables import Appointment, AppointmentSeries

SCOPES = ("one", "following", "all")
CHANGEABLE = ("booked", "confirmed")


@dataclass(frozen=True)
class DateConflicts:
    """One occurrence that cannot be booked as asked, and why."""

    day: dt.date  # local
    starts_at: dt.datetime
    conflicts: list[Conflict]


@dataclass(frozen=True)
class SeriesResult:
    series_id: int
    appointment_ids: list[int]
    skipped: list[DateConflicts] = field(default_factory=list)


class SeriesRefused(BookingRefused):
    """Some occurrences conflict; ``dates`` lists each with its conflicts (nothing was written)."""

    def __init__(self, dates: list[DateConflicts], locale: Locale):
        super().__init__([conflict for date in dates for conflict in date.conflicts])
        listed = "; ".join(f"{locale.format_date(date.day)}: {' '.join(c.message for c in date.conflicts)}"
                           for date in dates)
        self.errors = {"starts_at": f"{len(dates)} of the dates cannot be booked. {listed}"}
        self.dates = dates


def _local_start(moment: dt.datetime, locale: Locale) -> tuple[dt.date, int]:
    local = moment.astimezone(locale.zone)
    return local.date(), local.hour * 60 + local.minute


def preview(booking: Booking, rule: SeriesRule, locale: Locale) -> list[dt.datetime]:
    """The occurrences (UTC) the series would have; raises ``Invalid`` for a rule out of bounds."""
    check_minutes(booking.minutes)
    check_start(booking.starts_at)
    first_day, minutes = _local_start(booking.starts_at, locale)
    rule.check(first_day)
    return rules.occurrences(rule.rrule_text(first_day), first_day, minutes, locale.zone)


def _judge_all(starts: list[dt.datetime], minutes: int, calendar, locale: Locale, subject) -> list[DateConflicts]:
    found = []
    for start in starts:
        conflicts = conflicts_for(span_of(start, minutes), calendar, locale, may_overlap=subject.may_overlap,
                                  provider_name=subject.provider_name, room_name=subject.room_name)
        if conflicts:
            found.append(DateConflicts(start.astimezone(locale.zone).date(), start, conflicts))
    return found


async def book_series(booking: Booking, rule: SeriesRule, actor: Actor, locale: Locale, *,
                      skip_conflicts: bool = False) -> SeriesResult:
    """Book every occurrence (all or nothing), or with ``skip_conflicts`` every free one.

    ``booking.starts_at`` is the first occurrence; its local time in the clinic's zone is
    kept on every date. Raises ``SeriesRefused`` naming each conflicting date.
    """
    starts = preview(booking, rule, locale)
    first_day, local_minutes = _local_start(booking.starts_at, locale)
    rule_text = rule.rrule_text(first_day)

    async def attempt() -> SeriesResult:
        engine = Appointment._meta.db
        async with engine.transaction():
            locked = await lock_rows(booking.provider_id, booking.patient_id, booking.room_id)
            if booking.idempotency_token:
                existing = await Appointment.select(Appointment.series).where(
                    Appointment.idempotency_token == booking.idempotency_token).first()
                if existing and existing["series"]:
                    return await _result_of(existing["series"])
            subject = await check_subject(patient_id=booking.patient_id, provider_id=booking.provider_id,
                                          type_id=booking.type_id, room_id=booking.room_id, locked=locked)
            window = Span(starts[0], starts[-1] + dt.timedelta(minutes=booking.minutes))
            calendar = await load_calendar(locale, window, provider_id=booking.provider_id,
                                           patient_id=booking.patient_id, room_id=booking.room_id)
            conflicting = _judge_all(starts, booking.minutes, calendar, locale, subject)
            overbook = bool(booking.overbook_reason.strip())
            if conflicting and not overbook and (not skip_conflicts or len(conflicting) == len(starts)):
                raise SeriesRefused(conflicting, locale)
            skipped = [] if overbook else conflicting
            skipped_starts = {date.starts_at for date in skipped}
            by_start = {date.starts_at: date.conflicts for date in conflicting}
            rows = await AppointmentSeries.insert(AppointmentSeries(
                rule=rule_text, local_date=first_day, local_minutes=local_minutes, zone=locale.timezone,
                minutes=booking.minutes, patient=booking.patient_id, provider=booking.provider_id,
                type=booking.type_id, room=booking.room_id, created_by=actor.staff_id, created_at=clock.now()))
            series_id = rows[0]["id"]
            ids = []
            token = booking.idempotency_token
            for start in starts:
                if start in skipped_starts:
                    continue
                occurrence = Booking(**{**booking.__dict__, "starts_at": start, "idempotency_token": token})
                ids.append(await insert_booking(occurrence, actor, locale, series_id=series_id,
                                                conflicts=by_start.get(start, []), subject=subject))
                token = None  # the token marks the series' first booked appointment
            await record("appointment.series_book", actor, entity_type="appointment_series", entity_id=series_id,
                         patient_id=booking.patient_id, detail=f"{len(ids)} booked, {len(skipped)} skipped")
            return SeriesResult(series_id=series_id, appointment_ids=ids, skipped=skipped)

    return await retrying(attempt)


async def _result_of(series_id: int) -> SeriesResult:
    rows = await Appointment.select(Appointment.id).where(Appointment.series == series_id).order_by(
        Appointment.starts_at)
    return SeriesResult(series_id=series_id, appointment_ids=[row["id"] for row in rows])


async def _members(row: dict, scope: str) -> list[dict]:
    """The occurrences a change of ``scope`` covers, starting from ``row``: still changeable ones only."""
    if scope not in SCOPES:
        raise Invalid({"scope": "Choose this appointment, this and following, or the whole series."})
    if scope == "one" or row["series"] is None:
        return [row]
    query = Appointment.select().where((Appointment.series == row["series"])
                                       & Appointment.status.is_in(list(CHANGEABLE)))
    if scope == "following":
        query = query.where(Appointment.starts_at >= row["starts_at"])
    else:
        query = query.where(Appointment.starts_at >= min(row["starts_at"], clock.now()))
    found = await query.order_by(Appointment.starts_at)
    if row["status"] in CHANGEABLE and row["id"] not in {member["id"] for member in found}:
        found = [row, *found]  # "all" from an occurrence already past: it goes too
    if not found:
        raise Invalid({"scope": "Nothing in this series is left to change."})
    return found


async def _lock_head(appointment_id: int, revision: int | None) -> dict:
    head = await for_update(Appointment.select().where(Appointment.id == appointment_id)).first()
    if head is None:
        raise AppointmentNotFound(appointment_id)
    if revision is not None and head["revision"] != revision:
        raise AppointmentChanged(current=head)
    return head


async def cancel_in_series(appointment_id: int, scope: str, reason: str, actor: Actor, locale: Locale, *,
                           revision: int | None = None) -> list[int]:
    """Cancel this occurrence, this and the following ones, or every one still to come; returns their ids.
    "following" also ends the series' rule before this occurrence."""
    if not reason.strip():
        raise Invalid({"cancel_reason": "Say why the appointment is cancelled."})
    engine = Appointment._meta.db
    async with engine.transaction():
        head = await _lock_head(appointment_id, revision)
        await lock_rows(head["provider"], head["patient"], None)
        members = await _members(head, scope)
        for member in members:
            await cancel_locked(member, reason, actor)
        if scope == "following" and head["series"] is not None:
            await _cut_series(head["series"], head["starts_at"], locale)
        if scope != "one" and head["series"] is not None:
            await record("appointment.series_cancel", actor, entity_type="appointment_series",
                         entity_id=head["series"], patient_id=head["patient"],
                         detail=f"{scope}: {len(members)} cancelled")
    return [member["id"] for member in members]


async def _cut_series(series_id: int, before: dt.datetime, locale: Locale) -> None:
    series = await AppointmentSeries.select(AppointmentSeries.rule, AppointmentSeries.zone).where(
        AppointmentSeries.id == series_id).first()
    local = before.astimezone(locale.zone).replace(tzinfo=None)
    await AppointmentSeries.update({AppointmentSeries.rule: rules.rule_ending_before(series["rule"], local)}).where(
        AppointmentSeries.id == series_id)


async def move_in_series(appointment_id: int, scope: str, *, starts_at: dt.datetime, minutes: int,
                         provider_id: int | None = None, room_id: int | None | str = "same", actor: Actor,
                         locale: Locale, overbook_reason: str = "", revision: int | None = None) -> list[int]:
    """Move this occurrence to ``starts_at`` (and length, provider, room), or this and the following
    ones, or all still to come, each by the same change of LOCAL day and time; all or nothing.

    When occurrences stay behind (earlier or finished ones), the moved ones get a series of their
    own. ``room_id="same"`` keeps this occurrence's room for all of them. Returns the moved ids.
    """
    check_minutes(minutes)
    check_start(starts_at)

    async def attempt() -> list[int]:
        engine = Appointment._meta.db
        async with engine.transaction():
            head = await _lock_head(appointment_id, revision)
            provider = provider_id if provider_id is not None else head["provider"]
            room = head["room"] if room_id == "same" else room_id
            locked = await lock_rows(provider, head["patient"], room)
            members = await _members(head, scope)
            old_day, _ = _local_start(head["starts_at"], locale)
            new_day, new_minutes = _local_start(starts_at, locale)
            shift = new_day - old_day
            targets = []
            for member in members:
                day, _ = _local_start(member["starts_at"], locale)
                targets.append((member, rules.local_to_utc(day + shift, new_minutes, locale.zone)))
            subject = await check_subject(patient_id=None, provider_id=provider, type_id=head["type"], room_id=room,
                                          locked=locked)
            window = Span(min(start for _, start in targets),
                          max(start for _, start in targets) + dt.timedelta(minutes=minutes))
            exclude = tuple(member["id"] for member in members)
            calendar = await load_calendar(locale, window, provider_id=provider, patient_id=head["patient"],
                                           room_id=room, exclude=exclude)
            conflicting = _judge_all([start for _, start in targets], minutes, calendar, locale, subject)
            if conflicting and not overbook_reason.strip():
                raise SeriesRefused(conflicting, locale)
            by_start = {date.starts_at: date.conflicts for date in conflicting}
            for member, start in targets:
                await move_locked(member["id"], None, starts_at=start, minutes=minutes, provider_id=provider,
                                  room_id=room, actor=actor, locale=locale, overbook_reason=overbook_reason,
                                  conflicts=by_start.get(start, []), exclude=exclude, subject=subject)
            if head["series"] is not None and scope != "one":
                await _restate_series(head, members, targets, minutes, provider, room, locale, actor)
        return [member["id"] for member in members]

    return await retrying(attempt)


async def _restate_series(head: dict, members: list[dict], targets, minutes: int, provider: int,
                          room: int | None, locale: Locale, actor: Actor) -> None:
    """Keep the stored rule true to the rows after a move of several occurrences."""
    series = await AppointmentSeries.select().where(AppointmentSeries.id == head["series"]).first()
    first_day, first_minutes = _local_start(targets[0][1], locale)
    restated = rules.rule_from_local(series["rule"], first_day, len(targets))
    values = {AppointmentSeries.rule: restated, AppointmentSeries.local_date: first_day,
              AppointmentSeries.local_minutes: first_minutes, AppointmentSeries.minutes: minutes,
              AppointmentSeries.provider: provider, AppointmentSeries.room: room,
              AppointmentSeries.zone: locale.timezone}
    moved_ids = [member["id"] for member in members]
    others = await Appointment.count().where((Appointment.series == head["series"])
                                            & Appointment.id.not_in(moved_ids))
    if others:
        # The occurrences left behind (earlier ones, finished ones) keep the old rule, cut before the
        # first moved one; the moved ones get a series of their own.
        await _cut_series(head["series"], min(member["starts_at"] for member in members), locale)
        rows = await AppointmentSeries.insert(AppointmentSeries(
            rule=restated, local_date=first_day, local_minutes=first_minutes, zone=locale.timezone, minutes=minutes,
            patient=head["patient"], provider=provider, type=head["type"], room=room, created_by=actor.staff_id,
            created_at=clock.now()))
        await Appointment.update({Appointment.series: rows[0]["id"]}).where(Appointment.id.is_in(moved_ids))
    else:
        await AppointmentSeries.update(values).where(AppointmentSeries.id == head["series"])


async def series_of(appointment_id: int) -> dict | None:
    """The appointment's series (rule, local start, zone) and its occurrences, or None."""
    row = await Appointment.select(Appointment.series).where(Appointment.id == appointment_id).first()
    if row is None or row["series"] is None:
        return None
    series = await AppointmentSeries.select().where(AppointmentSeries.id == row["series"]).first()
    occurrences = await Appointment.select(Appointment.id, Appointment.starts_at, Appointment.status,
                                           Appointment.revision).where(
        Appointment.series == row["series"]).order_by(Appointment.starts_at)
    return {**series, "description": rules.describe_rule(series["rule"]), "occurrences": occurrences}
