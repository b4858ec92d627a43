"""The book's pure rules: spans of time, free slots, statuses, late cancels, recurrence.

No database here: services load rows and ask these functions.

Local wall-clock times become UTC with the one rule ``Locale.to_utc`` states:
a time the clocks skip (spring forward) moves forward by the gap, a time
that happens twice (fall back) is the first occurrence. Recurring series are
expanded from their LOCAL start in the clinic's named zone, so a weekly 9:00
stays at 9:00 on both sides of a change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable
from zoneinfo import ZoneInfo

from dateutil.rrule import MONTHLY, WEEKLY, rrule, rrulestr

from clinic.core.errors import Invalid

UTC = dt.timezone.utc
MINUTES_PER_DAY = 24 * 60

STATUSES = ("booked", "confirmed", "arrived", "in_progress", "completed", "cancelled", "no_show")
STATUS_LABELS = {
    "booked": "Booked", "confirmed": "Confirmed", "arrived": "Arrived", "in_progress": "In progress",
    "completed": "Completed", "cancelled": "Cancelled", "no_show": "No-show",
}
# Cancelled and no-show appointments leave their time free for someone else.
HOLDS_TIME = frozenset({"booked", "confirmed", "arrived", "in_progress", "completed"})
TRANSITIONS: dict[str, frozenset[str]] = {
    "booked": frozenset({"confirmed", "arrived", "cancelled", "no_show"}),
    "confirmed": frozenset({"booked", "arrived", "cancelled", "no_show"}),
    "arrived": frozenset({"in_progress", "completed", "confirmed"}),  # back: marked arrived by mistake
    "in_progress": frozenset({"completed", "arrived"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
    "no_show": frozenset({"arrived"}),  # the patient turned up late after all
}
# When clinic settings name no cancellation window: cancelling later than this before the start is a late cancel.
CANCELLATION_WINDOW = dt.timedelta(hours=24)

# A series never reaches further than this from its first occurrence.
SERIES_HORIZON_DAYS = 731
SERIES_MAX_OCCURRENCES = 120
SERIES_FREQUENCIES = ("weekly", "monthly_weekday", "monthly_date")


# -- spans -------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Span:
    """[start, end) in UTC."""

    start: dt.datetime
    end: dt.datetime

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Span) -> bool:
        return self.start <= other.start and other.end <= self.end

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def span_of(starts_at: dt.datetime, minutes: int) -> Span:
    return Span(starts_at, starts_at + dt.timedelta(minutes=minutes))


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Overlapping or touching spans joined, earliest first."""
    merged: list[Span] = []
    for span in sorted(spans):
        if span.end <= span.start:
            continue
        if merged and span.start <= merged[-1].end:
            if span.end > merged[-1].end:
                merged[-1] = Span(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged


def within(span: Span, open_spans: Iterable[Span]) -> bool:
    """Whether ``span`` lies wholly inside the union of ``open_spans`` (adjacent blocks join)."""
    return any(block.contains(span) for block in merge_spans(open_spans))


def subtract(open_spans: Iterable[Span], busy: Iterable[Span]) -> list[Span]:
    """What is left of ``open_spans`` once ``busy`` is taken out."""
    free = merge_spans(open_spans)
    for taken in merge_spans(busy):
        remaining = []
        for span in free:
            if not span.overlaps(taken):
                remaining.append(span)
                continue
            if span.start < taken.start:
                remaining.append(Span(span.start, taken.start))
            if taken.end < span.end:
                remaining.append(Span(taken.end, span.end))
        free = remaining
    return free


# -- local time --------------------------------------------------------------


def local_to_utc(day: dt.date, minutes: int, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of ``minutes`` after local midnight on ``day`` (1440 is the next midnight).

    fold=0: a skipped time lands after the gap, a repeated one on its first occurrence.
    """
    day = day + dt.timedelta(days=minutes // MINUTES_PER_DAY)
    minutes %= MINUTES_PER_DAY
    wall = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=zone)
    return wall.astimezone(UTC)


def naive_to_utc(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def minutes_of_day(moment: dt.datetime, zone: ZoneInfo) -> int:
    local = moment.astimezone(zone)
    return local.hour * 60 + local.minute


def day_spans(day: dt.date, blocks: Iterable[tuple[int, int]], zone: ZoneInfo) -> list[Span]:
    """Blocks of a day (minutes after local midnight) as UTC spans."""
    spans = []
    for starts, ends in blocks:
        start, end = local_to_utc(day, starts, zone), local_to_utc(day, ends, zone)
        if end > start:
            spans.append(Span(start, end))
    return merge_spans(spans)


def time_to_minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def clinic_blocks(hours: dict[int, list[tuple[dt.time, dt.time]]]) -> dict[int, list[tuple[int, int]]]:
    """Practice opening hours (times) as minute blocks; a closing time of 00:00 means midnight."""
    return {
        weekday: [(time_to_minutes(opens), time_to_minutes(closes) or MINUTES_PER_DAY) for opens, closes in blocks]
        for weekday, blocks in hours.items()
    }


def local_days(span: Span, zone: ZoneInfo) -> list[dt.date]:
    """Every local date ``span`` touches."""
    first = span.start.astimezone(zone).date()
    last = (span.end - dt.timedelta(microseconds=1)).astimezone(zone).date()
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def open_spans_around(span: Span, blocks: dict[int, list[tuple[int, int]]], zone: ZoneInfo) -> list[Span]:
    """The opening spans (per weekday blocks) on the days ``span`` touches, and the day either side."""
    days = local_days(span, zone)
    days = [days[0] - dt.timedelta(days=1), *days, days[-1] + dt.timedelta(days=1)]
    spans = []
    for day in days:
        spans += day_spans(day, blocks.get(day.weekday(), []), zone)
    return merge_spans(spans)


# -- free slots --------------------------------------------------------------


def align_up(moment: dt.datetime, step: int, zone: ZoneInfo) -> dt.datetime:
    """The first instant at or after ``moment`` on a ``step``-minute grid of local time."""
    local = moment.astimezone(zone)
    since_midnight = local.hour * 60 + local.minute
    extra = (-since_midnight) % step
    aligned = moment.replace(second=0, microsecond=0)
    if aligned < moment:
        aligned += dt.timedelta(minutes=1)
        extra = (extra - 1) % step
    return aligned + dt.timedelta(minutes=extra)


def intersect(first: Iterable[Span], second: Iterable[Span]) -> list[Span]:
    """The time that lies in both."""
    both = []
    second = merge_spans(second)
    for one in merge_spans(first):
        for other in second:
            start, end = max(one.start, other.start), min(one.end, other.end)
            if start < end:
                both.append(Span(start, end))
    return merge_spans(both)


def free_slots(open_spans: Iterable[Span], busy: Iterable[Span], minutes: int, *, step: int, zone: ZoneInfo,
               not_before: dt.datetime | None = None, limit: int | None = None, align: int | None = None) -> list[Span]:
    """Slots of ``minutes`` in the open time minus the busy time: each free stretch's first slot starts
    on an ``align``-minute grid of local time (default ``step``), the next ones ``step`` minutes apart."""
    length = dt.timedelta(minutes=minutes)
    slots: list[Span] = []
    for free in subtract(open_spans, busy):
        start = free.start if not_before is None else max(free.start, not_before)
        start = align_up(start, align or step, zone)
        while start + length <= free.end:
            slots.append(Span(start, start + length))
            if limit is not None and len(slots) >= limit:
                return slots
            start += dt.timedelta(minutes=step)
    return slots


# -- statuses ----------------------------------------------------------------


def can_change_status(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def is_late_cancel(starts_at: dt.datetime, cancelled_at: dt.datetime,
                   window: dt.timedelta = CANCELLATION_WINDOW) -> bool:
    """Cancelled less than ``window`` before the start (or after it)."""
    return cancelled_at > starts_at - window


# -- recurrence --------------------------------------------------------------


@dataclass(frozen=True)
class SeriesRule:
    """How a series repeats: weekly every ``interval`` weeks, or monthly on the same
    weekday of the month ("second Tuesday") or the same date; ending after
    ``count`` occurrences or on ``until`` (a local date, included)."""

    frequency: str = "weekly"
    interval: int = 1
    count: int | None = None
    until: dt.date | None = None

    def check(self, first_day: dt.date) -> None:
        errors = {}
        if self.frequency not in SERIES_FREQUENCIES:
            errors["frequency"] = "Choose how often the appointment repeats."
        if not 1 <= self.interval <= 12:
            errors["interval"] = "Repeat every 1 to 12 weeks or months."
        if (self.count is None) == (self.until is None):
            errors["ends"] = "End the series after a number of appointments or on a date."
        elif self.count is not None and not 1 <= self.count <= SERIES_MAX_OCCURRENCES:
            errors["count"] = f"A series has 1 to {SERIES_MAX_OCCURRENCES} appointments."
        elif self.until is not None and self.until < first_day:
            errors["until"] = "The series ends before it starts."
        elif self.until is not None and (self.until - first_day).days > SERIES_HORIZON_DAYS:
            errors["until"] = "A series may run for at most two years."
        if errors:
            raise Invalid(errors)

    def rrule_text(self, first_day: dt.date) -> str:
        """The RFC 5545 RRULE (without DTSTART) as stored on the series."""
        parts = ["FREQ=WEEKLY" if self.frequency == "weekly" else "FREQ=MONTHLY"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.frequency == "monthly_weekday":
            parts.append(f"BYDAY={_nth_weekday(first_day)}")
        elif self.frequency == "monthly_date":
            parts.append(f"BYMONTHDAY={first_day.day}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append(f"UNTIL={self.until:%Y%m%d}T235959")
        return ";".join(parts)


_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _nth_weekday(day: dt.date) -> str:
    """"+2TU" for the second Tuesday; "-1TU" for a fifth one (the last, as most months have no fifth)."""
    nth = (day.day - 1) // 7 + 1
    return f"{'-1' if nth == 5 else f'+{nth}'}{_WEEKDAY_CODES[day.weekday()]}"


def local_occurrences(rule_text: str, first_day: dt.date, local_minutes: int) -> list[dt.datetime]:
    """The rule's occurrences as naive LOCAL datetimes, bounded to the series horizon."""
    start = dt.datetime.combine(first_day, dt.time(local_minutes // 60, local_minutes % 60))
    horizon = start + dt.timedelta(days=SERIES_HORIZON_DAYS)
    found = []
    for occurrence in rrulestr(rule_text, dtstart=start):
        if occurrence > horizon or len(found) >= SERIES_MAX_OCCURRENCES:
            break
        found.append(occurrence)
    return found


def occurrences(rule_text: str, first_day: dt.date, local_minutes: int, zone: ZoneInfo) -> list[dt.datetime]:
    """The rule's occurrences as UTC instants, each at the same LOCAL time in ``zone``
    (moved forward across a spring-forward gap, the first of a repeated hour)."""
    return [naive_to_utc(local, zone) for local in local_occurrences(rule_text, first_day, local_minutes)]


def parse_rule(rule_text: str) -> rrule:
    """Raise ``Invalid`` for text that is not an RRULE we can expand."""
    try:
        parsed = rrulestr(rule_text, dtstart=dt.datetime(2000, 1, 1))
    except (ValueError, TypeError):
        raise Invalid({"rule": "This repeat rule cannot be read."}) from None
    if parsed._freq not in (WEEKLY, MONTHLY):  # type: ignore[attr-defined]
        raise Invalid({"rule": "A series repeats weekly or monthly."})
    return parsed


def rule_ending_before(rule_text: str, last_local: dt.datetime) -> str:
    """The same rule cut to end just before ``last_local`` (for "this and following")."""
    parts = [part for part in rule_text.split(";") if not part.startswith(("COUNT=", "UNTIL="))]
    until = last_local - dt.timedelta(seconds=1)
    return ";".join([*parts, f"UNTIL={until:%Y%m%dT%H%M%S}"])


def rule_from_local(rule_text: str, first_day: dt.date, count: int) -> str:
    """The same repeat, restarted on ``first_day`` for ``count`` occurrences (the part of a series
    split off by "this and following"): a monthly rule follows the new day."""
    parts = []
    for part in rule_text.split(";"):
        if part.startswith(("COUNT=", "UNTIL=")):
            continue
        if part.startswith("BYDAY=") and "FREQ=MONTHLY" in rule_text:
            part = f"BYDAY={_nth_weekday(first_day)}"
        elif part.startswith("BYMONTHDAY="):
            part = f"BYMONTHDAY={first_day.day}"
        parts.append(part)
    return ";".join([*parts, f"COUNT={count}"])


def weekday_name(weekday: int) -> str:
    return ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[weekday]


def describe_rule(rule_text: str) -> str:
    """A short reading of a stored rule: "every 2 weeks, 10 times"."""
    fields = dict(part.split("=", 1) for part in rule_text.split(";") if "=" in part)
    interval = int(fields.get("INTERVAL", "1"))
    unit = "week" if fields.get("FREQ") == "WEEKLY" else "month"
    text = f"every {unit}" if interval == 1 else f"every {interval} {unit}s"
    if "COUNT" in fields:
        text += f", {fields['COUNT']} times"
    elif "UNTIL" in fields:
        until = dt.datetime.strptime(fields["UNTIL"][:8], "%Y%m%d").date()
        text += f", until {until.isoformat()}"
    return text

