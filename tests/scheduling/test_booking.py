"""Booking and changing appointments at service level, on SQLite and MariaDB: every conflict
rule, deliberate overbooking, idempotent submits, the concurrency race, moves, statuses, cancels."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
import time_machine

from clinic.audit.services import Actor
from clinic.core.errors import Invalid
from clinic.scheduling import services
from clinic.scheduling.booking import AppointmentChanged, BookingRefused
from tests.factories import (
    add_time_off,
    book_appointment,
    local_time,
    locale,
    make_appointment_type,
    make_patient,
    make_room,
    make_staff,
    set_working_hours,
)

MONDAY = dt.date(2027, 3, 1)
SATURDAY = dt.date(2027, 3, 6)


@pytest.fixture
def book_setup(harness):
    provider = harness.run(make_staff, "doctor", name="Lena Okafor")
    harness.run(set_working_hours, provider["id"])
    patient = harness.run(make_patient, first_name="Ann", last_name="Jones")
    other = harness.run(make_patient, first_name="Bob", last_name="Smith")
    return {"provider": provider["id"], "patient": patient, "other": other}


def book(harness, patient, provider, day, hhmm, minutes=30, **fields):
    return harness.run(book_appointment, patient, provider, local_time(day, hhmm), minutes, **fields)


def refused(harness, patient, provider, day, hhmm, minutes=30, **fields) -> BookingRefused:
    with pytest.raises(BookingRefused) as caught:
        book(harness, patient, provider, day, hhmm, minutes, **fields)
    return caught.value


def kinds(error: BookingRefused) -> set[str]:
    return {conflict.kind for conflict in error.conflicts}


def count(harness) -> int:
    return harness.sql("SELECT COUNT(*) AS n FROM appointment")[0]["n"]


def test_it_books_inside_the_hours_with_history_and_an_audit_entry(harness, book_setup):
    appointment_id = book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00", notes="Knee")
    row = harness.sql("SELECT * FROM appointment WHERE id = {}", appointment_id)[0]
    assert row["status"] == "booked" and row["revision"] == 1 and row["notes"] == "Knee"
    assert row["ends_at"] - row["starts_at"] == dt.timedelta(minutes=30)
    change = harness.run(services.history, appointment_id)
    assert [entry["what"] for entry in change] == ["booked"]
    assert change[0]["after"]["provider"] == book_setup["provider"]
    entry = harness.audit("action = 'appointment.book'")
    assert len(entry) == 1 and entry[0]["patient_id"] == book_setup["patient"]


def test_it_refuses_an_overlap_with_the_providers_other_appointment_and_names_it(harness, book_setup):
    book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00")
    error = refused(harness, book_setup["other"], book_setup["provider"], MONDAY, "09:15")
    assert kinds(error) == {"provider"}
    message = error.conflicts[0].message
    assert "Ann Jones" in message and "9:00" in message and "Lena" in message
    assert error.conflicts[0].appointment_id is not None
    assert "starts_at" in error.errors and count(harness) == 1


def test_back_to_back_appointments_do_not_overlap(harness, book_setup):
    book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00")
    book(harness, book_setup["other"], book_setup["provider"], MONDAY, "09:30")
    assert count(harness) == 2


def test_it_refuses_an_overlap_with_the_patients_appointment_elsewhere(harness, book_setup):
    colleague = harness.run(make_staff, "nurse", name="Sam Patel")["id"]
    harness.run(set_working_hours, colleague)
    book(harness, book_setup["patient"], colleague, MONDAY, "10:00")
    error = refused(harness, book_setup["patient"], book_setup["provider"], MONDAY, "10:15")
    assert kinds(error) == {"patient"}
    assert "Sam" in error.conflicts[0].message


def test_it_refuses_a_double_booked_room(harness, book_setup):
    colleague = harness.run(make_staff, "nurse")["id"]
    harness.run(set_working_hours, colleague)
    room = harness.run(make_room, "Minor ops")
    book(harness, book_setup["patient"], colleague, MONDAY, "14:00", room_id=room)
    error = refused(harness, book_setup["other"], book_setup["provider"], MONDAY, "14:15", room_id=room)
    assert kinds(error) == {"room"} and "Minor ops" in error.conflicts[0].message


def test_it_refuses_the_providers_break_and_times_outside_their_hours(harness, book_setup):
    harness.run(set_working_hours, book_setup["provider"], {0: [("09:00", "12:00"), ("13:00", "16:00")]})
    assert kinds(refused(harness, book_setup["patient"], book_setup["provider"], MONDAY, "11:45")) == {
        "provider_hours"}
    assert kinds(refused(harness, book_setup["patient"], book_setup["provider"], MONDAY, "15:45")) == {
        "provider_hours"}


def test_it_refuses_times_outside_the_clinics_hours(harness, book_setup):
    harness.run(set_working_hours, book_setup["provider"], {5: [("09:00", "12:00")]})
    error = refused(harness, book_setup["patient"], book_setup["provider"], SATURDAY, "09:00")
    assert kinds(error) == {"clinic_hours"}


def test_a_provider_without_working_hours_works_the_clinics_hours(harness, book_setup):
    newcomer = harness.run(make_staff, "doctor")["id"]
    book(harness, book_setup["patient"], newcomer, MONDAY, "12:15")
    assert kinds(refused(harness, book_setup["other"], newcomer, MONDAY, "08:30")) == {"clinic_hours"}


def test_it_refuses_time_off(harness, book_setup):
    harness.run(add_time_off, book_setup["provider"], local_time(MONDAY, "13:00"), local_time(MONDAY, "17:00"),
                "Conference")
    error = refused(harness, book_setup["patient"], book_setup["provider"], MONDAY, "15:00")
    assert kinds(error) == {"time_off"} and "Conference" in error.conflicts[0].message


def test_it_refuses_a_clinic_closure(harness, book_setup):
    from clinic.practice.tables import Closure

    harness.run(Closure.insert(Closure(first_day=MONDAY, last_day=MONDAY, reason="Staff training")).run)
    error = refused(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00")
    assert kinds(error) == {"closure"} and "Staff training" in error.conflicts[0].message


def test_a_type_that_may_overlap_sits_on_top_of_another_appointment(harness, book_setup):
    injection = harness.run(make_appointment_type, "Injection", minutes=5, may_overlap=True)
    book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00")
    book(harness, book_setup["other"], book_setup["provider"], MONDAY, "09:10", 5, type_id=injection)
    third = harness.run(make_patient, first_name="Cy", last_name="Young")
    # ...and does not block the provider's next ordinary appointment either.
    harness.run(book_appointment, third, book_setup["provider"], local_time(MONDAY, "10:00"), 5, type_id=injection)
    fourth = harness.run(make_patient, first_name="Di", last_name="Hart")
    book(harness, fourth, book_setup["provider"], MONDAY, "10:00")
    assert count(harness) == 4


def test_a_type_the_provider_does_not_offer_and_a_roomless_type_that_needs_one_are_refused(harness, book_setup):
    someone = harness.run(make_staff, "doctor")["id"]
    surgery = harness.run(make_appointment_type, "Minor surgery", providers=[someone], needs_room=True)
    with pytest.raises(Invalid) as caught:
        book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00", type_id=surgery)
    assert "does not offer" in caught.value.errors["type_id"] and "room_id" in caught.value.errors
    assert count(harness) == 0


def test_overbooking_needs_a_reason_and_is_recorded_and_audited(harness, book_setup):
    book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00")
    appointment_id = book(harness, book_setup["other"], book_setup["provider"], MONDAY, "09:00",
                          overbook_reason="Urgent: chest pain")
    row = harness.sql("SELECT overbook_reason FROM appointment WHERE id = {}", appointment_id)[0]
    assert row["overbook_reason"] == "Urgent: chest pain"
    assert harness.run(services.history, appointment_id)[0]["after"]["overbooked"] == "provider"
    assert "overbooked: provider" in harness.audit("action = 'appointment.book' AND entity_id = {}", str(appointment_id))[0]["detail"]
    # A blank reason is no reason.
    assert refused(harness, harness.run(make_patient, first_name="E", last_name="F"), book_setup["provider"], MONDAY,
                   "09:00", overbook_reason="  ")


def test_moving_an_overbooked_appointment_clear_of_conflicts_drops_its_reason(harness, book_setup):
    book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00")
    squeezed = book(harness, book_setup["other"], book_setup["provider"], MONDAY, "09:00", overbook_reason="Urgent")
    harness.run(services.move, squeezed, 1, starts_at=local_time(MONDAY, "10:00"), minutes=30,
                provider_id=book_setup["provider"], room_id=None, actor=Actor(role="test"), locale=locale())
    assert harness.sql("SELECT overbook_reason FROM appointment WHERE id = {}", squeezed)[0]["overbook_reason"] == ""
    assert harness.run(services.history, squeezed)[-1]["before"]["overbook_reason"] == "Urgent"


def test_an_ordinary_booking_stores_no_overbook_reason(harness, book_setup):
    appointment_id = book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00",
                          overbook_reason="just in case")
    assert harness.sql("SELECT overbook_reason FROM appointment WHERE id = {}", appointment_id)[0][
        "overbook_reason"] == ""


def test_the_same_token_twice_returns_the_same_appointment(harness, book_setup):
    first = book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00",
                 idempotency_token="form-token-0001")
    again = book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00",
                 idempotency_token="form-token-0001")
    assert first == again and count(harness) == 1


def test_a_double_click_sent_at_once_makes_one_appointment(harness, book_setup):
    async def twice():
        return await asyncio.gather(*[
            book_appointment(book_setup["patient"], book_setup["provider"], local_time(MONDAY, "09:00"), 30,
                             idempotency_token="form-token-0002") for _ in range(5)])

    ids = harness.run(twice)
    assert len(set(ids)) == 1 and count(harness) == 1


def test_twenty_concurrent_overlapping_bookings_store_exactly_one(harness, book_setup):
    patients = [harness.run(make_patient, first_name=f"P{index}", last_name="Race") for index in range(20)]

    async def race():
        return await asyncio.gather(*[
            book_appointment(patient, book_setup["provider"], local_time(MONDAY, "10:00") + dt.timedelta(minutes=index),
                             30) for index, patient in enumerate(patients)], return_exceptions=True)

    outcomes = harness.run(race)
    booked = [outcome for outcome in outcomes if isinstance(outcome, int)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, BookingRefused)]
    assert len(booked) == 1 and len(refusals) == 19, outcomes
    assert count(harness) == 1
    assert all(kinds(refusal) == {"provider"} for refusal in refusals)


def test_concurrent_bookings_of_one_room_with_different_providers_store_exactly_one(harness, book_setup):
    room = harness.run(make_room, "Scanner")
    people = []
    for index in range(8):
        provider = harness.run(make_staff, "doctor")["id"]
        harness.run(set_working_hours, provider)
        people.append((provider, harness.run(make_patient, first_name=f"R{index}", last_name="Room")))

    async def race():
        return await asyncio.gather(*[
            book_appointment(patient, provider, local_time(MONDAY, "11:00"), 30, room_id=room)
            for provider, patient in people], return_exceptions=True)

    outcomes = harness.run(race)
    assert sum(isinstance(outcome, int) for outcome in outcomes) == 1, outcomes
    assert all(kinds(outcome) == {"room"} for outcome in outcomes if not isinstance(outcome, int))
    assert count(harness) == 1


def test_concurrent_bookings_of_one_patient_with_different_providers_store_exactly_one(harness, book_setup):
    providers = []
    for _ in range(8):
        provider = harness.run(make_staff, "nurse")["id"]
        harness.run(set_working_hours, provider)
        providers.append(provider)

    async def race():
        return await asyncio.gather(*[
            book_appointment(book_setup["patient"], provider, local_time(MONDAY, "15:00"), 30)
            for provider in providers], return_exceptions=True)

    outcomes = harness.run(race)
    assert sum(isinstance(outcome, int) for outcome in outcomes) == 1, outcomes
    assert all(kinds(outcome) == {"patient"} for outcome in outcomes if not isinstance(outcome, int))
    assert count(harness) == 1


def test_moving_checks_every_rule_again_and_keeps_history(harness, book_setup):
    first = book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00")
    second = book(harness, book_setup["other"], book_setup["provider"], MONDAY, "10:00")
    actor = Actor(staff_id=book_setup["provider"], role="test")
    with pytest.raises(BookingRefused) as caught:
        harness.run(services.move, second, 1, starts_at=local_time(MONDAY, "09:15"), minutes=30,
                    provider_id=book_setup["provider"], room_id=None, actor=actor, locale=locale())
    assert kinds(caught.value) == {"provider"}
    # Its own old time is no obstacle: a longer visit from the same start.
    harness.run(services.move, second, 1, starts_at=local_time(MONDAY, "10:00"), minutes=60,
                provider_id=book_setup["provider"], room_id=None, actor=actor, locale=locale())
    row = harness.sql("SELECT revision, ends_at, starts_at FROM appointment WHERE id = {}", second)[0]
    assert row["revision"] == 2 and row["ends_at"] - row["starts_at"] == dt.timedelta(hours=1)
    moved = harness.run(services.history, second)[-1]
    assert moved["what"] == "moved" and set(moved["before"]) == {"ends_at"} and moved["staff_id"] == actor.staff_id
    assert harness.audit("action = 'appointment.move'")
    with pytest.raises(AppointmentChanged):  # a form loaded at revision 1 is out of date
        harness.run(services.move, second, 1, starts_at=local_time(MONDAY, "14:00"), minutes=30,
                    provider_id=book_setup["provider"], room_id=None, actor=actor, locale=locale())
    assert first


def test_the_status_workflow_allows_the_usual_steps_only(harness, book_setup):
    appointment_id = book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00")
    actor = Actor(staff_id=book_setup["provider"], role="test")
    for revision, status in enumerate(("confirmed", "arrived", "in_progress", "completed"), start=1):
        harness.run(services.set_status, appointment_id, revision, status, actor, locale())
    assert harness.sql("SELECT status, revision FROM appointment")[0] == {"status": "completed", "revision": 5}
    with pytest.raises(Invalid):
        harness.run(services.set_status, appointment_id, 5, "booked", actor, locale())
    assert [entry["what"] for entry in harness.run(services.history, appointment_id)] == ["booked"] + ["status"] * 4


def test_a_future_appointment_cannot_be_a_no_show(harness, book_setup):
    appointment_id = book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00")
    with pytest.raises(Invalid):
        harness.run(services.set_status, appointment_id, 1, "no_show", Actor(role="test"), locale())
    with time_machine.travel(local_time(MONDAY, "09:20"), tick=False):
        harness.run(services.set_status, appointment_id, 1, "no_show", Actor(role="test"), locale())
    assert harness.sql("SELECT status FROM appointment")[0]["status"] == "no_show"


def test_cancelling_needs_a_reason_frees_the_time_and_flags_a_late_cancel(harness, book_setup):
    early = book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00")
    late = book(harness, book_setup["other"], book_setup["provider"], MONDAY, "10:00")
    actor = Actor(role="test")
    with pytest.raises(Invalid):
        harness.run(services.cancel, early, 1, " ", actor, locale())
    with time_machine.travel(local_time(MONDAY, "09:00") - dt.timedelta(days=3), tick=False):
        harness.run(services.cancel, early, 1, "Feeling better", actor, locale())
    with time_machine.travel(local_time(MONDAY, "08:00"), tick=False):
        harness.run(services.cancel, late, 1, "Car trouble", actor, locale())
    rows = {row["id"]: row for row in harness.sql("SELECT id, status, late_cancel, cancel_reason FROM appointment")}
    assert rows[early]["status"] == "cancelled" and not rows[early]["late_cancel"]
    assert rows[late]["late_cancel"] and rows[late]["cancel_reason"] == "Car trouble"
    # The freed time can be booked again.
    book(harness, harness.run(make_patient, first_name="New", last_name="Person"), book_setup["provider"], MONDAY,
         "09:00")
    cancelled = harness.run(services.history, late)[-1]
    assert cancelled["what"] == "cancelled" and cancelled["after"]["late_cancel"] is True
    assert json.dumps(cancelled["before"])
    assert len(harness.audit("action = 'appointment.cancel'")) == 2


def test_the_book_reads_names_in_one_query(harness, book_setup):
    check_up = harness.run(make_appointment_type, "Check-up", colour="#06c")
    room = harness.run(make_room, "Room 1")
    kept = book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00", type_id=check_up,
                room_id=room)
    dropped = book(harness, book_setup["other"], book_setup["provider"], MONDAY, "10:00")
    harness.run(services.cancel, dropped, 1, "Moved away", Actor(role="test"), locale())
    start, end = locale().day_bounds(MONDAY)
    entries = harness.run(services.appointments_between, start, end)
    assert [entry.id for entry in entries] == [kept]
    entry = entries[0]
    assert (entry.patient_name, entry.type_name, entry.room_name, entry.colour) == (
        "Jones, Ann", "Check-up", "Room 1", "#06c")
    assert entry.provider_name == "Lena" and entry.minutes == 30
    everything = harness.run(services.appointments_between, start, end, provider_ids=[book_setup["provider"]],
                             include_cancelled=True)
    assert [entry.id for entry in everything] == [kept, dropped]
    assert harness.run(services.appointments_between, start, end, provider_ids=[]) == []
    chart = harness.run(services.patient_appointments, book_setup["other"])
    assert [(entry.id, entry.status) for entry in chart] == [(dropped, "cancelled")]
    today = harness.run(services.appointments_on, MONDAY, locale())
    assert {visit.id for visit in today} == {kept, dropped}
    detail = harness.run(services.get_appointment, kept)
    assert detail["patient_name"] == "Jones, Ann" and detail["minutes"] == 30 and detail["room_name"] == "Room 1"


def test_booking_lapses_the_patients_matching_waitlist_entries(harness, book_setup):
    from clinic.scheduling.waitlist import add_to_waitlist

    actor = Actor(role="test")
    entry = harness.run(add_to_waitlist, book_setup["patient"], actor, locale(),
                        provider_ids=[book_setup["provider"]])
    elsewhere = harness.run(add_to_waitlist, book_setup["patient"], actor, locale(), provider_ids=[999999])
    appointment_id = book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00")
    states = {row["id"]: row for row in harness.sql("SELECT id, state, appointment FROM waitlist_entry")}
    assert states[entry]["state"] == "booked" and states[entry]["appointment"] == appointment_id
    assert states[elsewhere]["state"] == "waiting"


def test_a_stale_revision_is_refused_for_status_changes_and_cancels(harness, book_setup):
    appointment_id = book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00")
    harness.run(services.set_status, appointment_id, 1, "confirmed", Actor(role="test"), locale())
    with pytest.raises(AppointmentChanged) as caught:
        harness.run(services.set_status, appointment_id, 1, "arrived", Actor(role="test"), locale())
    assert caught.value.current["status"] == "confirmed"
    with pytest.raises(AppointmentChanged):
        harness.run(services.cancel, appointment_id, 1, "Ill", Actor(role="test"), locale())
    with pytest.raises(services.AppointmentNotFound):
        harness.run(services.cancel, appointment_id + 1000, 1, "Ill", Actor(role="test"), locale())


@pytest.mark.parametrize("minutes", [0, 4, 481])
def test_an_appointment_lasts_five_minutes_to_eight_hours(harness, book_setup, minutes):
    with pytest.raises(Invalid) as caught:
        book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00", minutes)
    assert "minutes" in caught.value.errors


def test_an_archived_patient_or_an_inactive_provider_cannot_be_booked(harness, book_setup):
    harness.sql("UPDATE patient SET archived_at = {} WHERE id = {}", dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc),
                book_setup["other"])
    with pytest.raises(Invalid) as caught:
        book(harness, book_setup["other"], book_setup["provider"], MONDAY, "09:00")
    assert "patient_id" in caught.value.errors
    retired = harness.run(make_staff, "doctor", active=False)["id"]
    with pytest.raises(Invalid) as caught:
        book(harness, book_setup["patient"], retired, MONDAY, "09:00")
    assert "provider_id" in caught.value.errors
    assert count(harness) == 0


def test_a_cancelled_or_completed_appointment_cannot_be_moved_or_cancelled_again(harness, book_setup):
    appointment_id = book(harness, book_setup["patient"], book_setup["provider"], MONDAY, "09:00")
    harness.run(services.cancel, appointment_id, 1, "Ill", Actor(role="test"), locale())
    with pytest.raises(Invalid):
        harness.run(services.cancel, appointment_id, 2, "Ill", Actor(role="test"), locale())
    with pytest.raises(Invalid):
        harness.run(services.move, appointment_id, 2, starts_at=local_time(MONDAY, "10:00"), minutes=30,
                    provider_id=book_setup["provider"], room_id=None, actor=Actor(role="test"), locale=locale())
