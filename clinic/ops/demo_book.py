"""The demo clinic's appointment book: set-up and a believable few weeks.

Appointment types, rooms, clinic opening hours and each clinician's working
hours with a lunch break; three weeks of history and the next four weeks
filled within working hours (fuller the nearer the day: about 85% this week,
70% in four weeks), never double-booked except two deliberate overbookings
with a reason; statuses that fit the time (past: completed, a few no-shows
and cancellations; today: earlier ones done or under way, later ones booked or
confirmed); two weekly series; a few patients on the waitlist. Planned with
the demo's seeded random numbers, so the same seed gives the same book.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Callable
from zoneinfo import ZoneInfo

from clinic.practice import services as practice_services
from clinic.practice.tables import OpeningHours
from clinic.scheduling.tables import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    AppointmentTypeProvider,
    Room,
    WaitlistEntry,
    WorkingHours,
)

HISTORY_DAYS = 21
AHEAD_DAYS = 28
# (weekday, opens, closes) in minutes after midnight; closed on Sundays.
CLINIC_HOURS = [(day, 8 * 60 + 30, 17 * 60 + 30) for day in range(5)] + [(5, 9 * 60, 12 * 60 + 30)]
# Per clinician role and position: weekday -> blocks (a lunch break between them).
DOCTOR_A = {day: [(8 * 60 + 30, 12 * 60 + 30), (13 * 60 + 30, 17 * 60)] for day in range(5)}
DOCTOR_B = {**{day: [(9 * 60, 12 * 60 + 30), (13 * 60 + 30, 17 * 60 + 30)] for day in range(4)},
            5: [(9 * 60, 12 * 60 + 30)]}
NURSE = {day: [(8 * 60 + 30, 12 * 60), (13 * 60, 16 * 60 + 30)] for day in range(5)}


@dataclass(frozen=True)
class DemoType:
    name: str
    minutes: int
    colour: str
    roles: tuple[str, ...]
    weight: int
    needs_room: bool = False
    may_overlap: bool = False


DEMO_TYPES = [
    DemoType("Consultation", 20, "#4e79a7", ("doctor",), 10),
    DemoType("New patient", 40, "#f28e2b", ("doctor",), 2),
    DemoType("Follow-up", 15, "#59a14f", ("doctor", "nurse"), 6),
    DemoType("Injection", 5, "#e15759", ("doctor", "nurse"), 1, may_overlap=True),
    DemoType("Physical", 40, "#76b7b2", ("doctor",), 2, needs_room=True),
    DemoType("Nurse visit", 20, "#edc948", ("nurse",), 6),
    DemoType("Dressing", 20, "#b07aa1", ("nurse",), 3, needs_room=True),
]
DEMO_ROOMS = ["Exam room 1", "Exam room 2", "Treatment room"]
CANCEL_REASONS = ["Patient called: unwell", "Patient called: work", "Clinic rescheduled", "Transport fell through"]
OVERBOOK_REASON = "Urgent: results to discuss, fitted in by the doctor"


@dataclass
class Planned:
    patient: int
    provider: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    type_index: int
    room: int | None = None
    status: str = "booked"
    reason: str = ""
    series_key: int | None = None
    cancel_reason: str = ""
    cancelled_at: dt.datetime | None = None
    late_cancel: bool = False
    overbook_reason: str = ""


@dataclass
class BookPlan:
    appointments: list[Planned] = field(default_factory=list)
    series: list[dict] = field(default_factory=list)
    waitlist: list[dict] = field(default_factory=list)


def hours_for(clinicians) -> dict[int, dict[int, list[tuple[int, int]]]]:
    doctors = [c for c in clinicians if c.role == "doctor"]
    found = {}
    for clinician in clinicians:
        if clinician.role == "doctor":
            found[clinician.id] = DOCTOR_A if clinician is doctors[0] else DOCTOR_B
        else:
            found[clinician.id] = NURSE
    return found


def _at(day: dt.date, minutes: int, zone: ZoneInfo) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(dt.timezone.utc)


def _fill_for(offset: int) -> float:
    """How full a day is: past days as they were, the coming weeks emptier the further away."""
    if offset < 0:
        return 0.84
    return max(0.7, 0.88 - 0.0065 * offset)


def _status(rng: random.Random, start: dt.datetime, end: dt.datetime, now: dt.datetime, role: str) -> str:
    roll = rng.random()
    if end <= now:
        return "no_show" if roll < 0.05 else "cancelled" if roll < 0.11 else "completed"
    if start <= now:
        return "in_progress" if role == "doctor" else "arrived"
    if start - now < dt.timedelta(hours=1) and roll < 0.5:
        return "arrived"
    if roll < 0.03:
        return "cancelled"
    return "confirmed" if start - now < dt.timedelta(days=2) and roll < 0.65 else "booked"


def plan_book(rng: random.Random, zone: ZoneInfo, now: dt.datetime, clinicians, people,
              reason_for: Callable) -> BookPlan:
    """Every appointment, series and waitlist entry of the demo book (nothing written)."""
    plan = BookPlan()
    today = now.astimezone(zone).date()
    hours = hours_for(clinicians)
    busy_days: dict[int, set[dt.date]] = {}  # patient -> days booked: nobody is in two places at once
    room_busy: dict[tuple[int, dt.date], list[tuple[dt.datetime, dt.datetime]]] = {}
    provider_busy: dict[tuple[int, dt.date], list[tuple[dt.datetime, dt.datetime]]] = {}
    queue: list = []

    def free_patient(day: dt.date):
        nonlocal queue
        for _ in range(len(people) * 2):
            if not queue:
                queue = rng.sample(people, len(people))
            person = queue.pop()
            if day in busy_days.get(person.row.id, set()) or person.born >= day:
                continue
            if day < today and person.registered > day:
                continue
            return person
        return None

    def free_room(day: dt.date, start: dt.datetime, end: dt.datetime) -> int | None:
        for index in range(len(DEMO_ROOMS)):
            if all(end <= s or e <= start for s, e in room_busy.get((index, day), [])):
                return index
        return None

    def add(person, clinician, day, start, end, type_index, room=None, **extra) -> Planned:
        offset = (day - today).days
        status = extra.pop("status", None) or _status(rng, start, end, now, clinician.role)
        item = Planned(patient=person.row.id, provider=clinician.id, starts_at=start, ends_at=end,
                       type_index=type_index, room=room, status=status,
                       reason=reason_for(rng, person, day, nurse=clinician.role == "nurse"), **extra)
        if status == "cancelled":
            item.cancel_reason = rng.choice(CANCEL_REASONS)
            notice = dt.timedelta(hours=rng.choice([2, 6, 30, 50, 75]))
            item.cancelled_at = min(start - notice, now) if offset >= 0 else start - notice
            item.late_cancel = start - item.cancelled_at < dt.timedelta(hours=24)
        plan.appointments.append(item)
        busy_days.setdefault(person.row.id, set()).add(day)
        provider_busy.setdefault((clinician.id, day), []).append((start, end))
        if room is not None:
            room_busy.setdefault((room, day), []).append((start, end))
        return item

    _plan_series(plan, rng, zone, today, clinicians, people, add)
    for offset in range(-HISTORY_DAYS, AHEAD_DAYS):
        day = today + dt.timedelta(days=offset)
        fill = _fill_for(offset)
        for clinician in clinicians:
            choices = [(index, kind) for index, kind in enumerate(DEMO_TYPES) if clinician.role in kind.roles]
            for block_start, block_end in hours[clinician.id].get(day.weekday(), []):
                cursor = block_start
                while cursor < block_end:
                    index, kind = rng.choices(choices, weights=[kind.weight for _, kind in choices])[0]
                    if cursor + kind.minutes > block_end:
                        fitting = [(i, k) for i, k in choices if cursor + k.minutes <= block_end]
                        if not fitting:
                            break
                        index, kind = fitting[0]
                    start, end = _at(day, cursor, zone), _at(day, cursor + kind.minutes, zone)
                    taken = [(s, e) for s, e in provider_busy.get((clinician.id, day), []) if s < end and start < e]
                    if taken:  # a series occurrence: carry on after it
                        cursor = max(int((e.astimezone(zone) - _at(day, 0, zone).astimezone(zone))
                                         .total_seconds() // 60) for _, e in taken)
                        continue
                    if rng.random() < fill:
                        room = free_room(day, start, end) if kind.needs_room else None
                        person = free_patient(day)
                        if person is not None and (room is not None or not kind.needs_room):
                            add(person, clinician, day, start, end, index, room)
                        cursor += kind.minutes
                    else:
                        cursor += rng.choice([15, 20, 20, 30])
    _plan_overbookings(plan, rng, zone, today, clinicians, people, free_patient, add)
    _plan_waitlist(plan, rng, today, clinicians, people)
    return plan


def _plan_series(plan, rng, zone, today, clinicians, people, add) -> None:
    """Two weekly series running across today: physio-style nurse visits and a fortnightly review."""
    doctors = [c for c in clinicians if c.role == "doctor"]
    nurses = [c for c in clinicians if c.role == "nurse"] or doctors
    monday = today - dt.timedelta(days=today.weekday())
    wanted = [
        (nurses[0], monday - dt.timedelta(days=14) + dt.timedelta(days=1), 10 * 60, 5, 1, 6),  # Tuesdays 10:00
        (doctors[-1], monday - dt.timedelta(days=14) + dt.timedelta(days=3), 15 * 60, 2, 2, 3),  # every other Thursday
    ]
    adults = [p for p in people if (today - p.born).days > 20 * 365 and p.registered < today - dt.timedelta(days=60)]
    for key, (clinician, first_day, minutes, type_index, interval, count) in enumerate(wanted):
        person = adults[rng.randrange(len(adults))]
        kind = DEMO_TYPES[type_index]
        rule = f"FREQ=WEEKLY;INTERVAL={interval};COUNT={count}" if interval != 1 else f"FREQ=WEEKLY;COUNT={count}"
        plan.series.append({"key": key, "rule": rule, "local_date": first_day, "local_minutes": minutes,
                            "zone": zone.key, "minutes": kind.minutes, "patient": person.row.id,
                            "provider": clinician.id, "type_index": type_index})
        for number in range(count):
            day = first_day + dt.timedelta(weeks=interval * number)
            start, end = _at(day, minutes, zone), _at(day, minutes + kind.minutes, zone)
            add(person, clinician, day, start, end, type_index, series_key=key)


def _plan_overbookings(plan, rng, zone, today, clinicians, people, free_patient, add) -> None:
    """Two appointments booked on top of others on purpose, with the reason recorded."""
    doctor = next(c for c in clinicians if c.role == "doctor")
    follow_up = next(i for i, kind in enumerate(DEMO_TYPES) if kind.name == "Follow-up")
    placed = 0
    for offset in (2, 3, 4, 5, 6, 7, 8, 9):
        day = today + dt.timedelta(days=offset)
        targets = [item for item in plan.appointments if item.provider == doctor.id and item.status != "cancelled"
                   and item.starts_at.astimezone(zone).date() == day
                   and item.ends_at - item.starts_at >= dt.timedelta(minutes=15)]
        person = free_patient(day)
        if not targets or person is None:
            continue
        target = targets[len(targets) // 2]
        add(person, doctor, day, target.starts_at, target.starts_at + dt.timedelta(minutes=15), follow_up,
            overbook_reason=OVERBOOK_REASON, status="booked")
        placed += 1
        if placed == 2:
            return


def _plan_waitlist(plan, rng, today, clinicians, people) -> None:
    doctors = [c for c in clinicians if c.role == "doctor"]
    # The patients with the least booked in the next two weeks want something sooner.
    soon = today + dt.timedelta(days=14)
    booked_soon: dict[int, int] = {}
    for item in plan.appointments:
        if today <= item.starts_at.date() <= soon and item.status != "cancelled":
            booked_soon[item.patient] = booked_soon.get(item.patient, 0) + 1
    candidates = [p for p in people if (today - p.born).days > 3 * 365]
    waiting = sorted(candidates, key=lambda p: (booked_soon.get(p.row.id, 0), p.row.id))[:5]
    shapes = [
        {"providers": str(doctors[0].id), "type_index": 0, "weekdays": "0,2,4", "earliest_minutes": 8 * 60 + 30,
         "latest_minutes": 12 * 60 + 30, "notes": "Mornings only: works afternoons"},
        {"providers": "", "type_index": 0, "weekdays": "", "earliest_minutes": None, "latest_minutes": None,
         "notes": "Can come at an hour's notice"},
        {"providers": str(doctors[-1].id), "type_index": 4, "weekdays": "1,3", "earliest_minutes": 13 * 60,
         "latest_minutes": 17 * 60 + 30, "notes": "Annual physical; prefers Dr. Reyes"},
        {"providers": "", "type_index": 5, "weekdays": "", "earliest_minutes": 15 * 60, "latest_minutes": None,
         "notes": "After school"},
        {"providers": str(doctors[0].id), "type_index": 1, "weekdays": "", "earliest_minutes": None,
         "latest_minutes": None, "notes": "New to the area"},
    ]
    for number, (person, shape) in enumerate(zip(waiting, shapes)):
        plan.waitlist.append({**shape, "patient": person.row.id, "created_days_ago": 2 + number * 3,
                              "until_date": today + dt.timedelta(days=30 + 7 * number)})


async def set_up_the_book(zone: ZoneInfo, clinicians) -> tuple[list[int], list[int]]:
    """Types (offered by the clinicians of the right roles), rooms, and working hours: (type ids, room ids)."""
    type_ids = []
    for kind in DEMO_TYPES:
        rows = await AppointmentType.insert(AppointmentType(name=kind.name, minutes=kind.minutes, colour=kind.colour,
                                                            needs_room=kind.needs_room, may_overlap=kind.may_overlap,
                                                            active=True))
        type_ids.append(rows[0]["id"])
        offered = [AppointmentTypeProvider(type=rows[0]["id"], provider=c.id) for c in clinicians if c.role in kind.roles]
        if offered:
            await AppointmentTypeProvider.insert(*offered)
    room_ids = [(await Room.insert(Room(name=name, active=True)))[0]["id"] for name in DEMO_ROOMS]
    blocks = [WorkingHours(provider=provider_id, weekday=weekday, starts=starts, ends=ends)
              for provider_id, week in hours_for(clinicians).items()
              for weekday, pairs in week.items() for starts, ends in pairs]
    await WorkingHours.insert(*blocks)
    return type_ids, room_ids


async def set_clinic_hours(zone: ZoneInfo) -> None:
    """The demo clinic opens 8:30–17:30 on weekdays and Saturday mornings (only over the default hours)."""
    current = await practice_services.practice({"timezone": zone.key})
    if current.hours != practice_services.DEFAULT_HOURS:
        return
    await OpeningHours.delete().where(OpeningHours.id > 0)
    await OpeningHours.insert(*[OpeningHours(weekday=weekday, opens=dt.time(opens // 60, opens % 60),
                                             closes=dt.time(closes // 60, closes % 60))
                                for weekday, opens, closes in CLINIC_HOURS])
    practice_services.forget()


async def write_book(plan: BookPlan, zone: ZoneInfo, now: dt.datetime, type_ids: list[int], room_ids: list[int],
                     created_by: int | None) -> list[Appointment]:
    series_ids = {}
    for series in plan.series:
        rows = await AppointmentSeries.insert(AppointmentSeries(
            rule=series["rule"], local_date=series["local_date"], local_minutes=series["local_minutes"],
            zone=series["zone"], minutes=series["minutes"], patient=series["patient"], provider=series["provider"],
            type=type_ids[series["type_index"]], created_by=created_by,
            created_at=_at(series["local_date"], 0, zone) - dt.timedelta(days=7)))
        series_ids[series["key"]] = rows[0]["id"]
    appointments = []
    for item in sorted(plan.appointments, key=lambda item: (item.starts_at, item.provider, item.patient)):
        created = min(item.starts_at - dt.timedelta(days=10), now)
        changes = {"booked": 1, "confirmed": 2, "arrived": 3, "in_progress": 4, "completed": 5}.get(item.status, 2)
        appointments.append(Appointment(
            patient=item.patient, provider=item.provider, starts_at=item.starts_at, ends_at=item.ends_at,
            status=item.status, reason=item.reason, created_at=created, updated_at=item.cancelled_at or created,
            type=type_ids[item.type_index], room=room_ids[item.room] if item.room is not None else None,
            series=series_ids.get(item.series_key), cancel_reason=item.cancel_reason,
            cancelled_at=item.cancelled_at, late_cancel=item.late_cancel, overbook_reason=item.overbook_reason,
            revision=changes, created_by=created_by))
    for start in range(0, len(appointments), 300):
        await Appointment.insert(*appointments[start:start + 300])
    today = now.astimezone(zone).date()
    entries = [WaitlistEntry(patient=entry["patient"], providers=entry["providers"], type=type_ids[entry["type_index"]],
                             weekdays=entry["weekdays"], earliest_minutes=entry["earliest_minutes"],
                             latest_minutes=entry["latest_minutes"], from_date=today, until_date=entry["until_date"],
                             notes=entry["notes"], state="waiting", created_by=created_by,
                             created_at=now - dt.timedelta(days=entry["created_days_ago"]),
                             updated_at=now - dt.timedelta(days=entry["created_days_ago"]))
               for entry in plan.waitlist]
    if entries:
        await WaitlistEntry.insert(*entries)
    return appointments
