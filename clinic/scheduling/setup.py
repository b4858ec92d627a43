"""Setting up the book: appointment types, rooms, providers' working hours and time off.

Plain services like every domain's: values in (as typed), ``Invalid`` out
with a message per field, each change and its audit entry in one transaction.
Working hours are minutes after local midnight in the clinic's zone (see
tables.py); time off is stored as UTC instants from the local days typed.
"""

from __future__ import annotations

import datetime as dt

from clinic.audit.services import Actor, record
from clinic.core.errors import Invalid
from clinic.core.forms import Reading, check
from clinic.core.locale import Locale
from clinic.db.errors import IntegrityViolation
from clinic.scheduling import book_queries
from clinic.scheduling.setup_forms import BLOCKS_PER_DAY, ROOM_FORM, TIME_OFF_FORM, TYPE_FORM, WEEKDAYS
from clinic.scheduling.tables import AppointmentType, AppointmentTypeProvider, Room, TimeOff, WorkingHours


class NotFound(LookupError):
    pass


# -- appointment types ---------------------------------------------------------


async def appointment_types(*, active_only: bool = False) -> list[dict]:
    """Every type, by name, with the ids and names of the providers who offer it."""
    query = AppointmentType.select(AppointmentType.id, AppointmentType.name, AppointmentType.minutes,
                                   AppointmentType.colour, AppointmentType.needs_room, AppointmentType.may_overlap,
                                   AppointmentType.active)
    if active_only:
        query = query.where(AppointmentType.active == True)  # noqa: E712 (a piccolo expression)
    rows = await query.order_by(AppointmentType.name)
    offered = await book_queries.type_providers()
    for row in rows:
        row["providers"] = offered.get(row["id"], [])
        row["provider_ids"] = [provider["id"] for provider in row["providers"]]
    return rows


async def appointment_type(type_id: int) -> dict:
    rows = [row for row in await appointment_types() if row["id"] == type_id]
    if not rows:
        raise NotFound(type_id)
    return rows[0]


def type_form_values(row: dict | None) -> dict:
    if row is None:
        return {"minutes": "20", "active": "1"}
    return {"name": row["name"], "minutes": str(row["minutes"]), "colour": row["colour"] or "",
            "needs_room": "1" if row["needs_room"] else "", "may_overlap": "1" if row["may_overlap"] else "",
            "active": "1" if row["active"] else ""}


async def _clean_providers(raw_ids: list[str]) -> tuple[list[int], str]:
    known = {provider["id"] for provider in await book_queries.providers(include_inactive=True)}
    chosen = []
    for raw in raw_ids:
        if not raw.isdigit() or int(raw) not in known:
            return [], "Choose providers from the list."
        chosen.append(int(raw))
    return sorted(set(chosen)), ""


async def save_type(values: dict, provider_ids: list[str], actor: Actor, *, type_id: int | None = None) -> int:
    """Add a type (``type_id`` None) or change one; returns its id."""
    clean, errors = check(TYPE_FORM, values)
    chosen, problem = await _clean_providers(provider_ids)
    if problem:
        errors["providers"] = problem
    if not errors.get("name"):
        same = await AppointmentType.select(AppointmentType.id, AppointmentType.name)
        if any(row["name"].casefold() == clean["name"].casefold() and row["id"] != type_id for row in same):
            errors["name"] = "There is already a type with this name."
    if errors:
        raise Invalid(errors)
    columns = {"name": clean["name"], "minutes": clean["minutes"], "colour": clean["colour"] or "",
               "needs_room": clean["needs_room"], "may_overlap": clean["may_overlap"], "active": clean["active"]}
    engine = AppointmentType._meta.db
    try:
        async with engine.transaction():
            if type_id is None:
                rows = await AppointmentType.insert(AppointmentType(**columns))
                type_id, added = rows[0]["id"], True
            else:
                added = False
                if not await AppointmentType.exists().where(AppointmentType.id == type_id):
                    raise NotFound(type_id)
                await AppointmentType.update({getattr(AppointmentType, name): value
                                              for name, value in columns.items()}).where(
                    AppointmentType.id == type_id)
            await AppointmentTypeProvider.delete().where(AppointmentTypeProvider.type == type_id)
            for provider_id in chosen:
                await AppointmentTypeProvider.insert(AppointmentTypeProvider(type=type_id, provider=provider_id))
            await record("scheduling.type_add" if added else "scheduling.type_update", actor,
                         entity_type="appointment_type", entity_id=type_id, detail=clean["name"][:80])
    except IntegrityViolation:
        raise Invalid({"name": "There is already a type with this name."}) from None
    return type_id


