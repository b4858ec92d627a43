"""The clock: aware UTC, read on every call so time_machine moves it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from clinic.core import clock

UTC = dt.timezone.utc


def test_now_is_aware_utc_and_follows_time_travel():
    with time_machine.travel(dt.datetime(2024, 3, 10, 6, 59, 30, tzinfo=UTC), tick=False):
        assert clock.now() == dt.datetime(2024, 3, 10, 6, 59, 30, tzinfo=UTC)
        assert clock.now().utcoffset() == dt.timedelta(0)
    with time_machine.travel(dt.datetime(2030, 1, 1, tzinfo=UTC), tick=False):
        assert clock.now().year == 2030


def test_today_depends_on_the_zone_asked_about():
    with time_machine.travel(dt.datetime(2024, 12, 31, 23, 30, tzinfo=UTC), tick=False):
        assert clock.today_in("UTC") == dt.date(2024, 12, 31)
        assert clock.today_in("Europe/Berlin") == dt.date(2025, 1, 1)
        assert clock.today_in(ZoneInfo("America/New_York")) == dt.date(2024, 12, 31)


def test_as_utc_reads_a_naive_time_as_utc_and_converts_an_aware_one():
    naive = dt.datetime(2024, 7, 1, 12, 0)
    assert clock.as_utc(naive) == dt.datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    in_paris = dt.datetime(2024, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert clock.as_utc(in_paris) == dt.datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    assert clock.as_utc(in_paris).tzinfo is UTC
