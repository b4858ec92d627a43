"""What the day and week views show: columns of working hours, time off and
appointments, gathered in a handful of queries and laid out by book_grid."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_skeleton

from clinic.core import clock
from clinic.core.locale import Locale
from clinic.practice import services as practice
from clinic.scheduling import book_queries
from clinic.scheduling.availability import working_spans
from clinic.scheduling.book_grid import Column, Grid, lay_out, minutes_of
from clinic.scheduling.conflicts import closed_on
from clinic.scheduling.rules import HOLDS_TIME
from clinic.scheduling.services import appointments_between


async def _columns_for(days_and_providers: list[tuple[dt.date, dict]], locale: Locale, *,
                       label_by: str) -> tuple[list[Column], list]:
    """The columns, and the cancelled and no-show appointments of those days (listed under the grid)."""
    days = sorted({day for day, _ in days_and_providers})
    provider_ids = sorted({provider["id"] for _, provider in days_and_providers})
    start, end = locale.day_bounds(days[0])[0], locale.day_bounds(days[-1])[1]
    every = await appointments_between(start, end, provider_ids=provider_ids, include_cancelled=True)
    entries = [entry for entry in every if entry.status in HOLDS_TIME]
    set_aside = [entry for entry in every if entry.status not in HOLDS_TIME]
    # Bookable time: the provider's hours within the clinic's, no closure, time off taken out.
    bookable = await working_spans(days[0], (days[-1] - days[0]).days + 1, provider_ids, locale)
    away = await book_queries.time_off_between(provider_ids, start, end)
    closures = await practice.closures(upcoming_from=days[0])
    columns = []
    for day, provider in days_and_providers:
        day_start, day_end = locale.day_bounds(day)
        blocks = [(minutes_of(span.start, locale, day), minutes_of(span.end, locale, day))
                  for span in bookable.get(provider["id"], {}).get(day, [])]
        closure = closed_on(day, closures)
        column = Column(
            key=f"{day.isoformat()}-{provider['id']}",
            label=provider["name"] if label_by == "provider" else format_skeleton("MMMEd", day, locale=locale.language),
            day=day, provider_id=provider["id"], colour=provider.get("colour") or "", blocks=blocks,
            closed=f"Closed: {closure['reason']}" if closure else ("" if blocks or column_away(away, provider, day_start,
                                                                                             day_end) else "Not working"),
            entries=[entry for entry in entries if entry.provider_id == provider["id"]
                     and entry.starts_at < day_end and entry.ends_at > day_start])
        for row in away.get(provider["id"], []):
            if row["starts_at"] < day_end and row["ends_at"] > day_start:
                column.away.append((minutes_of(row["starts_at"], locale, day), minutes_of(row["ends_at"], locale, day),
                                    row["reason"] or "Away"))
        columns.append(column)
    return columns, set_aside


async def day_grid(day: dt.date, locale: Locale, providers: list[dict] | None = None) -> Grid:
    """Every provider side by side on ``day`` (``providers``: the active ones, when already read)."""
    providers = await book_queries.providers() if providers is None else providers
    if not providers:
        return lay_out([], locale)
    columns, set_aside = await _columns_for([(day, provider) for provider in providers], locale, label_by="provider")
    grid = lay_out(columns, locale, now=clock.now())
    grid.set_aside = set_aside
    return grid


def week_days(day: dt.date, locale: Locale) -> list[dt.date]:
    first = locale.week_start(day)
    return [first + dt.timedelta(days=offset) for offset in range(7)]


async def week_grid(day: dt.date, provider: dict, locale: Locale) -> Grid:
    """One provider's week (from the clinic's usual first day) holding ``day``."""
    columns, set_aside = await _columns_for([(each, provider) for each in week_days(day, locale)], locale,
                                            label_by="day")
    grid = lay_out(columns, locale, now=clock.now())
    grid.set_aside = set_aside
    return grid


def column_away(away: dict, provider: dict, day_start: dt.datetime, day_end: dt.datetime) -> bool:
    """Away all day (time off): say so instead of "not working"."""
    return any(row["starts_at"] <= day_start and row["ends_at"] >= day_end for row in away.get(provider["id"], []))


def patient_ids(grid: Grid) -> list[int]:
    return [placed.entry.patient_id for column in grid.columns for placed in column.placed] + [
        entry.patient_id for entry in grid.set_aside]
