"""Grouping stored UTC instants by the clinic's local days or months, the same on SQLite and MySQL.

A fixed offset is wrong for half the year wherever clocks change, and neither backend's date
functions know the clinic's zone the same way (MySQL needs loaded zone tables, SQLite has none).
So the boundaries are worked out here, in Python with zoneinfo: the UTC instant at which each
local day (or month) begins, a handful of values. The statement compares the column with them:
``within()`` keeps the rows of the whole period (a range on the column's index) and
``index_of()`` says which bucket a row falls in, as a balanced tree of ``CASE WHEN col < edge``
(about log2(buckets) comparisons per row, plain SQL both backends run alike). The bucket number
comes back as an integer and ``Buckets.starts`` gives the local date it stands for. (Alias it with a
name no table column has: SQLite resolves GROUP BY "bucket" to a column called bucket first.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from piccolo.querystring import QueryString

# A day-by-day chart past this many days is unreadable; callers bucket by month instead.
MAX_DAY_BUCKETS = 400
MAX_MONTH_BUCKETS = 240


@dataclass(frozen=True)
class Buckets:
    """``starts[i]`` is the local date bucket ``i`` begins on; it covers [edges[i], edges[i + 1])."""

    unit: str  # day | month
    starts: tuple[dt.date, ...]
    edges: tuple[dt.datetime, ...]  # UTC, one more than starts

    @property
    def since(self) -> dt.datetime:
        return self.edges[0]

    @property
    def until(self) -> dt.datetime:
        return self.edges[-1]

    def within(self, column: str) -> QueryString:
        """The rows of the whole period: ``column >= first edge AND column < last edge``."""
        return QueryString(f"({column} >= {{}} AND {column} < {{}})", self.since, self.until)

    def index_of(self, column: str) -> QueryString:
        """The bucket number of a row already ``within()`` the period."""
        return self._tree(column, 0, len(self.starts) - 1)

    def _tree(self, column: str, low: int, high: int) -> QueryString:
        if low == high:
            return QueryString(str(int(low)))
        middle = (low + high + 1) // 2
        return QueryString(f"(CASE WHEN {column} < {{}} THEN {{}} ELSE {{}} END)", self.edges[middle],
                           self._tree(column, low, middle - 1), self._tree(column, middle, high))

    def label(self, index: int) -> dt.date:
        return self.starts[index]


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant a local day begins. Where a clock change skips midnight, zoneinfo's
    fold=0 reading gives the instant of the change, which is when that day really begins."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone).astimezone(dt.timezone.utc)


def day_buckets(first: dt.date, last: dt.date, zone: ZoneInfo) -> Buckets:
    """One bucket per local day from ``first`` to ``last`` inclusive."""
    if last < first:
        first, last = last, first
    count = (last - first).days + 1
    if count > MAX_DAY_BUCKETS:
        raise ValueError(f"{count} days is too many to bucket by day")
    starts = tuple(first + dt.timedelta(days=n) for n in range(count))
    edges = tuple(local_midnight(day, zone) for day in (*starts, last + dt.timedelta(days=1)))
    return Buckets("day", starts, edges)


def month_start(day: dt.date, months: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_buckets(first: dt.date, last: dt.date, zone: ZoneInfo) -> Buckets:
    """One bucket per local calendar month from ``first`` to ``last`` inclusive; the first and
    last months are cut at the period's ends, so the buckets add up to exactly the period."""
    if last < first:
        first, last = last, first
    start, end = month_start(first), month_start(last)
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    if count > MAX_MONTH_BUCKETS:
        raise ValueError(f"{count} months is too many to bucket by month")
    starts = tuple(month_start(start, n) for n in range(count))
    days = (first, *starts[1:], last + dt.timedelta(days=1))
    return Buckets("month", starts, tuple(local_midnight(day, zone) for day in days))


def period_buckets(first: dt.date, last: dt.date, zone: ZoneInfo) -> Buckets:
    """By day for up to about two months, by month beyond: what a chart can show readably."""
    if abs((last - first).days) <= 62:
        return day_buckets(first, last, zone)
    return month_buckets(first, last, zone)
