"""Next available: free slots that satisfy every booking rule, for one provider or any, up to a year ahead."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.db.counting import start_counting, stop_counting
from clinic.scheduling.availability import next_free
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


@pytest.fixture
def clinic(harness):
    lena = harness.run(make_staff, "doctor", name="Lena Okafor")["id"]
    sam = harness.run(make_staff, "nurse", name="Sam Patel")["id"]
    for provider in (lena, sam):
        harness.run(set_working_hours, provider)
    check_up = harness.run(make_appointment_type, "Check-up", minutes=30, providers=[lena, sam])
    patient = harness.run(make_patient, first_name="Ann", last_name="Jones")
    return {"lena": lena, "sam": sam, "check_up": check_up, "patient": patient}


def find(harness, clinic, providers="lena", day=MONDAY, **options):
    ids = None if providers is None else [clinic[name] for name in providers.split()]
    return harness.run(lambda: next_free(options.pop("type_id", clinic["check_up"]), ids, day, locale(), **options))


def local(slots) -> list[str]:
    return [slot.starts_at.astimezone(locale().zone).strftime("%a %H:%M") for slot in slots]


def test_it_offers_the_first_free_times_of_the_providers_day(harness, clinic):
    harness.run(book_appointment, clinic["patient"], clinic["lena"], local_time(MONDAY, "09:30"), 30)
    slots = find(harness, clinic, limit=4)
    assert local(slots) == ["Mon 09:00", "Mon 10:00", "Mon 10:30", "Mon 11:00"]
    assert all(slot.provider_id == clinic["lena"] and slot.ends_at - slot.starts_at == dt.timedelta(minutes=30)
               for slot in slots)


def test_slots_follow_an_odd_length_appointment_back_to_back(harness, clinic):
    harness.run(book_appointment, clinic["patient"], clinic["lena"], local_time(MONDAY, "09:00"), 20)
    assert local(find(harness, clinic, limit=2)) == ["Mon 09:20", "Mon 09:50"]


def test_it_skips_the_break_and_the_end_of_the_day(harness, clinic):
    slots = find(harness, clinic, limit=20)
    times = local(slots)
    assert "Mon 11:30" in times and "Mon 12:00" not in times and "Mon 12:30" not in times and "Mon 13:00" in times
    assert times[-1] == "Tue 09:00" or "Mon 16:30" in times


def test_it_skips_time_off_closures_and_the_weekend(harness, clinic):
    from clinic.practice.tables import Closure

    friday = MONDAY + dt.timedelta(days=4)
    harness.run(add_time_off, clinic["lena"], local_time(MONDAY, "00:00"), local_time(friday, "12:00"), "Leave")
    harness.run(Closure.insert(Closure(first_day=MONDAY + dt.timedelta(days=7), last_day=MONDAY + dt.timedelta(days=7),
                                       reason="Training")).run)
    harness.run(set_working_hours, clinic["lena"], {0: [("09:00", "12:00")], 4: [("13:00", "14:00")],
                                                     5: [("09:00", "12:00")]})
    slots = find(harness, clinic, limit=3)
    days = [slot.starts_at.astimezone(locale().zone).date() for slot in slots]
    # Friday afternoon (the leave ends at noon); not Saturday (the clinic is closed); not the next
    # Monday (closure); then the next Friday.
    assert days == [friday, friday, friday + dt.timedelta(days=7)]


def test_any_provider_offering_the_type_in_time_then_name_order(harness, clinic):
    outsider = harness.run(make_staff, "doctor", name="Zed Outsider")["id"]
    harness.run(set_working_hours, outsider)
    slots = find(harness, clinic, providers=None, limit=4)
    assert [(slot.provider_name, local([slot])[0]) for slot in slots] == [
        ("Lena", "Mon 09:00"), ("Sam", "Mon 09:00"), ("Lena", "Mon 09:30"), ("Sam", "Mon 09:30")]


def test_a_type_without_listed_providers_is_offered_by_every_clinician(harness, clinic):
    harness.run(make_staff, "receptionist", name="Rita Desk")
    open_type = harness.run(make_appointment_type, "Open clinic", minutes=15)
    slots = find(harness, clinic, providers=None, type_id=open_type, limit=2)
    assert {slot.provider_name for slot in slots} == {"Lena", "Sam"}


def test_morning_and_afternoon_preferences(harness, clinic):
    assert local(find(harness, clinic, part_of_day="afternoon", limit=2)) == ["Mon 13:00", "Mon 13:30"]
    harness.run(set_working_hours, clinic["lena"], {0: [("13:00", "17:00")], 1: [("09:00", "17:00")]})
    assert local(find(harness, clinic, part_of_day="morning", limit=1)) == ["Tue 09:00"]


def test_a_type_that_needs_a_room_gets_a_free_one(harness, clinic):
    surgery = harness.run(make_appointment_type, "Minor surgery", minutes=60, providers=[clinic["lena"], clinic["sam"]],
                          needs_room=True)
    room = harness.run(make_room, "Procedure room")
    other = harness.run(make_patient, first_name="Bob", last_name="Smith")
    harness.run(book_appointment, other, clinic["sam"], local_time(MONDAY, "09:00"), 60, room_id=room)
    slots = find(harness, clinic, type_id=surgery, limit=1)
    assert local(slots) == ["Mon 10:00"] and slots[0].room_id == room and slots[0].room_name == "Procedure room"


def test_the_patients_own_appointments_are_left_out(harness, clinic):
    harness.run(book_appointment, clinic["patient"], clinic["sam"], local_time(MONDAY, "09:00"), 60)
    assert local(find(harness, clinic, patient_id=clinic["patient"], limit=1)) == ["Mon 10:00"]


def test_it_never_offers_the_past(harness, clinic):
    with time_machine.travel(local_time(MONDAY, "10:07"), tick=False):
        assert local(find(harness, clinic, limit=1)) == ["Mon 10:10"]


def test_it_searches_a_year_ahead_in_few_queries(harness, clinic):
    harness.run(add_time_off, clinic["lena"], local_time(MONDAY, "00:00"),
                local_time(MONDAY + dt.timedelta(days=300), "00:00"), "Sabbatical")

    async def counted():
        tally, token = start_counting()
        try:
            slots = await next_free(clinic["check_up"], [clinic["lena"]], MONDAY, locale(), limit=1)
        finally:
            stop_counting(token)
        return slots, tally.statements

    slots, statements = harness.run(counted)
    assert slots[0].starts_at.astimezone(locale().zone).date() >= MONDAY + dt.timedelta(days=300)
    assert statements < 40, statements


def test_a_fully_booked_year_offers_nothing(harness, clinic):
    harness.run(add_time_off, clinic["lena"], local_time(MONDAY, "00:00"),
                local_time(MONDAY + dt.timedelta(days=400), "00:00"))
    assert find(harness, clinic, limit=1) == []


def test_a_slot_it_offers_can_be_booked(harness, clinic):
    harness.run(book_appointment, clinic["patient"], clinic["lena"], local_time(MONDAY, "09:00"), 30)
    slot = find(harness, clinic, limit=1)[0]
    other = harness.run(make_patient, first_name="Bob", last_name="Smith")
    assert harness.run(book_appointment, other, slot.provider_id, slot.starts_at, 30, type_id=clinic["check_up"])


def test_working_spans_shade_what_the_book_may_offer(harness, clinic):
    from clinic.practice.tables import Closure
    from clinic.scheduling.availability import working_spans

    tuesday, wednesday = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)
    harness.run(add_time_off, clinic["lena"], local_time(tuesday, "13:00"), local_time(tuesday, "17:00"))
    harness.run(Closure.insert(Closure(first_day=wednesday, last_day=wednesday, reason="Training")).run)
    newcomer = harness.run(make_staff, "doctor")["id"]
    spans = harness.run(working_spans, MONDAY, 7, [clinic["lena"], newcomer], locale())

    def hours(provider, day):
        return [(locale().format_time(span.start), locale().format_time(span.end)) for span in spans[provider][day]]

    assert hours(clinic["lena"], MONDAY) == [("9:00 AM", "12:00 PM"), ("1:00 PM", "5:00 PM")]
    assert hours(clinic["lena"], tuesday) == [("9:00 AM", "12:00 PM")]
    assert hours(clinic["lena"], wednesday) == [] and hours(newcomer, wednesday) == []
    assert hours(newcomer, MONDAY) == [("9:00 AM", "5:00 PM")]  # no hours of their own: the clinic's
    assert hours(clinic["lena"], MONDAY + dt.timedelta(days=5)) == []  # Saturday