# -- rooms ---------------------------------------------------------------------


async def rooms(*, active_only: bool = False) -> list[dict]:
    query = Room.select(Room.id, Room.name, Room.active)
    if active_only:
        query = query.where(Room.active == True)  # noqa: E712
    return await query.order_by(Room.name)


async def add_room(values: dict, actor: Actor) -> int:
    clean, errors = check(ROOM_FORM, values)
    if not errors and any(row["name"].casefold() == clean["name"].casefold() for row in await rooms()):
        errors["name"] = "There is already a room with this name."
    if errors:
        raise Invalid(errors)
    engine = Room._meta.db
    try:
        async with engine.transaction():
            rows = await Room.insert(Room(name=clean["name"], active=True))
            await record("scheduling.room_add", actor, entity_type="room", entity_id=rows[0]["id"],
                         detail=clean["name"])
    except IntegrityViolation:
        raise Invalid({"name": "There is already a room with this name."}) from None
    return rows[0]["id"]


async def set_room_active(room_id: int, active: bool, actor: Actor) -> None:
    """Rooms are retired, not deleted: past appointments still name them."""
    engine = Room._meta.db
    async with engine.transaction():
        if not await Room.exists().where(Room.id == room_id):
            raise NotFound(room_id)
        await Room.update({Room.active: active}).where(Room.id == room_id)
        await record("scheduling.room_active" if active else "scheduling.room_retire", actor, entity_type="room",
                     entity_id=room_id)


# -- working hours -------------------------------------------------------------


def minutes_text(minutes: int | None) -> str:
    return "" if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


async def working_hours(provider_id: int) -> dict[int, list[tuple[int, int]]]:
    """weekday -> [(starts, ends)] in minutes after local midnight, earliest first."""
    hours: dict[int, list[tuple[int, int]]] = {}
    rows = await WorkingHours.select(WorkingHours.weekday, WorkingHours.starts, WorkingHours.ends).where(
        WorkingHours.provider == provider_id).order_by(WorkingHours.weekday).order_by(WorkingHours.starts)
    for row in rows:
        hours.setdefault(row["weekday"], []).append((row["starts"], row["ends"]))
    return hours


def hours_form_values(hours: dict[int, list[tuple[int, int]]]) -> dict[str, str]:
    values = {}
    for weekday, _label in WEEKDAYS:
        blocks = hours.get(weekday, [])
        for index in range(BLOCKS_PER_DAY):
            starts, ends = blocks[index] if index < len(blocks) else (None, None)
            values[f"starts_{weekday}_{index}"] = minutes_text(starts)
            values[f"ends_{weekday}_{index}"] = minutes_text(ends)
    return values


def _read_minutes(text: str) -> int | None:
    try:
        value = dt.time.fromisoformat(text)
    except ValueError:
        return None
    return value.hour * 60 + value.minute


