"""Read-only queries the book's screens need: who provides care, who offers
which type, and the hours and time off around a day or week (staff rows are
the security domain's; the book only reads them here)."""

from __future__ import annotations

import datetime as dt

from clinic.scheduling.tables import AppointmentTypeProvider, TimeOff, WorkingHours
from clinic.security.permissions import CLINICIAN_ROLES
from clinic.security.tables import Staff


async def providers(*, include_inactive: bool = False) -> list[dict]:
    """Clinicians (the book's columns), by name."""
    query = Staff.select(Staff.id, Staff.full_name, Staff.display_name, Staff.colour, Staff.active).where(
        Staff.role.is_in(sorted(CLINICIAN_ROLES)))
    if not include_inactive:
        query = query.where(Staff.active == True)  # noqa: E712 (a piccolo expression)
    rows = await query.order_by(Staff.full_name).order_by(Staff.id)
    for row in rows:
        row["name"] = row["display_name"] or row["full_name"]
    return rows


async def provider(provider_id: int) -> dict | None:
    return next((row for row in await providers(include_inactive=True) if row["id"] == provider_id), None)


async def type_providers() -> dict[int, list[dict]]:
    """type id -> the providers who offer it ({id, name})."""
    rows = await AppointmentTypeProvider.select(
        AppointmentTypeProvider.type, AppointmentTypeProvider.provider.id.as_alias("provider_id"),
        AppointmentTypeProvider.provider.display_name.as_alias("display_name"),
        AppointmentTypeProvider.provider.full_name.as_alias("full_name"),
    ).order_by(AppointmentTypeProvider.provider.full_name)
    found: dict[int, list[dict]] = {}
    for row in rows:
        found.setdefault(row["type"], []).append({"id": row["provider_id"],
                                                  "name": row["display_name"] or row["full_name"]})
    return found


async def hours_of(provider_ids: list[int]) -> dict[int, dict[int, list[tuple[int, int]]]]:
    """provider -> weekday -> [(starts, ends)] minutes after local midnight."""
    found: dict[int, dict[int, list[tuple[int, int]]]] = {}
    if not provider_ids:
        return found
    rows = await WorkingHours.select(WorkingHours.provider, WorkingHours.weekday, WorkingHours.starts,
                                     WorkingHours.ends).where(WorkingHours.provider.is_in(provider_ids)).order_by(
        WorkingHours.starts)
    for row in rows:
        found.setdefault(row["provider"], {}).setdefault(row["weekday"], []).append((row["starts"], row["ends"]))
    return found


async def time_off_between(provider_ids: list[int], start: dt.datetime, end: dt.datetime) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    if not provider_ids:
        return found
    rows = await TimeOff.select(TimeOff.provider, TimeOff.starts_at, TimeOff.ends_at, TimeOff.reason).where(
        TimeOff.provider.is_in(provider_ids) & (TimeOff.starts_at < end) & (TimeOff.ends_at > start))
    for row in rows:
        found.setdefault(row["provider"], []).append(row)
    return found
