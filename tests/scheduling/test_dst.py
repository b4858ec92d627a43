"""A weekly 9:00 stays at 9:00 local across every daylight-saving change of the next ten years.

For New York, London and Sydney every transition between December 2026 and
December 2036 is found from the zone database itself, and for each one:
a weekly series at 9:00 straddling it keeps 9:00 local (its UTC time moves by
the change), a series at a time the clocks skip that day lands after the gap
(moved forward by its length) while its other dates keep the time, and a series
at a time that happens twice that day takes the first occurrence. Kolkata has no
daylight saving: ten years of weekly 9:00s are all 03:30 UTC.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic.scheduling import rules
from clinic.scheduling.rules import SeriesRule

UTC = dt.timezone.utc
FIRST_DAY = dt.date(2026, 12, 1)
LAST_DAY = dt.date(2036, 12, 1)
ZONES_WITH_DST = ("America/New_York", "Europe/London", "Australia/Sydney")


def transitions(zone_name: str) -> list[tuple[dt.datetime, dt.timedelta, dt.timedelta]]:
    """(instant in UTC, offset before, offset after) for every change in the ten years."""
    zone = ZoneInfo(zone_name)
    found = []
    day = FIRST_DAY
    while day < LAST_DAY:
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=zone)
        next_noon = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(12), tzinfo=zone)
        if noon.utcoffset() != next_noon.utcoffset():
            low, high = noon.astimezone(UTC), next_noon.astimezone(UTC)
            while high - low > dt.timedelta(minutes=1):  # the exact minute, by halving
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == noon.utcoffset():
                    low = middle
                else:
                    high = middle
            instant = high.replace(second=0, microsecond=0)
            found.append((instant, noon.utcoffset(), next_noon.utcoffset()))
        day += dt.timedelta(days=1)
    return found


CASES = [(zone, instant, before, after) for zone in ZONES_WITH_DST for instant, before, after in transitions(zone)]


def case_id(case) -> str:
    zone, instant, before, after = case
    return f"{zone.split('/')[1]}-{instant:%Y-%m-%d}-{'forward' if after > before else 'back'}"


@pytest.mark.parametrize("zone_name", ZONES_WITH_DST)
def test_each_zone_changes_twice_a_year_for_ten_years(zone_name):
    assert len(transitions(zone_name)) == 20


def test_kolkata_never_changes():
    assert transitions("Asia/Kolkata") == []


def series(zone: ZoneInfo, first_day: dt.date, minutes: int, count: int = 5, interval: int = 1) -> list[dt.datetime]:
    text = SeriesRule("weekly", interval, count=count).rrule_text(first_day)
    return rules.occurrences(text, first_day, minutes, zone)


@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_a_weekly_nine_oclock_stays_at_nine_across_the_change(case):
    zone_name, instant, before, after = case
    zone = ZoneInfo(zone_name)
    change_day = instant.astimezone(zone).date()
    found = series(zone, change_day - dt.timedelta(days=14), 9 * 60)
    assert [moment.astimezone(zone).time() for moment in found] == [dt.time(9)] * 5
    offsets = [moment.astimezone(zone).utcoffset() for moment in found]
    assert offsets[:2] == [before] * 2 and offsets[-2:] == [after] * 2
    assert found[-1] - found[0] == dt.timedelta(weeks=4) - (after - before)


@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_a_time_that_does_not_exist_or_happens_twice_on_the_change_day(case):
    zone_name, instant, before, after = case
    zone = ZoneInfo(zone_name)
    wall_before = (instant - dt.timedelta(microseconds=1)).astimezone(zone)
    wall_after = instant.astimezone(zone)
    change_day = wall_after.date()
    if after > before:
        # Spring forward: wall times from the change to change + gap are skipped.
        skipped = wall_before.replace(second=0, microsecond=0) + dt.timedelta(minutes=1, seconds=0)
        skipped_minutes = skipped.hour * 60 + skipped.minute + 30
        found = series(zone, change_day - dt.timedelta(days=7), skipped_minutes, count=3)
        local = [moment.astimezone(zone) for moment in found]
        wanted = dt.time(skipped_minutes // 60, skipped_minutes % 60)
        assert local[0].time() == wanted and local[2].time() == wanted
        gap = after - before
        moved = (dt.datetime.combine(change_day, wanted) + gap).time()
        assert local[1].date() == change_day and local[1].time() == moved
        assert found[1] == instant + dt.timedelta(minutes=30)  # the same instant a wall clock reads after the gap
    else:
        # Fall back: wall times from the change back to change - gap happen twice; the first one is taken.
        repeated_minutes = wall_after.hour * 60 + wall_after.minute + 30
        found = series(zone, change_day - dt.timedelta(days=7), repeated_minutes, count=3)
        local = [moment.astimezone(zone) for moment in found]
        wanted = dt.time(repeated_minutes // 60, repeated_minutes % 60)
        assert [moment.time() for moment in local] == [wanted] * 3
        assert local[1].utcoffset() == before  # the first of the two
        assert found[1] == instant - (before - after) + dt.timedelta(minutes=30)


@pytest.mark.parametrize("zone_name", ZONES_WITH_DST)
def test_a_monthly_second_tuesday_at_nine_stays_at_nine_for_two_years(zone_name):
    zone = ZoneInfo(zone_name)
    text = SeriesRule("monthly_weekday", until=dt.date(2029, 1, 31)).rrule_text(dt.date(2027, 2, 9))
    found = rules.occurrences(text, dt.date(2027, 2, 9), 9 * 60, zone)
    assert len(found) == 24
    assert {moment.astimezone(zone).time() for moment in found} == {dt.time(9)}
    assert {moment.astimezone(zone).weekday() for moment in found} == {1}
    assert len({moment.astimezone(zone).utcoffset() for moment in found}) == 2


def test_kolkata_weekly_nine_oclocks_are_all_three_thirty_utc_for_ten_years():
    zone = ZoneInfo("Asia/Kolkata")
    first = dt.date(2026, 12, 7)
    found = []
    while first < LAST_DAY:  # series are bounded to two years: five of them back to back
        found += series(zone, first, 9 * 60, count=104)
        first += dt.timedelta(weeks=104)
    assert len(found) >= 520
    assert {moment.astimezone(UTC).time() for moment in found} == {dt.time(3, 30)}
    assert {moment.astimezone(zone).time() for moment in found} == {dt.time(9)}


def test_the_clinics_day_bounds_agree_with_series_times_on_a_change_day():
    """A series occurrence on a 23-hour day still falls inside that clinic day."""
    from clinic.core.locale import Locale

    locale = Locale.for_country("US", "America/New_York")
    for instant, _, _ in transitions("America/New_York"):
        change_day = instant.astimezone(locale.zone).date()
        start, end = locale.day_bounds(change_day)
        nine = series(locale.zone, change_day, 9 * 60, count=1)[0]
        assert start <= nine < end