def clean_working_hours(values: dict) -> tuple[dict[int, list[tuple[int, int]]], dict[str, str]]:
    """Blocks from the form: each starts before it ends; a day's blocks do not overlap."""
    hours: dict[int, list[tuple[int, int]]] = {}
    errors: dict[str, str] = {}
    for weekday, label in WEEKDAYS:
        for index in range(BLOCKS_PER_DAY):
            starts_name, ends_name = f"starts_{weekday}_{index}", f"ends_{weekday}_{index}"
            starts_text = str(values.get(starts_name, "") or "").strip()
            ends_text = str(values.get(ends_name, "") or "").strip()
            if not starts_text and not ends_text:
                continue
            starts = _read_minutes(starts_text) if starts_text else None
            ends = _read_minutes(ends_text) if ends_text else None
            if ends == 0 and ends_text:
                ends = 24 * 60  # "00:00" at the end of a block is midnight
            if starts is None:
                errors[starts_name] = f"Enter when work starts on {label}, such as 09:00."
            elif ends is None:
                errors[ends_name] = f"Enter when work ends on {label}, such as 17:00."
            elif ends <= starts:
                errors[ends_name] = "The end must be after the start."
            else:
                hours.setdefault(weekday, []).append((starts, ends))
        blocks = sorted(hours.get(weekday, []))
        for index, ((_, first_ends), (second_starts, _)) in enumerate(zip(blocks, blocks[1:]), start=1):
            if second_starts < first_ends:
                errors.setdefault(f"starts_{weekday}_{index}", "This block starts before the one before it ends.")
        if blocks:
            hours[weekday] = blocks
    return hours, errors


async def save_working_hours(provider_id: int, values: dict, actor: Actor) -> None:
    hours, errors = clean_working_hours(values)
    if errors:
        raise Invalid(errors)
    engine = WorkingHours._meta.db
    async with engine.transaction():
        await WorkingHours.delete().where(WorkingHours.provider == provider_id)
        for weekday, blocks in hours.items():
            for starts, ends in blocks:
                await WorkingHours.insert(WorkingHours(provider=provider_id, weekday=weekday, starts=starts,
                                                       ends=ends))
        await record("scheduling.hours", actor, entity_type="staff", entity_id=provider_id,
                     detail=f"{sum(len(blocks) for blocks in hours.values())} blocks")


# -- time off --------------------------------------------------------------------


async def time_off(provider_id: int, *, ending_after: dt.datetime) -> list[dict]:
    return await TimeOff.select(TimeOff.id, TimeOff.starts_at, TimeOff.ends_at, TimeOff.reason).where(
        (TimeOff.provider == provider_id) & (TimeOff.ends_at > ending_after)).order_by(TimeOff.starts_at)


async def add_time_off(provider_id: int, values: dict, reading: Reading, locale: Locale, actor: Actor) -> int:
    clean, errors = check(TIME_OFF_FORM, values, reading)
    if errors:
        raise Invalid(errors)
    starts_at = locale.to_utc(clean["first_day"], clean["from_time"] or dt.time(0))
    if clean["until_time"] is None:
        ends_at = locale.day_bounds(clean["last_day"])[1]
    else:
        ends_at = locale.to_utc(clean["last_day"], clean["until_time"])
    if ends_at <= starts_at:
        raise Invalid({"last_day": "The time off must end after it starts."})
    if (ends_at - starts_at).days > 366:
        raise Invalid({"last_day": "Enter at most a year at a time."})
    engine = TimeOff._meta.db
    async with engine.transaction():
        rows = await TimeOff.insert(TimeOff(provider=provider_id, starts_at=starts_at, ends_at=ends_at,
                                            reason=clean["reason"], created_by=actor.staff_id))
        await record("scheduling.time_off_add", actor, entity_type="staff", entity_id=provider_id,
                     detail=f"{starts_at.isoformat()}..{ends_at.isoformat()}")
    return rows[0]["id"]


async def remove_time_off(provider_id: int, time_off_id: int, actor: Actor) -> None:
    engine = TimeOff._meta.db
    async with engine.transaction():
        where = (TimeOff.id == time_off_id) & (TimeOff.provider == provider_id)
        if not await TimeOff.exists().where(where):
            raise NotFound(time_off_id)
        await TimeOff.delete().where(where)
        await record("scheduling.time_off_remove", actor, entity_type="staff", entity_id=provider_id,
                     detail=str(time_off_id))
