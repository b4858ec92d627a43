"""Finding time: the next free slots for an appointment type, up to a year ahead.

The search walks the days in windows (a week first, then longer ones as the
book proves full): per window it reads, in one query each, what the candidate
providers, the rooms and the patient have booked and the providers' time off;
the providers' working hours, the clinic's hours and its closures are read
once. Each day is then pure arithmetic (``rules``): working hours within the
clinic's hours, minus closures, appointments and time off. A slot offered here
satisfies every rule ``book`` checks, so booking it succeeds unless someone
takes it first (then ``book`` says so).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.locale import Locale
from clinic.scheduling import rules
from clinic.scheduling.conflicts import (
    LONGEST_APPOINTMENT,
    clinic_calendar,
    closed_on,
    may_overlap_types,
    spans_between,
    time_off_between,
    working_blocks,
)
from clinic.scheduling.rules import Span
from clinic.scheduling.tables import Appointment, AppointmentType, AppointmentTypeProvider, Room
from clinic.security.permissions import CLINICIAN_ROLES
from clinic.security.tables import Staff

HORIZON_DAYS = 366
FIRST_WINDOW_DAYS = 7
LONGEST_WINDOW_DAYS = 56
# The first slot of a free stretch starts on this local grid; the next ones follow back to back.
ALIGN_MINUTES = 5
NOON = 12 * 60
PARTS_OF_DAY = ("morning", "afternoon")
MAX_SLOTS = 100


@dataclass(frozen=True)
class Slot:
    provider_id: int
    provider_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    room_id: int | None = None
    room_name: str = ""


async def _providers(type_id: int, provider_ids: list[int] | None) -> dict[int, str]:
    """id -> name of the active providers to search: those asked for, or every one offering the type."""
    offered = {row["provider"] for row in await AppointmentTypeProvider.select(AppointmentTypeProvider.provider)
               .where(AppointmentTypeProvider.type == type_id)}
    query = Staff.select(Staff.id, Staff.display_name, Staff.full_name).where(Staff.active == True)  # noqa: E712
    if provider_ids:
        query = query.where(Staff.id.is_in(list(provider_ids)))
    elif offered:
        query = query.where(Staff.id.is_in(sorted(offered)))
    else:
        query = query.where(Staff.role.is_in(sorted(str(role) for role in CLINICIAN_ROLES)))
    rows = await query.order_by(Staff.display_name).order_by(Staff.id)
    return {row["id"]: row["display_name"] or row["full_name"] for row in rows
            if not offered or row["id"] in offered}


async def next_free(type_id: int, provider_ids: list[int] | None, from_date: dt.date, locale: Locale, *,
                    part_of_day: str | None = None, room_id: int | None = None, limit: int = 10,
                    patient_id: int | None = None, minutes: int | None = None) -> list[Slot]:
    """The first ``limit`` free slots from ``from_date`` (never in the past) for a type, with one of
    ``provider_ids`` or any provider offering it; ``part_of_day`` "morning" (starting before noon) or
    "afternoon"; a room when the type needs one (``room_id`` or any free room); ``patient_id`` to
    leave out times the patient is already booked. Earliest first, then by provider name."""
    kind = await AppointmentType.select().where(AppointmentType.id == type_id).first()
    if kind is None or not kind["active"]:
        raise Invalid({"type_id": "Choose an appointment type."})
    if part_of_day not in (None, "", *PARTS_OF_DAY):
        raise Invalid({"part_of_day": "Choose morning or afternoon."})
    limit = max(1, min(limit, MAX_SLOTS))
    length = minutes or kind["minutes"]
    providers = await _providers(type_id, provider_ids)
    if not providers:
        return []
    rooms: dict[int, str] = {}
    if room_id is not None or kind["needs_room"]:
        query = Room.select(Room.id, Room.name).where(Room.active == True)  # noqa: E712
        if room_id is not None:
            query = query.where(Room.id == room_id)
        rooms = {row["id"]: row["name"] for row in await query.order_by(Room.name)}
        if not rooms:
            return []
    zone = locale.zone
    now = clock.now()
    day = max(from_date, locale.today())
    last_day = day + dt.timedelta(days=HORIZON_DAYS)
    whole = Span(locale.day_bounds(day)[0], locale.day_bounds(last_day)[1])
    clinic_blocks, closures = await clinic_calendar(locale, whole)
    hours = await working_blocks(list(providers))
    overlapping_types = [] if kind["may_overlap"] else await may_overlap_types()
    found: list[Slot] = []
    window_days = FIRST_WINDOW_DAYS
    while day <= last_day and len(found) < limit:
        window_end = min(day + dt.timedelta(days=window_days), last_day + dt.timedelta(days=1))
        window = Span(locale.day_bounds(day)[0], locale.day_bounds(window_end)[0])
        taken = Timeline()
        if not kind["may_overlap"]:
            for owner, span, type_id in await spans_between(Appointment.provider, list(providers), window):
                if type_id not in overlapping_types:
                    taken.add(owner, span)
        # Time off can start long before the window: kept apart from appointments (which never last 12 hours).
        away = await time_off_between(list(providers), window)
        if patient_id:
            for _, span, _ in await spans_between(Appointment.patient, [patient_id], window):
                for provider_id in providers:
                    taken.add(provider_id, span)
        room_busy = Timeline()
        for owner, span, _ in await spans_between(Appointment.room, list(rooms), window):
            room_busy.add(owner, span)
        taken.sort()
        room_busy.sort()
        while day < window_end and len(found) < limit:
            found += _slots_on(day, providers, hours, clinic_blocks, closures, taken, away, room_busy, rooms,
                               length, zone, now, part_of_day)
            day += dt.timedelta(days=1)
        window_days = min(window_days * 2, LONGEST_WINDOW_DAYS)
    return found[:limit]


class Timeline:
    """Busy spans per owner (provider or room), sorted, so a day finds its own by bisection
    instead of looking at the whole window's."""

    def __init__(self):
        self.spans: dict[int, list[Span]] = {}
        self.starts: dict[int, list[dt.datetime]] = {}

    def add(self, owner: int, span: Span) -> None:
        self.spans.setdefault(owner, []).append(span)

    def sort(self) -> Timeline:
        for owner, spans in self.spans.items():
            spans.sort(key=lambda span: span.start)
            self.starts[owner] = [span.start for span in spans]
        return self

    def during(self, owner: int, window: Span) -> list[Span]:
        if owner not in self.starts:
            return []
        starts, spans = self.starts[owner], self.spans[owner]
        first = bisect.bisect_left(starts, window.start - LONGEST_APPOINTMENT)
        last = bisect.bisect_left(starts, window.end)
        return [span for span in spans[first:last] if span.end > window.start]


