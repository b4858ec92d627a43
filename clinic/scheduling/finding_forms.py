"""The "next available" search form and the slot a search offers, read from a query string.

Nothing here names a patient: the search and a slot's link carry only the
type, provider, room, day and time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.core.forms import Field, FormSpec, Reading, check

PARTS = (("", "Any time"), ("morning", "Morning"), ("afternoon", "Afternoon"))

NEXT_FORM = FormSpec((
    Field("type", "Appointment type", kind="choice", required=True, missing="Choose an appointment type."),
    Field("provider", "Provider", kind="choice", blank="Any provider"),
    Field("from", "From", kind="date", hint="Searches up to a year ahead."),
    Field("part", "Time of day", kind="radio", choices=PARTS),
    Field("room", "Room", kind="choice", blank="Any free room", hint="Used when the type needs a room."),
))


@dataclass(frozen=True)
class Search:
    type_id: int
    provider_ids: list[int] | None
    from_date: dt.date
    part_of_day: str | None
    room_id: int | None


def read_search(spec: FormSpec, values: dict, reading: Reading) -> tuple[Search | None, dict[str, str]]:
    clean, errors = check(spec, values, reading)
    if errors:
        return None, errors
    return Search(type_id=int(clean["type"]), provider_ids=[int(clean["provider"])] if clean["provider"] else None,
                  from_date=clean["from"] or reading.today, part_of_day=clean["part"] or None,
                  room_id=int(clean["room"]) if clean["room"] else None), {}


def slot_query(slot, type_id: int, locale) -> dict[str, str]:
    """What a slot's "Book" link carries to the slot page (the booking form's field names)."""
    local = locale.local(slot.starts_at)
    return {"provider": str(slot.provider_id), "type": str(type_id), "room": str(slot.room_id or ""),
            "day": local.date().isoformat(), "time": local.strftime("%H:%M"),
            "minutes": str(int((slot.ends_at - slot.starts_at).total_seconds() // 60))}
