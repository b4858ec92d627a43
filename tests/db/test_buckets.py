"""Local days and months of stored UTC instants, the same on SQLite and MySQL, across clock changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from piccolo.querystring import QueryString

from clinic.billing.tables import LedgerEntry
from clinic.db.buckets import day_buckets, local_midnight, month_buckets
from tests.factories import make_patient

NEW_YORK = ZoneInfo("America/New_York")


def at(day: str, hhmm: str, *, fold: int = 0) -> dt.datetime:
    hours, minutes = map(int, hhmm.split(":"))
    wall = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hours, minutes, fold=fold), tzinfo=NEW_YORK)
    return wall.astimezone(dt.timezone.utc)


async def entries_at(moments: list[dt.datetime]) -> None:
    patient_id = await make_patient()
    for number, moment in enumerate(moments, start=1):
        await LedgerEntry.insert(LedgerEntry(patient=patient_id, occurred_at=moment, kind="charge", bucket="patient",
                                             amount=number, description="test"))


async def grouped(buckets) -> dict[dt.date, tuple[int, int]]:
    column = '"ledger_entry"."occurred_at"'
    rows = await LedgerEntry.raw("{}", QueryString(
        'SELECT {} AS "period", COUNT(*) AS "entries", SUM("amount") AS "total" FROM "ledger_entry" '
        'WHERE {} GROUP BY "period" ORDER BY "period"', buckets.index_of(column), buckets.within(column)))
    return {buckets.label(int(row["period"])): (int(row["entries"]), int(row["total"])) for row in rows}


def test_midnight_is_found_on_both_sides_of_a_clock_change():
    assert local_midnight(dt.date(2026, 3, 8), NEW_YORK).hour == 5  # EST
    assert local_midnight(dt.date(2026, 3, 9), NEW_YORK).hour == 4  # EDT
    spring = day_buckets(dt.date(2026, 3, 8), dt.date(2026, 3, 8), NEW_YORK)
    assert spring.until - spring.since == dt.timedelta(hours=23)
    autumn = day_buckets(dt.date(2026, 11, 1), dt.date(2026, 11, 1), NEW_YORK)
    assert autumn.until - autumn.since == dt.timedelta(hours=25)


def test_month_buckets_are_cut_at_the_ends_of_the_period():
    buckets = month_buckets(dt.date(2026, 1, 15), dt.date(2026, 3, 10), NEW_YORK)
    assert buckets.starts == (dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert buckets.since == local_midnight(dt.date(2026, 1, 15), NEW_YORK)
    assert buckets.until == local_midnight(dt.date(2026, 3, 11), NEW_YORK)


def test_days_are_counted_in_the_clinics_zone_across_the_spring_change(harness):
    harness.run(entries_at, [
        at("2026-03-07", "23:30"),  # 1: Saturday night, EST (04:30 UTC on the 8th)
        at("2026-03-08", "00:10"),  # 2: Sunday, just after midnight EST
        at("2026-03-08", "23:50"),  # 3: Sunday night, EDT (03:50 UTC on the 9th)
        at("2026-03-09", "00:30"),  # 4: Monday, EDT (04:30 UTC: a fixed -5 offset would call it Sunday)
        at("2026-03-10", "12:00"),  # 5: outside the period
    ])
    found = harness.run(grouped, day_buckets(dt.date(2026, 3, 7), dt.date(2026, 3, 9), NEW_YORK))
    assert found == {dt.date(2026, 3, 7): (1, 1), dt.date(2026, 3, 8): (2, 5), dt.date(2026, 3, 9): (1, 4)}


def test_the_repeated_hour_of_the_autumn_change_stays_on_its_day(harness):
    harness.run(entries_at, [
        at("2026-10-31", "23:30"),  # 1: Saturday, EDT
        at("2026-11-01", "01:30", fold=0),  # 2: the first 01:30 (EDT)
        at("2026-11-01", "01:30", fold=1),  # 3: the second 01:30 (EST)
        at("2026-11-01", "23:30"),  # 4: Sunday night, EST (04:30 UTC on the 2nd)
        at("2026-11-02", "00:15"),  # 5: Monday
    ])
    found = harness.run(grouped, day_buckets(dt.date(2026, 10, 31), dt.date(2026, 11, 2), NEW_YORK))
    assert found == {dt.date(2026, 10, 31): (1, 1), dt.date(2026, 11, 1): (3, 9), dt.date(2026, 11, 2): (1, 5)}


def test_months_are_local_months_on_both_backends(harness):
    harness.run(entries_at, [
        at("2026-02-28", "23:30"),  # 1: February (04:30 UTC on 1 March)
        at("2026-03-01", "00:30"),  # 2: March
        at("2026-03-31", "23:30"),  # 3: March (03:30 UTC on 1 April)
        at("2026-04-01", "00:30"),  # 4: April (04:30 UTC: a fixed -5 offset would call it March)
        at("2026-05-01", "00:00"),  # 5: May, outside the period
    ])
    found = harness.run(grouped, month_buckets(dt.date(2026, 2, 1), dt.date(2026, 4, 30), NEW_YORK))
    assert found == {dt.date(2026, 2, 1): (1, 1), dt.date(2026, 3, 1): (2, 5), dt.date(2026, 4, 1): (1, 4)}


def test_a_bucket_without_rows_is_simply_absent_and_a_row_on_an_edge_belongs_to_the_later_day(harness):
    harness.run(entries_at, [local_midnight(dt.date(2026, 6, 2), NEW_YORK)])
    found = harness.run(grouped, day_buckets(dt.date(2026, 6, 1), dt.date(2026, 6, 3), NEW_YORK))
    assert found == {dt.date(2026, 6, 2): (1, 1)}
