"""Opening hours as typed on the clinic settings form (no database)."""

from __future__ import annotations

import datetime as dt

from clinic.practice.services import clean_hours


def test_opening_hours_with_a_break_are_kept_in_order():
    hours, errors = clean_hours({"opens_0_0": "13:00", "closes_0_0": "17:00", "opens_0_1": "09:00",
                                 "closes_0_1": "12:00"})
    assert errors == {}
    assert hours == {0: [(dt.time(9), dt.time(12)), (dt.time(13), dt.time(17))]}


def test_overlapping_blocks_of_a_day_are_refused():
    hours, errors = clean_hours({"opens_1_0": "09:00", "closes_1_0": "13:00", "opens_1_1": "12:00",
                                 "closes_1_1": "17:00"})
    assert "opens_1_1" in errors
