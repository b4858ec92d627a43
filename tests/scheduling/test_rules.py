"""The book's pure rules: spans, free slots, statuses, late cancels, recurrence rules."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic.core.errors import Invalid
from clinic.scheduling import rules
from clinic.scheduling.rules import SeriesRule, Span

UTC = dt.timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")


def at(hhmm: str, day: dt.date = dt.date(2027, 3, 1)) -> dt.datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=UTC)


def span(start: str, end: str) -> Span:
    return Span(at(start), at(end))


def test_spans_that_touch_do_not_overlap():
    assert not span("09:00", "09:30").overlaps(span("09:30", "10:00"))
    assert span("09:00", "09:31").overlaps(span("09:30", "10:00"))
    assert span("09:00", "12:00").overlaps(span("10:00", "10:05"))


def test_merging_joins_overlapping_and_touching_spans():
    merged = rules.merge_spans([span("13:00", "17:00"), span("09:00", "12:00"), span("12:00", "12:30"),
                                span("10:00", "11:00")])
    assert merged == [span("09:00", "12:30"), span("13:00", "17:00")]


def test_within_accepts_a_span_across_adjacent_blocks_but_not_across_a_break():
    blocks = [span("09:00", "12:00"), span("12:00", "13:00"), span("14:00", "17:00")]
    assert rules.within(span("11:30", "12:30"), blocks)
    assert not rules.within(span("12:45", "14:15"), blocks)
    assert not rules.within(span("08:45", "09:15"), blocks)


def test_subtracting_busy_time_leaves_the_gaps():
    free = rules.subtract([span("09:00", "12:00")], [span("09:30", "10:00"), span("11:00", "12:30")])
    assert free == [span("09:00", "09:30"), span("10:00", "11:00")]


def test_free_slots_pack_back_to_back_after_busy_time():
    slots = rules.free_slots([span("09:00", "11:00")], [span("09:00", "09:20")], 20, step=20, zone=UTC)
    assert [slot.start for slot in slots] == [at("09:20"), at("09:40"), at("10:00"), at("10:20"), at("10:40")]


def test_free_slots_start_on_the_local_grid_and_respect_not_before_and_limit():
    # Kolkata is UTC+5:30: a 15-minute grid of local time is also a 15-minute grid of UTC minutes +30.
    slots = rules.free_slots([span("03:30", "05:30")], [], 30, step=15, zone=KOLKATA, not_before=at("03:37"),
                             limit=3)
    assert [slot.start for slot in slots] == [at("03:45"), at("04:00"), at("04:15")]
    assert all(slot.minutes == 30 for slot in slots)


def test_a_slot_too_long_for_the_gap_is_not_offered():
    assert rules.free_slots([span("09:00", "09:25")], [], 30, step=5, zone=UTC) == []


def test_working_blocks_become_utc_spans_in_the_clinics_zone():
    spans = rules.day_spans(dt.date(2027, 3, 1), [(540, 720), (780, 1020)], NEW_YORK)
    assert spans == [Span(at("14:00"), at("17:00")), Span(at("18:00"), at("22:00"))]


def test_a_block_to_midnight_ends_at_the_next_local_midnight():
    spans = rules.day_spans(dt.date(2027, 3, 1), [(1320, 1440)], UTC)
    assert spans == [Span(at("22:00"), at("00:00", dt.date(2027, 3, 2)))]


def test_clinic_hours_as_minutes_treat_a_midnight_close_as_the_end_of_the_day():
    blocks = rules.clinic_blocks({0: [(dt.time(9), dt.time(0))]})
    assert blocks == {0: [(540, 1440)]}


@pytest.mark.parametrize("current, new", [
    ("booked", "confirmed"), ("confirmed", "arrived"), ("arrived", "in_progress"), ("in_progress", "completed"),
    ("booked", "cancelled"), ("confirmed", "no_show"), ("no_show", "arrived"), ("booked", "arrived"),
])
def test_the_usual_status_steps_are_allowed(current, new):
    assert rules.can_change_status(current, new)


@pytest.mark.parametrize("current, new", [
    ("completed", "booked"), ("cancelled", "booked"), ("in_progress", "cancelled"), ("booked", "completed"),
    ("booked", "in_progress"), ("arrived", "cancelled"), ("booked", "nonsense"),
])
def test_other_status_steps_are_refused(current, new):
    assert not rules.can_change_status(current, new)


def test_every_status_has_a_label_and_a_transition_entry():
    assert set(rules.STATUS_LABELS) == set(rules.STATUSES) == set(rules.TRANSITIONS)


def test_a_cancel_inside_the_window_is_late():
    start = at("09:00", dt.date(2027, 3, 2))
    assert not rules.is_late_cancel(start, start - dt.timedelta(hours=25))
    assert rules.is_late_cancel(start, start - dt.timedelta(hours=23))
    assert rules.is_late_cancel(start, start + dt.timedelta(minutes=5))
    assert not rules.is_late_cancel(start, start - dt.timedelta(hours=3), dt.timedelta(hours=2))


def test_weekly_rules_are_written_as_rfc_5545():
    assert SeriesRule("weekly", 2, count=10).rrule_text(dt.date(2027, 3, 1)) == "FREQ=WEEKLY;INTERVAL=2;COUNT=10"
    assert SeriesRule("weekly", until=dt.date(2027, 6, 1)).rrule_text(dt.date(2027, 3, 1)) == (
        "FREQ=WEEKLY;UNTIL=20270601T235959")


def test_monthly_rules_keep_the_weekday_of_the_month_or_the_date():
    assert SeriesRule("monthly_weekday", count=3).rrule_text(dt.date(2027, 3, 9)) == "FREQ=MONTHLY;BYDAY=+2TU;COUNT=3"
    # A fifth Tuesday is read as the last one: most months have no fifth.
    assert SeriesRule("monthly_weekday", count=3).rrule_text(dt.date(2027, 3, 30)) == "FREQ=MONTHLY;BYDAY=-1TU;COUNT=3"
    assert SeriesRule("monthly_date", count=3).rrule_text(dt.date(2027, 3, 15)) == "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3"


def local_dates(rule: SeriesRule, first: dt.date, minutes: int = 540) -> list[dt.date]:
    return [moment.date() for moment in rules.local_occurrences(rule.rrule_text(first), first, minutes)]


def test_every_n_weeks_repeats_on_the_same_weekday():
    dates = local_dates(SeriesRule("weekly", 3, count=4), dt.date(2027, 3, 1))
    assert dates == [dt.date(2027, 3, 1), dt.date(2027, 3, 22), dt.date(2027, 4, 12), dt.date(2027, 5, 3)]


def test_monthly_on_the_second_tuesday():
    dates = local_dates(SeriesRule("monthly_weekday", count=4), dt.date(2027, 3, 9))
    assert dates == [dt.date(2027, 3, 9), dt.date(2027, 4, 13), dt.date(2027, 5, 11), dt.date(2027, 6, 8)]


def test_monthly_on_the_31st_skips_shorter_months():
    dates = local_dates(SeriesRule("monthly_date", count=3), dt.date(2027, 1, 31))
    assert dates == [dt.date(2027, 1, 31), dt.date(2027, 3, 31), dt.date(2027, 5, 31)]


def test_a_series_ending_on_a_date_includes_that_day():
    dates = local_dates(SeriesRule("weekly", until=dt.date(2027, 3, 15)), dt.date(2027, 3, 1))
    assert dates == [dt.date(2027, 3, 1), dt.date(2027, 3, 8), dt.date(2027, 3, 15)]


@pytest.mark.parametrize("rule, field", [
    (SeriesRule("weekly"), "ends"),
    (SeriesRule("weekly", count=3, until=dt.date(2027, 4, 1)), "ends"),
    (SeriesRule("daily", count=3), "frequency"),
    (SeriesRule("weekly", 0, count=3), "interval"),
    (SeriesRule("weekly", count=0), "count"),
    (SeriesRule("weekly", count=500), "count"),
    (SeriesRule("weekly", until=dt.date(2027, 2, 1)), "until"),
    (SeriesRule("weekly", until=dt.date(2029, 6, 1)), "until"),
])
def test_a_series_must_end_within_two_years(rule, field):
    with pytest.raises(Invalid) as caught:
        rule.check(dt.date(2027, 3, 1))
    assert field in caught.value.errors


def test_expansion_stops_at_the_horizon_whatever_the_rule_says():
    found = rules.local_occurrences("FREQ=WEEKLY;COUNT=1000", dt.date(2027, 3, 1), 540)
    assert len(found) <= rules.SERIES_MAX_OCCURRENCES
    assert found[-1] - found[0] <= dt.timedelta(days=rules.SERIES_HORIZON_DAYS)


def test_cutting_a_rule_ends_it_before_an_occurrence():
    text = rules.rule_ending_before("FREQ=WEEKLY;COUNT=10", dt.datetime(2027, 3, 15, 9))
    dates = [moment.date() for moment in rules.local_occurrences(text, dt.date(2027, 3, 1), 540)]
    assert dates == [dt.date(2027, 3, 1), dt.date(2027, 3, 8)]


def test_unreadable_rules_are_refused():
    with pytest.raises(Invalid):
        rules.parse_rule("FREQ=SOMETIMES")
    with pytest.raises(Invalid):
        rules.parse_rule("FREQ=DAILY;COUNT=3")
    assert rules.parse_rule("FREQ=WEEKLY;INTERVAL=2;COUNT=3")


def test_rules_read_back_in_words():
    assert rules.describe_rule("FREQ=WEEKLY;INTERVAL=2;COUNT=10") == "every 2 weeks, 10 times"
    assert rules.describe_rule("FREQ=MONTHLY;BYDAY=+2TU;UNTIL=20271231T235959") == "every month, until 2027-12-31"