def _slots_on(day, providers, hours, clinic_blocks, closures, taken: Timeline, away, room_busy: Timeline, rooms,
              length, zone, now, part_of_day) -> list[Slot]:
    if closed_on(day, closures):
        return []
    clinic_open = rules.day_spans(day, clinic_blocks.get(day.weekday(), []), zone)
    if not clinic_open:
        return []
    whole_day = Span(clinic_open[0].start, clinic_open[-1].end)
    found = []
    for provider_id, name in providers.items():
        own = hours.get(provider_id)
        open_spans = clinic_open if own is None else rules.intersect(
            clinic_open, rules.day_spans(day, own.get(day.weekday(), []), zone))
        if not open_spans:
            continue
        busy = taken.during(provider_id, whole_day)
        busy += [span for span, _ in away.get(provider_id, []) if span.overlaps(whole_day)]
        for slot in rules.free_slots(open_spans, busy, length, step=length, align=ALIGN_MINUTES, zone=zone,
                                     not_before=now):
            if part_of_day:
                morning = rules.minutes_of_day(slot.start, zone) < NOON
                if morning != (part_of_day == "morning"):
                    continue
            room = None
            if rooms:
                room = next((room_id for room_id in rooms
                             if not any(span.overlaps(slot) for span in room_busy.during(room_id, slot))), None)
                if room is None:
                    continue
            found.append(Slot(provider_id=provider_id, provider_name=name, starts_at=slot.start, ends_at=slot.end,
                              room_id=room, room_name=rooms.get(room, "") if room else ""))
    return sorted(found, key=lambda slot: (slot.starts_at, slot.provider_name, slot.provider_id))


async def working_spans(first_day: dt.date, days: int, provider_ids: list[int], locale: Locale
                        ) -> dict[int, dict[dt.date, list[Span]]]:
    """provider -> local day -> when they can be booked (their hours within the clinic's, no closure,
    minus time off): what the day and week views shade as bookable. Four queries for any range."""
    last_day = first_day + dt.timedelta(days=days - 1)
    whole = Span(locale.day_bounds(first_day)[0], locale.day_bounds(last_day)[1])
    clinic_blocks, closures = await clinic_calendar(locale, whole)
    hours = await working_blocks(provider_ids)
    away = await time_off_between(provider_ids, whole)
    found: dict[int, dict[dt.date, list[Span]]] = {provider_id: {} for provider_id in provider_ids}
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        clinic_open = [] if closed_on(day, closures) else rules.day_spans(
            day, clinic_blocks.get(day.weekday(), []), locale.zone)
        for provider_id in provider_ids:
            own = hours.get(provider_id)
            open_spans = clinic_open if own is None else rules.intersect(
                clinic_open, rules.day_spans(day, own.get(day.weekday(), []), locale.zone))
            found[provider_id][day] = rules.subtract(open_spans, [span for span, _ in away.get(provider_id, [])])
    return found
