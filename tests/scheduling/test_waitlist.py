"""The waitlist: entries with constraints, suggested when a matching time is cancelled,
settled when the patient is booked, lapsed after their last day."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.audit.services import Actor
from clinic.core.errors import Invalid
from clinic.scheduling import services
from clinic.scheduling.waitlist import add_to_waitlist, lapse_expired, remove_from_waitlist, waiting_entries
from tests.factories import (
    book_appointment,
    local_time,
    locale,
    make_appointment_type,
    make_patient,
    make_staff,
    set_working_hours,
)

MONDAY = dt.date(2027, 3, 1)
ACTOR = Actor(role="test")


@pytest.fixture
def book(harness):
    lena = harness.run(make_staff, "doctor", name="Lena Okafor")["id"]
    sam = harness.run(make_staff, "nurse", name="Sam Patel")["id"]
    for provider in (lena, sam):
        harness.run(set_working_hours, provider)
    check_up = harness.run(make_appointment_type, "Check-up")
    holder = harness.run(make_patient, first_name="Hal", last_name="Holder")
    # Hal's Monday 9:00 check-up with Lena is the one that will be cancelled.
    appointment = harness.run(book_appointment, holder, lena, local_time(MONDAY, "09:00"), 30, type_id=check_up)
    return {"lena": lena, "sam": sam, "check_up": check_up, "holder": holder, "appointment": appointment}


def waiting(harness, first_name, **constraints):
    patient = harness.run(make_patient, first_name=first_name, last_name="Waiter")
    entry = harness.run(lambda: add_to_waitlist(patient, ACTOR, locale(), **constraints))
    return patient, entry


def cancel(harness, appointment_id):
    return harness.run(services.cancel, appointment_id, 1, "Cannot come", ACTOR, locale())


def test_a_cancellation_suggests_the_entries_it_suits_oldest_first(harness, book):
    _, anyone = waiting(harness, "Any")
    _, with_lena = waiting(harness, "Lena", provider_ids=[book["lena"]], type_id=book["check_up"])
    _, mondays_morning = waiting(harness, "Monday", weekdays=[0], earliest_minutes=8 * 60, latest_minutes=10 * 60)
    waiting(harness, "Sam", provider_ids=[book["sam"]])
    waiting(harness, "Tuesday", weekdays=[1])
    waiting(harness, "Afternoon", earliest_minutes=13 * 60)
    waiting(harness, "Later", from_date=MONDAY + dt.timedelta(days=7))
    waiting(harness, "Other type", type_id=harness.run(make_appointment_type, "Vaccination"))
    suggestions = cancel(harness, book["appointment"])
    assert [entry["id"] for entry in suggestions] == [anyone, with_lena, mondays_morning]
    assert suggestions[0]["patient_name"] == "Waiter, Any"


def test_the_patient_whose_appointment_is_cancelled_is_not_suggested_their_own_time(harness, book):
    harness.run(lambda: add_to_waitlist(book["holder"], ACTOR, locale(), provider_ids=[book["sam"]]))
    assert cancel(harness, book["appointment"]) == []


def test_a_past_time_suggests_nobody(harness, book):
    import time_machine

    waiting(harness, "Any")
    with time_machine.travel(local_time(MONDAY, "09:10"), tick=False):
        assert cancel(harness, book["appointment"]) == []


def test_booking_the_patient_settles_their_matching_entries(harness, book):
    patient, entry = waiting(harness, "Soon", provider_ids=[book["lena"]])
    _, unrelated = waiting(harness, "Else")
    suggestions = cancel(harness, book["appointment"])
    assert entry in [suggestion["id"] for suggestion in suggestions]
    new = harness.run(book_appointment, patient, book["lena"], local_time(MONDAY, "09:00"), 30,
                      type_id=book["check_up"])
    rows = {row["id"]: row for row in harness.sql("SELECT id, state, appointment FROM waitlist_entry")}
    assert rows[entry]["state"] == "booked" and rows[entry]["appointment"] == new
    assert rows[unrelated]["state"] == "waiting"
    assert [row["id"] for row in harness.run(waiting_entries, locale().today())] == [unrelated]


def test_entries_lapse_after_their_last_day(harness, book):
    _, entry = waiting(harness, "Brief", until_date=MONDAY)
    assert harness.run(lapse_expired, MONDAY) == 0
    assert harness.run(lapse_expired, MONDAY + dt.timedelta(days=1)) == 1
    assert harness.sql("SELECT state FROM waitlist_entry WHERE id = {}", entry)[0]["state"] == "lapsed"


def test_removing_an_entry_is_audited_and_only_once(harness, book):
    patient, entry = waiting(harness, "Gone")
    assert harness.run(remove_from_waitlist, entry, ACTOR)
    assert not harness.run(remove_from_waitlist, entry, ACTOR)
    assert harness.run(waiting_entries, locale().today(), patient_id=patient) == []
    assert [row["action"] for row in harness.audit("action LIKE 'waitlist.%'", columns="action")] == [
        "waitlist.add", "waitlist.remove"]


@pytest.mark.parametrize("constraints, field", [
    ({"weekdays": [7]}, "weekdays"),
    ({"earliest_minutes": 600, "latest_minutes": 540}, "latest_minutes"),
    ({"earliest_minutes": -5}, "earliest_minutes"),
    ({"from_date": dt.date(2027, 3, 10), "until_date": dt.date(2027, 3, 1)}, "until_date"),
    ({"until_date": dt.date(2020, 1, 1)}, "until_date"),
    ({"type_id": 999999}, "type_id"),
])
def test_impossible_constraints_are_refused(harness, book, constraints, field):
    with pytest.raises(Invalid) as caught:
        waiting(harness, "Odd", **constraints)
    assert field in caught.value.errors
