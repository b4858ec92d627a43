"""Everything a booking must not collide with, loaded in bulk for a window of time.

``load_calendar`` reads, in a handful of queries, what one provider, one
patient and one room have booked over a window, the provider's hours and time
off, and the clinic's hours and closures; ``conflicts_for`` then judges any
number of spans in that window without touching the database (one booking, or
every occurrence of a series). Booking calls both inside its locked
transaction, so what it judges is what is committed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from clinic.core.locale import Locale
from clinic.practice.services import closures as clinic_closures
from clinic.practice.services import practice
from clinic.scheduling import rules
from clinic.scheduling.rules import Span
from clinic.scheduling.tables import Appointment, AppointmentType, TimeOff, WorkingHours

# Appointments never run longer than this: reads of "what overlaps [a, b)" look
# this far before ``a`` by start time, so the (provider, starts_at) index serves them.
LONGEST_APPOINTMENT = dt.timedelta(hours=12)
CONFLICT_KINDS = ("provider", "patient", "room", "provider_hours", "clinic_hours", "time_off", "closure")


@dataclass(frozen=True)
class Conflict:
    kind: str  # one of CONFLICT_KINDS
    message: str  # in the clinic's words, naming the other appointment
    appointment_id: int | None = None


@dataclass(frozen=True)
class Busy:
    """Another appointment's time, with what a message needs to name it."""

    span: Span
    appointment_id: int
    patient_id: int
    patient_name: str
    provider_id: int
    provider_name: str
    room_id: int | None
    type_name: str
    may_overlap: bool


@dataclass
class Calendar:
    zone: ZoneInfo
    clinic_blocks: dict[int, list[tuple[int, int]]]
    # None: the provider has no working hours set up, and works the clinic's hours.
    provider_blocks: dict[int, list[tuple[int, int]]] | None
    closures: list[dict]
    time_off: list[tuple[Span, str]]
    provider_busy: list[Busy] = field(default_factory=list)
    patient_busy: list[Busy] = field(default_factory=list)
    room_busy: list[Busy] = field(default_factory=list)


def busy_columns():
    return (
        Appointment.id, Appointment.starts_at, Appointment.ends_at,
        Appointment.patient.id.as_alias("patient_id"),
        Appointment.patient.first_name.as_alias("first_name"),
        Appointment.patient.last_name.as_alias("last_name"),
        Appointment.provider.id.as_alias("provider_id"),
        Appointment.provider.display_name.as_alias("provider_name"),
        Appointment.room.id.as_alias("room_id"),
        Appointment.type.name.as_alias("type_name"),
        Appointment.type.may_overlap.as_alias("may_overlap"),
    )


def busy_from(row: dict) -> Busy:
    return Busy(
        span=Span(row["starts_at"], row["ends_at"]), appointment_id=row["id"], patient_id=row["patient_id"],
        patient_name=f"{row['first_name']} {row['last_name']}", provider_id=row["provider_id"],
        provider_name=row["provider_name"], room_id=row["room_id"], type_name=row["type_name"] or "",
        may_overlap=bool(row["may_overlap"]),
    )


async def busy_between(column, ids: list[int], window: Span, *, exclude: tuple[int, ...] = ()) -> list[Busy]:
    """Appointments holding time in ``window`` whose ``column`` (provider, patient, room) is one of ``ids``."""
    if not ids:
        return []
    query = Appointment.select(*busy_columns()).where(
        column.is_in(ids)
        & (Appointment.starts_at >= window.start - LONGEST_APPOINTMENT)
        & (Appointment.starts_at < window.end)
        & (Appointment.ends_at > window.start)
        & Appointment.status.is_in(sorted(rules.HOLDS_TIME))
    )
    if exclude:
        query = query.where(Appointment.id.not_in(list(exclude)))
    return [busy_from(row) for row in await query.order_by(Appointment.starts_at)]


async def spans_between(column, ids: list[int], window: Span) -> list[tuple[int, Span, int | None]]:
    """(owner id, span, type id) of the appointments holding time in ``window``: the lean read
    the availability search makes in bulk (no joins)."""
    if not ids:
        return []
    rows = await Appointment.select(column.as_alias("owner"), Appointment.starts_at, Appointment.ends_at,
                                    Appointment.type).where(
        column.is_in(ids)
        & (Appointment.starts_at >= window.start - LONGEST_APPOINTMENT)
        & (Appointment.starts_at < window.end)
        & (Appointment.ends_at > window.start)
        & Appointment.status.is_in(sorted(rules.HOLDS_TIME)))
    return [(row["owner"], Span(row["starts_at"], row["ends_at"]), row["type"]) for row in rows]


async def may_overlap_types() -> set[int]:
    return {row["id"] for row in await AppointmentType.select(AppointmentType.id).where(
        AppointmentType.may_overlap == True)}  # noqa: E712


