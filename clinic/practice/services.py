"""The clinic's settings: read (with a short cache), changed with a version check, audited.

Every page needs the clinic's name and time zone, so the profile is kept in
memory for a few seconds (``CACHE_SECONDS``): another app instance sees a
change within that time, this one at once. The first read of an empty table
stores the environment's values (CLINIC_NAME, CLINIC_TIMEZONE,
CLINIC_CURRENCY), so a new clinic starts from what was deployed.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from clinic.audit.services import Actor, record
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.forms import Reading, check
from clinic.core.locale import Locale
from clinic.db.errors import IntegrityViolation
from clinic.db.transactions import for_update
from clinic.practice.forms import CLOSURE_FORM, PROFILE_FORM, WEEKDAYS
from clinic.practice.tables import ClinicProfile, Closure, OpeningHours

CACHE_SECONDS = 10.0
# Up to two blocks a day on the form (e.g. 9–12 and 13–17); the table takes more.
BLOCKS_PER_DAY = 2
DEFAULT_HOURS = {day: [(dt.time(9), dt.time(17))] for day in range(5)}


class EditConflict(Exception):
    """Someone else saved the settings since this form was opened."""


@dataclass(frozen=True)
class Practice:
    id: int
    name: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    phone: str
    email: str
    timezone: str
    currency: str
    appointment_minutes: int
    cosign_nurse_notes: bool
    version: int
    # weekday -> [(opens, closes)], earliest first; a missing day is closed
    hours: dict[int, list[tuple[dt.time, dt.time]]]

    @property
    def address(self) -> list[str]:
        place = " ".join(part for part in (self.city, self.region, self.postal_code) if part)
        return [line for line in (self.address_line1, self.address_line2, place) if line]

    def locale(self, base: Locale) -> Locale:
        return base.with_overrides(timezone=self.timezone, currency=self.currency)


# Per database (tests run several apps in one process).
_cache: dict[int, tuple[float, Practice]] = {}


# The environment's first-run values, set by create_app: a job or a command
# that reads the settings before any request must not store UTC and USD.
_defaults: dict = {}


def use_defaults(defaults: dict) -> None:
    _defaults.clear()
    _defaults.update(defaults)


def forget() -> None:
    _cache.clear()


async def practice(defaults: dict | None = None) -> Practice:
    """The clinic's profile and hours (cached for a few seconds)."""
    key = id(ClinicProfile._meta.db)
    cached = _cache.get(key)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    row = await ClinicProfile.select().order_by(ClinicProfile.id).first()
    if row is None:
        row = await _first_profile(defaults or _defaults)
    hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for block in await OpeningHours.select().order_by(OpeningHours.weekday).order_by(OpeningHours.opens):
        hours.setdefault(block["weekday"], []).append((block["opens"], block["closes"]))
    current = Practice(**{name: row[name] for name in (
        "id", "name", "address_line1", "address_line2", "city", "region", "postal_code", "phone", "email",
        "timezone", "currency", "appointment_minutes", "cosign_nurse_notes", "version")}, hours=hours)
    _cache[key] = (time.monotonic(), current)
    return current


async def _first_profile(defaults: dict) -> dict:
    """The first read of a new clinic stores the environment's values (once,
    even when two instances start together: the row is a unique singleton)."""
    engine = ClinicProfile._meta.db
    try:
        async with engine.transaction():
            await ClinicProfile.insert(ClinicProfile(
                singleton=1, name=defaults.get("name") or "Clinic", timezone=defaults.get("timezone") or "UTC",
                currency=defaults.get("currency") or "USD", appointment_minutes=20, version=1))
            for weekday, blocks in DEFAULT_HOURS.items():
                for opens, closes in blocks:
                    await OpeningHours.insert(OpeningHours(weekday=weekday, opens=opens, closes=closes))
    except IntegrityViolation:
        pass  # another instance stored them first
    return await ClinicProfile.select().order_by(ClinicProfile.id).first()


def form_values(current: Practice) -> dict[str, str]:
    """The profile and hours as the strings the form shows."""
    values = {name: str(getattr(current, name)) for name in PROFILE_FORM.names()}
    values["cosign_nurse_notes"] = "1" if current.cosign_nurse_notes else ""
    values["version"] = str(current.version)
    for weekday, _label in WEEKDAYS:
        blocks = current.hours.get(weekday, [])
        for index in range(BLOCKS_PER_DAY):
            opens, closes = blocks[index] if index < len(blocks) else (None, None)
            values[f"opens_{weekday}_{index}"] = opens.strftime("%H:%M") if opens else ""
            values[f"closes_{weekday}_{index}"] = closes.strftime("%H:%M") if closes else ""
    return values


