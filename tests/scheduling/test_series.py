"""Recurring series on both backends: every occurrence checked, all or nothing, skip the
conflicting dates on request, and one / following / all changes."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.audit.services import Actor
from clinic.core.errors import Invalid
from clinic.scheduling import series as series_services
from clinic.scheduling.booking import Booking
from clinic.scheduling.rules import SeriesRule
from clinic.scheduling.series import SeriesRefused
from tests.factories import (
    add_time_off,
    book_appointment,
    local_time,
    locale,
    make_patient,
    make_staff,
    set_working_hours,
)

MONDAY = dt.date(2027, 3, 1)  # New York changes its clocks on Sunday 2027-03-14
ACTOR = Actor(role="test")


@pytest.fixture
def people(harness):
    provider = harness.run(make_staff, "doctor", name="Lena Okafor")["id"]
    harness.run(set_working_hours, provider)
    patient = harness.run(make_patient, first_name="Ann", last_name="Jones")
    other = harness.run(make_patient, first_name="Bob", last_name="Smith")
    return {"provider": provider, "patient": patient, "other": other}


def weekly(harness, people, count=6, *, hhmm="09:00", skip=False, **fields):
    booking = Booking(patient_id=people["patient"], provider_id=people["provider"], type_id=None,
                      starts_at=local_time(MONDAY, hhmm), minutes=30, **fields)
    return harness.run(lambda: series_services.book_series(booking, SeriesRule("weekly", count=count), ACTOR,
                                                           locale(), skip_conflicts=skip))


def local_starts(harness, where="1 = 1") -> list[dt.datetime]:
    rows = harness.sql(f"SELECT starts_at FROM appointment WHERE {where} ORDER BY starts_at")
    return [row["starts_at"].astimezone(locale().zone) for row in rows]


def test_a_weekly_series_books_one_row_per_date_at_the_same_local_time(harness, people):
    result = weekly(harness, people)
    starts = local_starts(harness)
    assert len(result.appointment_ids) == 6 and len(starts) == 6
    assert {start.time() for start in starts} == {dt.time(9)}  # across the 14 March change
    assert [start.date() for start in starts] == [MONDAY + dt.timedelta(weeks=week) for week in range(6)]
    stored = harness.sql("SELECT rule, local_date, local_minutes, zone FROM appointment_series")[0]
    assert stored == {"rule": "FREQ=WEEKLY;COUNT=6", "local_date": MONDAY, "local_minutes": 540,
                      "zone": "America/New_York"}
    assert harness.sql("SELECT COUNT(DISTINCT series) AS n FROM appointment")[0]["n"] == 1
    assert len(harness.audit("action = 'appointment.book'")) == 6


def test_a_conflict_on_the_last_date_refuses_the_whole_series_and_names_it(harness, people):
    last = MONDAY + dt.timedelta(weeks=5)
    harness.run(book_appointment, people["other"], people["provider"], local_time(last, "09:00"), 30)
    with pytest.raises(SeriesRefused) as caught:
        weekly(harness, people)
    assert [date.day for date in caught.value.dates] == [last]
    assert "Bob Smith" in caught.value.dates[0].conflicts[0].message
    assert "1 of the dates" in caught.value.errors["starts_at"]
    assert harness.sql("SELECT COUNT(*) AS n FROM appointment")[0]["n"] == 1
    assert harness.sql("SELECT COUNT(*) AS n FROM appointment_series")[0]["n"] == 0


def test_every_kind_of_conflict_is_found_on_its_own_date(harness, people):
    from clinic.practice.tables import Closure

    second, third = MONDAY + dt.timedelta(weeks=1), MONDAY + dt.timedelta(weeks=2)
    harness.run(add_time_off, people["provider"], local_time(second, "08:00"), local_time(second, "18:00"), "Course")
    harness.run(Closure.insert(Closure(first_day=third, last_day=third, reason="Inspection")).run)
    with pytest.raises(SeriesRefused) as caught:
        weekly(harness, people)
    found = {date.day: {conflict.kind for conflict in date.conflicts} for date in caught.value.dates}
    assert found == {second: {"time_off"}, third: {"closure"}}


def test_skipping_conflicts_books_the_other_dates_and_reports_the_skipped(harness, people):
    second = MONDAY + dt.timedelta(weeks=1)
    harness.run(book_appointment, people["other"], people["provider"], local_time(second, "09:15"), 30)
    result = weekly(harness, people, skip=True)
    assert len(result.appointment_ids) == 5 and [date.day for date in result.skipped] == [second]
    assert len(local_starts(harness, f"series = {result.series_id}")) == 5


def test_a_series_whose_every_date_conflicts_is_refused_even_when_skipping(harness, people):
    harness.run(set_working_hours, people["provider"], {1: [("09:00", "17:00")]})  # Tuesdays only
    with pytest.raises(SeriesRefused):
        weekly(harness, people, count=3, skip=True)


def test_overbooking_a_series_books_every_date_with_the_reason(harness, people):
    second = MONDAY + dt.timedelta(weeks=1)
    harness.run(book_appointment, people["other"], people["provider"], local_time(second, "09:00"), 30)
    result = weekly(harness, people, count=3, overbook_reason="Post-op checks cannot wait")
    assert len(result.appointment_ids) == 3 and result.skipped == []
    reasons = harness.sql(f"SELECT overbook_reason FROM appointment WHERE series = {result.series_id} "
                          "ORDER BY starts_at")
    assert [row["overbook_reason"] for row in reasons] == ["", "Post-op checks cannot wait", ""]


def test_a_series_resubmitted_with_its_token_is_booked_once(harness, people):
    first = weekly(harness, people, count=3, idempotency_token="series-token-1")
    again = weekly(harness, people, count=3, idempotency_token="series-token-1")
    assert again.series_id == first.series_id and sorted(again.appointment_ids) == sorted(first.appointment_ids)
    assert harness.sql("SELECT COUNT(*) AS n FROM appointment")[0]["n"] == 3


def test_a_series_must_end_and_stay_within_two_years(harness, people):
    booking = Booking(patient_id=people["patient"], provider_id=people["provider"], type_id=None,
                      starts_at=local_time(MONDAY, "09:00"), minutes=30)
    with pytest.raises(Invalid):
        harness.run(series_services.book_series, booking, SeriesRule("weekly"), ACTOR, locale())
    with pytest.raises(Invalid):
        harness.run(series_services.book_series, booking, SeriesRule("weekly", until=dt.date(2030, 1, 1)), ACTOR,
                    locale())


def test_cancelling_one_occurrence_leaves_the_rest(harness, people):
    result = weekly(harness, people, count=4)
    cancelled = harness.run(lambda: series_services.cancel_in_series(result.appointment_ids[1], "one", "Away",
                                                                     ACTOR, locale()))
    assert cancelled == [result.appointment_ids[1]]
    statuses = [row["status"] for row in harness.sql("SELECT status FROM appointment ORDER BY starts_at")]
    assert statuses == ["booked", "cancelled", "booked", "booked"]


def test_cancelling_this_and_following_ends_the_rule_before_it(harness, people):
    result = weekly(harness, people, count=4)
    cancelled = harness.run(lambda: series_services.cancel_in_series(result.appointment_ids[2], "following",
                                                                     "Treatment ended", ACTOR, locale()))
    assert cancelled == result.appointment_ids[2:]
    statuses = [row["status"] for row in harness.sql("SELECT status FROM appointment ORDER BY starts_at")]
    assert statuses == ["booked", "booked", "cancelled", "cancelled"]
    rule = harness.sql("SELECT rule FROM appointment_series")[0]["rule"]
    assert rule == "FREQ=WEEKLY;UNTIL=20270315T085959"
    assert len(harness.audit("action = 'appointment.cancel'")) == 2


def test_cancelling_all_cancels_every_occurrence_still_to_come(harness, people):
    result = weekly(harness, people, count=4)
    cancelled = harness.run(lambda: series_services.cancel_in_series(result.appointment_ids[2], "all", "Moved away",
                                                                     ACTOR, locale()))
    assert sorted(cancelled) == sorted(result.appointment_ids)
    assert {row["status"] for row in harness.sql("SELECT status FROM appointment")} == {"cancelled"}


def test_moving_this_and_following_shifts_each_by_the_same_local_change_and_splits_the_series(harness, people):
    result = weekly(harness, people, count=4)
    third = MONDAY + dt.timedelta(weeks=2)
    moved = harness.run(lambda: series_services.move_in_series(
        result.appointment_ids[2], "following", starts_at=local_time(third + dt.timedelta(days=1), "14:00"),
        minutes=45, actor=ACTOR, locale=locale()))
    assert moved == result.appointment_ids[2:]
    starts = local_starts(harness)
    assert [(start.date(), start.time()) for start in starts] == [
        (MONDAY, dt.time(9)), (MONDAY + dt.timedelta(weeks=1), dt.time(9)),
        (third + dt.timedelta(days=1), dt.time(14)), (third + dt.timedelta(days=8), dt.time(14))]
    series_rows = harness.sql("SELECT id, rule, local_date, local_minutes, minutes FROM appointment_series ORDER BY id")
    assert len(series_rows) == 2
    assert series_rows[1]["local_date"] == third + dt.timedelta(days=1) and series_rows[1]["local_minutes"] == 840
    assert series_rows[1]["rule"] == "FREQ=WEEKLY;COUNT=2" and series_rows[1]["minutes"] == 45
    assert {row["revision"] for row in harness.sql(
        f"SELECT revision FROM appointment WHERE id IN ({moved[0]}, {moved[1]})")} == {2}


def test_moving_all_is_refused_as_a_whole_when_one_date_conflicts(harness, people):
    result = weekly(harness, people, count=4)
    fourth = MONDAY + dt.timedelta(weeks=3)
    harness.run(book_appointment, people["other"], people["provider"], local_time(fourth, "10:00"), 30)
    with pytest.raises(SeriesRefused) as caught:
        harness.run(lambda: series_services.move_in_series(
            result.appointment_ids[0], "all", starts_at=local_time(MONDAY, "10:00"), minutes=30, actor=ACTOR,
            locale=locale()))
    assert [date.day for date in caught.value.dates] == [fourth]
    assert {start.time() for start in local_starts(harness, f"series = {result.series_id}")} == {dt.time(9)}


def test_moving_all_to_a_later_time_keeps_the_series_one_and_true(harness, people):
    result = weekly(harness, people, count=3)
    harness.run(lambda: series_services.move_in_series(
        result.appointment_ids[1], "all", starts_at=local_time(MONDAY + dt.timedelta(weeks=1), "09:30"), minutes=30,
        actor=ACTOR, locale=locale()))
    assert {start.time() for start in local_starts(harness)} == {dt.time(9, 30)}
    stored = harness.sql("SELECT local_minutes, rule FROM appointment_series")
    assert stored == [{"local_minutes": 570, "rule": "FREQ=WEEKLY;COUNT=3"}]
    described = harness.run(series_services.series_of, result.appointment_ids[0])
    assert described["description"] == "every week, 3 times" and len(described["occurrences"]) == 3


def test_merging_a_duplicate_moves_its_series_appointments_and_waitlist_entries(harness, people):
    from clinic.patients.merge import merge
    from clinic.scheduling.waitlist import add_to_waitlist

    weekly(harness, people, count=2)
    harness.run(lambda: add_to_waitlist(people["patient"], ACTOR, locale()))
    moved = harness.run(merge, people["patient"], people["other"], ACTOR)
    assert moved["appointments"] == 2 and moved["appointment_series"] == 1 and moved["waitlist"] == 1
    for table in ("appointment", "appointment_series", "waitlist_entry"):
        assert {row["patient"] for row in harness.sql(f"SELECT patient FROM {table}")} == {people["other"]}


def test_a_series_and_a_single_booking_racing_for_one_date_store_one_of_them(harness, people):
    import asyncio

    from tests.factories import book_appointment

    booking = Booking(patient_id=people["patient"], provider_id=people["provider"], type_id=None,
                      starts_at=local_time(MONDAY, "09:00"), minutes=30)
    third = MONDAY + dt.timedelta(weeks=2)

    async def race():
        return await asyncio.gather(
            series_services.book_series(booking, SeriesRule("weekly", count=4), ACTOR, locale()),
            book_appointment(people["other"], people["provider"], local_time(third, "09:15"), 30),
            return_exceptions=True)

    series_outcome, single_outcome = harness.run(race)
    assert isinstance(series_outcome, SeriesRefused) != isinstance(single_outcome, Exception)
    booked = harness.sql("SELECT starts_at FROM appointment WHERE status = 'booked' ORDER BY starts_at")
    on_third = [row for row in booked if row["starts_at"].astimezone(locale().zone).date() == third]
    assert len(on_third) == 1 and len(booked) in (1, 4)


def test_cancelling_all_from_a_completed_occurrence_cancels_the_ones_to_come(harness, people):
    import time_machine

    from clinic.scheduling import services

    result = weekly(harness, people, count=3)
    first = result.appointment_ids[0]
    with time_machine.travel(local_time(MONDAY, "09:40"), tick=False):
        for revision, status in enumerate(("arrived", "completed"), start=1):
            harness.run(services.set_status, first, revision, status, ACTOR, locale())
        cancelled = harness.run(lambda: series_services.cancel_in_series(first, "all", "Discharged", ACTOR, locale()))
        assert cancelled == result.appointment_ids[1:]
        statuses = [row["status"] for row in harness.sql("SELECT status FROM appointment ORDER BY starts_at")]
        assert statuses == ["completed", "cancelled", "cancelled"]
        with pytest.raises(Invalid):
            harness.run(lambda: series_services.cancel_in_series(first, "all", "Again", ACTOR, locale()))
