"""The waitlist: patients waiting for an earlier slot, with the constraints they gave.

When an appointment is cancelled, ``matching_waitlist`` suggests the entries
whose constraints the freed time satisfies (oldest first). An entry stops
waiting when its patient is booked with a provider and type it asked for
(``settle_for_booking``, inside the booking's transaction), when it is removed,
or when its last day has passed (it lapses).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from clinic.audit.services import Actor, record
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.locale import Locale
from clinic.practice.services import practice
from clinic.scheduling import rules
from clinic.scheduling.queries import patient_state
from clinic.scheduling.tables import AppointmentType, WaitlistEntry

STATES = ("waiting", "booked", "lapsed", "removed")
MAX_SUGGESTIONS = 10


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip().isdigit()]


def _ids_text(values: list[int] | None) -> str:
    return ",".join(str(value) for value in sorted(set(values or [])))


async def add_to_waitlist(patient_id: int, actor: Actor, locale: Locale, *, provider_ids: list[int] | None = None,
                          type_id: int | None = None, weekdays: list[int] | None = None,
                          earliest_minutes: int | None = None, latest_minutes: int | None = None,
                          from_date: dt.date | None = None, until_date: dt.date | None = None,
                          notes: str = "") -> int:
    """Put a patient on the waitlist; returns the entry's id."""
    errors: dict[str, str] = {}
    if weekdays and any(day not in range(7) for day in weekdays):
        errors["weekdays"] = "Choose days of the week."
    for name, value in (("earliest_minutes", earliest_minutes), ("latest_minutes", latest_minutes)):
        if value is not None and not 0 <= value <= rules.MINUTES_PER_DAY:
            errors[name] = "Enter a time of day."
    if earliest_minutes is not None and latest_minutes is not None and latest_minutes <= earliest_minutes:
        errors["latest_minutes"] = "The latest time must be after the earliest."
    if from_date and until_date and until_date < from_date:
        errors["until_date"] = "The last day is before the first."
    if until_date and until_date < locale.today():
        errors["until_date"] = "The last day has already passed."
    patient = await patient_state(patient_id)
    if patient is None or patient["archived_at"] or patient["merged_into"]:
        errors["patient_id"] = "Choose a patient whose record is open."
    if type_id is not None and not await AppointmentType.exists().where(AppointmentType.id == type_id):
        errors["type_id"] = "Choose an appointment type."
    if errors:
        raise Invalid(errors)
    engine = WaitlistEntry._meta.db
    async with engine.transaction():
        now = clock.now()
        rows = await WaitlistEntry.insert(WaitlistEntry(
            patient=patient_id, providers=_ids_text(provider_ids), type=type_id, weekdays=_ids_text(weekdays),
            earliest_minutes=earliest_minutes, latest_minutes=latest_minutes, from_date=from_date,
            until_date=until_date, notes=notes.strip(), state="waiting", created_at=now, updated_at=now,
            created_by=actor.staff_id))
        entry_id = rows[0]["id"]
        await record("waitlist.add", actor, entity_type="waitlist_entry", entity_id=entry_id, patient_id=patient_id)
    return entry_id


async def remove_from_waitlist(entry_id: int, actor: Actor) -> bool:
    engine = WaitlistEntry._meta.db
    async with engine.transaction():
        row = await WaitlistEntry.select(WaitlistEntry.patient, WaitlistEntry.state).where(
            WaitlistEntry.id == entry_id).first()
        if row is None or row["state"] != "waiting":
            return False
        await WaitlistEntry.update({WaitlistEntry.state: "removed", WaitlistEntry.updated_at: clock.now()}).where(
            WaitlistEntry.id == entry_id)
        await record("waitlist.remove", actor, entity_type="waitlist_entry", entity_id=entry_id,
                     patient_id=row["patient"])
    return True


def _columns():
    return (
        WaitlistEntry.all_columns(),
        WaitlistEntry.patient.first_name.as_alias("patient_first_name"),
        WaitlistEntry.patient.last_name.as_alias("patient_last_name"),
        WaitlistEntry.type.name.as_alias("type_name"),
    )