async def working_blocks(provider_ids: list[int]) -> dict[int, dict[int, list[tuple[int, int]]]]:
    """provider id -> weekday -> [(starts, ends)] for providers who have any hours set up."""
    found: dict[int, dict[int, list[tuple[int, int]]]] = {}
    if not provider_ids:
        return found
    rows = await WorkingHours.select(WorkingHours.provider, WorkingHours.weekday, WorkingHours.starts,
                                     WorkingHours.ends).where(WorkingHours.provider.is_in(provider_ids))
    for row in sorted(rows, key=lambda row: (row["weekday"], row["starts"])):
        found.setdefault(row["provider"], {}).setdefault(row["weekday"], []).append((row["starts"], row["ends"]))
    return found


async def time_off_between(provider_ids: list[int], window: Span) -> dict[int, list[tuple[Span, str]]]:
    found: dict[int, list[tuple[Span, str]]] = {}
    if not provider_ids:
        return found
    rows = await TimeOff.select(TimeOff.provider, TimeOff.starts_at, TimeOff.ends_at, TimeOff.reason).where(
        TimeOff.provider.is_in(provider_ids) & (TimeOff.starts_at < window.end) & (TimeOff.ends_at > window.start))
    for row in rows:
        found.setdefault(row["provider"], []).append((Span(row["starts_at"], row["ends_at"]), row["reason"]))
    return found


async def clinic_calendar(locale: Locale, window: Span) -> tuple[dict[int, list[tuple[int, int]]], list[dict]]:
    """The clinic's opening blocks and the closures that touch ``window``."""
    current = await practice()
    first_day = window.start.astimezone(locale.zone).date() - dt.timedelta(days=1)
    last_day = window.end.astimezone(locale.zone).date() + dt.timedelta(days=1)
    closed = [row for row in await clinic_closures(upcoming_from=first_day) if row["first_day"] <= last_day]
    return rules.clinic_blocks(current.hours), closed


async def load_calendar(locale: Locale, window: Span, *, provider_id: int, patient_id: int | None,
                        room_id: int | None, exclude: tuple[int, ...] = ()) -> Calendar:
    clinic_blocks, closed = await clinic_calendar(locale, window)
    provider_hours = (await working_blocks([provider_id])).get(provider_id)
    away = (await time_off_between([provider_id], window)).get(provider_id, [])
    return Calendar(
        zone=locale.zone, clinic_blocks=clinic_blocks, provider_blocks=provider_hours, closures=closed,
        time_off=away,
        provider_busy=await busy_between(Appointment.provider, [provider_id], window, exclude=exclude),
        patient_busy=await busy_between(Appointment.patient, [patient_id] if patient_id else [], window,
                                        exclude=exclude),
        room_busy=await busy_between(Appointment.room, [room_id] if room_id else [], window, exclude=exclude),
    )


def _when(span: Span, locale: Locale) -> str:
    return f"{locale.format_date(span.start)} {locale.format_time(span.start)}–{locale.format_time(span.end)}"


def _what(busy: Busy) -> str:
    return f" ({busy.type_name})" if busy.type_name else ""


def closed_on(day: dt.date, closures: list[dict]) -> dict | None:
    return next((row for row in closures if row["first_day"] <= day <= row["last_day"]), None)


def conflicts_for(span: Span, calendar: Calendar, locale: Locale, *, may_overlap: bool = False,
                  provider_name: str = "The provider", room_name: str = "The room") -> list[Conflict]:
    """Every rule ``span`` breaks, each naming what it collides with."""
    found: list[Conflict] = []
    if not may_overlap:
        for busy in calendar.provider_busy:
            if busy.span.overlaps(span) and not busy.may_overlap:
                found.append(Conflict("provider", f"{provider_name} already sees {busy.patient_name} "
                                      f"{_when(busy.span, locale)}{_what(busy)}.", busy.appointment_id))
    for busy in calendar.patient_busy:
        if busy.span.overlaps(span):
            found.append(Conflict("patient", f"{busy.patient_name} already has an appointment with "
                                  f"{busy.provider_name} {_when(busy.span, locale)}{_what(busy)}.",
                                  busy.appointment_id))
    for busy in calendar.room_busy:
        if busy.span.overlaps(span):
            found.append(Conflict("room", f"{room_name} is booked for {busy.patient_name} with {busy.provider_name} "
                                  f"{_when(busy.span, locale)}.", busy.appointment_id))
    for day in rules.local_days(span, calendar.zone):
        closure = closed_on(day, calendar.closures)
        if closure:
            found.append(Conflict("closure", f"The clinic is closed on {locale.format_date(day)} "
                                  f"({closure['reason']})."))
            break
    if not rules.within(span, rules.open_spans_around(span, calendar.clinic_blocks, calendar.zone)):
        found.append(Conflict("clinic_hours", f"{_when(span, locale)} is outside the clinic's opening hours."))
    if calendar.provider_blocks is not None and not rules.within(
            span, rules.open_spans_around(span, calendar.provider_blocks, calendar.zone)):
        found.append(Conflict("provider_hours", f"{_when(span, locale)} is outside {provider_name}'s working hours."))
    for away, reason in calendar.time_off:
        if away.overlaps(span):
            why = f" ({reason})" if reason else ""
            found.append(Conflict("time_off", f"{provider_name} is away {locale.format_datetime(away.start)} to "
                                  f"{locale.format_datetime(away.end)}{why}."))
    return found
