"""The day and week grids of the book, laid out without a database.

A grid has one column per provider (the day view) or per day (the week
view), and one row per ``STEP`` minutes of local time, from the earliest
working hour or appointment of the visible days to the latest. Each column
lists its free slots (within working hours, outside time off and other
appointments: each a link to book), its appointments (row, length, and a lane
when two overlap) and whether the whole column is closed.

No inline styles (the CSP forbids them): positions are classes, ``r-N``
(first row) and ``h-N`` (rows spanned), defined in static/book.css.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from clinic.core.locale import Locale

STEP = 15  # minutes per row
MAX_ROWS = 24 * 60 // STEP
DEFAULT_DAY = (8 * 60, 18 * 60)


@dataclass
class Placed:
    entry: object  # a BookEntry
    row: int  # 1-based row of the grid body
    rows: int
    lane: int = 0
    lanes: int = 1


@dataclass
class Slot:
    row: int
    minutes: int  # after local midnight
    label: str
    time: str  # HH:MM, for the booking form


@dataclass
class Column:
    key: str
    label: str
    day: dt.date
    provider_id: int | None
    colour: str = ""
    closed: str = ""  # why the column has no slots (a closure, nobody working)
    blocks: list[tuple[int, int]] = field(default_factory=list)
    away: list[tuple[int, int, str]] = field(default_factory=list)
    placed: list[Placed] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    hours: list[tuple[int, int, int]] = field(default_factory=list)  # working blocks as (row, rows, minutes)
    entries: list = field(default_factory=list)


@dataclass
class Grid:
    first: int  # minutes after midnight of the first row
    last: int
    rows: list[tuple[int, str, bool]]  # (row, label, on the hour)
    columns: list[Column]
    now_row: int | None = None  # the row holding "now", in a column showing today
    # Cancelled and no-show appointments of the days shown: off the grid (their time is free), listed below it.
    set_aside: list = field(default_factory=list)


def minutes_of(moment: dt.datetime, locale: Locale, day: dt.date) -> int:
    """Minutes after the local midnight of ``day`` (clamped to the day)."""
    local = locale.local(moment)
    if local.date() < day:
        return 0
    if local.date() > day:
        return 24 * 60
    return local.hour * 60 + local.minute


@lru_cache(maxsize=4096)
def clock_label(minutes: int, locale: Locale) -> str:
    """9:30 AM or 09:30 (cached: a grid asks for the same few dozen times again and again)."""
    return locale.format_time(dt.time((minutes // 60) % 24, minutes % 60))


def spans_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def lay_out(columns: list[Column], locale: Locale, *, now: dt.datetime | None = None) -> Grid:
    """Place each column's entries, find its free slots, and size the grid to what is shown."""
    starts, ends = [], []
    for column in columns:
        for start, end in column.blocks:
            starts.append(start)
            ends.append(end)
        for entry in column.entries:
            starts.append(minutes_of(entry.starts_at, locale, column.day))
            ends.append(minutes_of(entry.ends_at, locale, column.day))
    first = (min(starts) // 60) * 60 if starts else DEFAULT_DAY[0]
    last = -(-max(ends) // 60) * 60 if ends else DEFAULT_DAY[1]
    first, last = max(0, first), min(24 * 60, max(last, first + 60))

    def row_of(minutes: int) -> int:
        return (max(first, min(minutes, last)) - first) // STEP + 1

    for column in columns:
        spans = []
        for entry in column.entries:
            start = minutes_of(entry.starts_at, locale, column.day)
            end = max(start + STEP, minutes_of(entry.ends_at, locale, column.day))
            spans.append((start, end))
            column.placed.append(Placed(entry, row_of(start), max(1, -(-(min(end, last) - max(start, first)) // STEP))))
        assign_lanes(column.placed, spans)
        column.hours = [(row_of(start), max(1, (min(end, last) - max(start, first)) // STEP), start)
                        for start, end in column.blocks]
        if column.closed:
            continue
        for start, end in column.blocks:
            minute = start - start % STEP + (STEP if start % STEP else 0)
            while minute + STEP <= end:
                slot = (minute, minute + STEP)
                if not any(spans_overlap(slot, busy) for busy in spans) and not any(
                        spans_overlap(slot, (a, b)) for a, b, _ in column.away):
                    column.slots.append(Slot(row_of(minute), minute, clock_label(minute, locale),
                                             f"{minute // 60:02d}:{minute % 60:02d}"))
                minute += STEP
    rows = [(row_of(minute), clock_label(minute, locale), minute % 60 == 0) for minute in range(first, last, STEP)]
    now_row = None
    if now is not None:
        local = locale.local(now)
        if any(column.day == local.date() for column in columns):
            minute = local.hour * 60 + local.minute
            if first <= minute < last:
                now_row = row_of(minute)
    return Grid(first=first, last=last, rows=rows, columns=columns, now_row=now_row)


def assign_lanes(placed: list[Placed], spans: list[tuple[int, int]]) -> None:
    """Side by side when two appointments overlap (an overbooking, an injection during a visit)."""
    lanes_end: list[int] = []
    groups: list[list[int]] = []
    group_end = -1
    for index in sorted(range(len(placed)), key=lambda i: spans[i]):
        start, end = spans[index]
        if start >= group_end:
            groups.append([])
            lanes_end = []
        lane = next((n for n, ends in enumerate(lanes_end) if ends <= start), None)
        if lane is None:
            lane = len(lanes_end)
            lanes_end.append(end)
        else:
            lanes_end[lane] = end
        placed[index].lane = lane
        groups[-1].append(index)
        group_end = max(group_end, end)
        for member in groups[-1]:
            placed[member].lanes = len(lanes_end)