def _shaped(row: dict) -> dict:
    return {**row, "patient_name": f"{row['patient_last_name']}, {row['patient_first_name']}",
            "provider_ids": _ids(row["providers"]), "weekday_list": _ids(row["weekdays"])}


async def waiting_entries(today: dt.date, *, patient_id: int | None = None) -> list[dict]:
    """Entries still waiting, oldest first (those past their last day lapse on the way)."""
    await lapse_expired(today)
    query = WaitlistEntry.select(*_columns()).where(WaitlistEntry.state == "waiting")
    if patient_id is not None:
        query = query.where(WaitlistEntry.patient == patient_id)
    return [_shaped(row) for row in await query.order_by(WaitlistEntry.created_at).order_by(WaitlistEntry.id)]


async def lapse_expired(today: dt.date) -> int:
    """Entries whose last day has passed stop waiting; returns how many."""
    expired = WaitlistEntry.state == "waiting"
    expired &= WaitlistEntry.until_date.is_not_null() & (WaitlistEntry.until_date < today)
    count = await WaitlistEntry.count().where(expired)
    if count:
        await WaitlistEntry.update({WaitlistEntry.state: "lapsed", WaitlistEntry.updated_at: clock.now()}).where(
            expired)
    return count


def fits(entry: dict, *, provider_id: int, type_id: int | None, starts_at: dt.datetime, ends_at: dt.datetime,
         zone: ZoneInfo) -> bool:
    """Whether a time with this provider and type satisfies the entry's constraints."""
    providers = _ids(entry["providers"])
    if providers and provider_id not in providers:
        return False
    if entry["type"] is not None and entry["type"] != type_id:
        return False
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    weekdays = _ids(entry["weekdays"])
    if weekdays and start.weekday() not in weekdays:
        return False
    if entry["earliest_minutes"] is not None and start.hour * 60 + start.minute < entry["earliest_minutes"]:
        return False
    end_minutes = (end.hour * 60 + end.minute) or rules.MINUTES_PER_DAY
    if entry["latest_minutes"] is not None and (end.date() > start.date() or end_minutes > entry["latest_minutes"]):
        return False
    if entry["from_date"] and start.date() < entry["from_date"]:
        return False
    if entry["until_date"] and start.date() > entry["until_date"]:
        return False
    return True


async def matching_waitlist(appointment: dict, locale: Locale | None = None) -> list[dict]:
    """Waiting entries (other patients') that the time of ``appointment`` would suit, oldest first.
    Times of day are read in ``locale``'s zone (by default the clinic's)."""
    zone = locale.zone if locale is not None else ZoneInfo((await practice()).timezone)
    if appointment["starts_at"] <= clock.now():
        return []
    rows = await WaitlistEntry.select(*_columns()).where(
        (WaitlistEntry.state == "waiting") & (WaitlistEntry.patient != appointment["patient"])
    ).order_by(WaitlistEntry.created_at).order_by(WaitlistEntry.id)
    found = [_shaped(row) for row in rows if fits(row, provider_id=appointment["provider"],
                                                  type_id=appointment["type"], starts_at=appointment["starts_at"],
                                                  ends_at=appointment["ends_at"], zone=zone)]
    return found[:MAX_SUGGESTIONS]


async def settle_for_booking(patient_id: int, provider_id: int, type_id: int | None, appointment_id: int) -> int:
    """Inside the booking's transaction: the patient's waiting entries for this provider and type stop
    waiting (state "booked", pointing at the appointment). Returns how many."""
    rows = await WaitlistEntry.select(WaitlistEntry.id, WaitlistEntry.providers, WaitlistEntry.type).where(
        (WaitlistEntry.patient == patient_id) & (WaitlistEntry.state == "waiting"))
    settled = [row["id"] for row in rows
               if (not _ids(row["providers"]) or provider_id in _ids(row["providers"]))
               and (row["type"] is None or row["type"] == type_id)]
    if settled:
        await WaitlistEntry.update({WaitlistEntry.state: "booked", WaitlistEntry.appointment: appointment_id,
                                    WaitlistEntry.updated_at: clock.now()}).where(WaitlistEntry.id.is_in(settled))
    return len(settled)