def clean_hours(values: dict) -> tuple[dict[int, list[tuple[dt.time, dt.time]]], dict[str, str]]:
    """Opening hours from the form: each block opens before it closes, blocks of a day do not overlap."""
    hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
    errors: dict[str, str] = {}
    for weekday, label in WEEKDAYS:
        for index in range(BLOCKS_PER_DAY):
            opens_name, closes_name = f"opens_{weekday}_{index}", f"closes_{weekday}_{index}"
            opens_text, closes_text = (str(values.get(opens_name, "")).strip(), str(values.get(closes_name, "")).strip())
            if not opens_text and not closes_text:
                continue
            try:
                opens = dt.time.fromisoformat(opens_text) if opens_text else None
            except ValueError:
                opens = None
            try:
                closes = dt.time.fromisoformat(closes_text) if closes_text else None
            except ValueError:
                closes = None
            if opens is None:
                errors[opens_name] = f"Enter when the clinic opens on {label}, such as 09:00."
            elif closes is None:
                errors[closes_name] = f"Enter when the clinic closes on {label}, such as 17:00."
            elif closes <= opens:
                errors[closes_name] = "Closing time must be after opening time."
            else:
                hours.setdefault(weekday, []).append((opens, closes))
        blocks = sorted(hours.get(weekday, []))
        for (_, first_closes), (second_opens, _) in zip(blocks, blocks[1:]):
            if second_opens < first_closes:
                errors.setdefault(f"opens_{weekday}_1", "The second block starts before the first one ends.")
        if blocks:
            hours[weekday] = blocks
    return hours, errors


async def update_practice(values: dict, version: int, actor: Actor) -> None:
    clean, errors = check(PROFILE_FORM, values)
    hours, hour_errors = clean_hours(values)
    errors.update(hour_errors)
    if "timezone" not in errors:
        try:
            Locale.for_country("US", clean["timezone"])
        except ValueError:
            errors["timezone"] = "Choose a time zone from the list."
    if errors:
        raise Invalid(errors)
    engine = ClinicProfile._meta.db
    async with engine.transaction():
        current = await for_update(ClinicProfile.select().order_by(ClinicProfile.id)).first()
        if current is None or current["version"] != version:
            raise EditConflict()
        changed = [name for name in PROFILE_FORM.names() if current[name] != clean[name]]
        await ClinicProfile.update({
            **{getattr(ClinicProfile, name): value for name, value in clean.items()},
            ClinicProfile.version: current["version"] + 1, ClinicProfile.updated_at: clock.now(),
            ClinicProfile.updated_by: actor.staff_id,
        }).where(ClinicProfile.id == current["id"])
        await OpeningHours.delete().where(OpeningHours.id > 0)
        for weekday, blocks in hours.items():
            for opens, closes in blocks:
                await OpeningHours.insert(OpeningHours(weekday=weekday, opens=opens, closes=closes))
        await record("practice.update", actor, entity_type="practice", entity_id=current["id"],
                     detail=",".join(changed + ["hours"])[:200])
    forget()


async def closures(*, upcoming_from: dt.date | None = None) -> list[dict]:
    query = Closure.select(Closure.id, Closure.first_day, Closure.last_day, Closure.reason)
    if upcoming_from:
        query = query.where(Closure.last_day >= upcoming_from)
    return await query.order_by(Closure.first_day)


async def add_closure(values: dict, reading: Reading, actor: Actor) -> int:
    clean, errors = check(CLOSURE_FORM, values, reading)
    if not errors and clean["last_day"] < clean["first_day"]:
        errors["last_day"] = "The last day is before the first day."
    if not errors and clean["last_day"] < reading.today:
        errors["last_day"] = "This closure is already over."
    if errors:
        raise Invalid(errors)
    engine = Closure._meta.db
    async with engine.transaction():
        rows = await Closure.insert(Closure(**clean, created_by=actor.staff_id))
        await record("practice.closure_add", actor, entity_type="closure", entity_id=rows[0]["id"],
                     detail=f"{clean['first_day']}..{clean['last_day']}")
    return rows[0]["id"]


async def remove_closure(closure_id: int, actor: Actor) -> bool:
    engine = Closure._meta.db
    async with engine.transaction():
        if not await Closure.exists().where(Closure.id == closure_id):
            return False
        await Closure.delete().where(Closure.id == closure_id)
        await record("practice.closure_remove", actor, entity_type="closure", entity_id=closure_id)
    return True

