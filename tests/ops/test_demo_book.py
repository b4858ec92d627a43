"""The demo clinic's appointment book: full within working hours for the coming weeks, never
double-booked but on purpose, statuses that fit the time, series, a waitlist; the same every time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic.ops import demo_book
from clinic.ops.demo import load_demo
from clinic.scheduling.tables import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    Room,
    WaitlistEntry,
    WorkingHours,
)
from tests.conftest import harness_for

ZONE = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=ZONE)  # a Monday, noon
TODAY = NOW.date()


async def read_book() -> dict:
    return {
        "appointments": await Appointment.select(Appointment.all_columns(), Appointment.type.name.as_alias("type_name"),
                                                 Appointment.type.may_overlap.as_alias("may_overlap")),
        "types": await AppointmentType.select(), "rooms": await Room.select(), "hours": await WorkingHours.select(),
        "series": await AppointmentSeries.select(), "waitlist": await WaitlistEntry.select(),
    }


@pytest.fixture(scope="module")
def book(app, backend) -> dict:
    with harness_for(app, backend) as harness:
        harness.run(load_demo, ZONE, now=NOW)
        return harness.run(read_book)


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(ZONE)


def minutes_of(moment: dt.datetime) -> int:
    value = local(moment)
    return value.hour * 60 + value.minute


def holding(book) -> list[dict]:
    return [row for row in book["appointments"] if row["status"] not in ("cancelled", "no_show")]


def test_it_sets_up_types_rooms_and_working_hours_with_a_lunch_break(book):
    names = {row["name"]: row for row in book["types"]}
    assert {"Consultation", "New patient", "Follow-up", "Injection", "Physical"} <= set(names)
    assert names["Consultation"]["minutes"] == 20 and names["New patient"]["minutes"] == 40
    assert names["Injection"]["may_overlap"] and names["Physical"]["needs_room"]
    assert len(book["rooms"]) >= 2
    for provider in {row["provider"] for row in book["hours"]}:
        monday = sorted((row["starts"], row["ends"]) for row in book["hours"]
                        if row["provider"] == provider and row["weekday"] == 0)
        assert len(monday) == 2 and monday[0][1] < monday[1][0]  # a lunch break


def test_every_appointment_lies_within_its_providers_working_hours(book):
    blocks = {}
    for row in book["hours"]:
        blocks.setdefault((row["provider"], row["weekday"]), []).append((row["starts"], row["ends"]))
    for row in book["appointments"]:
        start, end = minutes_of(row["starts_at"]), minutes_of(row["ends_at"])
        weekday = local(row["starts_at"]).weekday()
        assert any(s <= start and end <= e for s, e in blocks[(row["provider"], weekday)]), row


def test_no_provider_is_double_booked_except_on_purpose_with_a_reason(book):
    by_provider = {}
    for row in holding(book):
        if not row["overbook_reason"]:
            by_provider.setdefault(row["provider"], []).append((row["starts_at"], row["ends_at"]))
    for slots in by_provider.values():
        slots.sort()
        assert all(a[1] <= b[0] for a, b in zip(slots, slots[1:]))
    overbooked = [row for row in book["appointments"] if row["overbook_reason"]]
    assert len(overbooked) == 2 and all(row["starts_at"] > NOW for row in overbooked)
    for row in overbooked:
        assert any(other["provider"] == row["provider"] and other["id"] != row["id"]
                   and other["starts_at"] < row["ends_at"] and row["starts_at"] < other["ends_at"]
                   for other in holding(book))


def test_no_room_is_double_booked(book):
    by_room = {}
    for row in holding(book):
        if row["room"] is not None:
            by_room.setdefault(row["room"], []).append((row["starts_at"], row["ends_at"]))
    assert by_room
    for slots in by_room.values():
        slots.sort()
        assert all(a[1] <= b[0] for a, b in zip(slots, slots[1:]))


def test_the_coming_weeks_are_seventy_to_ninety_percent_full(book):
    worked = {}
    for row in book["hours"]:
        worked.setdefault(row["weekday"], {}).setdefault(row["provider"], 0)
        worked[row["weekday"]][row["provider"]] += row["ends"] - row["starts"]
    for week in range(4):
        first = TODAY + dt.timedelta(days=7 * week)
        days = [first + dt.timedelta(days=n) for n in range(7)]
        available = sum(sum(worked.get(day.weekday(), {}).values()) for day in days)
        booked = sum((row["ends_at"] - row["starts_at"]).total_seconds() / 60 for row in holding(book)
                     if local(row["starts_at"]).date() in days and row["status"] != "cancelled"
                     and not row["overbook_reason"])
        assert 0.62 <= booked / available <= 0.92, (week, booked / available)


def test_statuses_fit_the_time(book):
    for row in book["appointments"]:
        if row["ends_at"] <= NOW:
            assert row["status"] in ("completed", "no_show", "cancelled"), row
        elif row["starts_at"] > NOW:
            assert row["status"] in ("booked", "confirmed", "cancelled", "arrived"), row
            if row["status"] == "arrived":
                assert row["starts_at"] - NOW <= dt.timedelta(hours=1)
        else:
            assert row["status"] in ("arrived", "in_progress"), row
    past = [row["status"] for row in book["appointments"] if row["ends_at"] <= NOW]
    assert 0.8 <= past.count("completed") / len(past) < 0.97
    assert past.count("no_show") and past.count("cancelled")
    for row in book["appointments"]:
        if row["status"] == "cancelled":
            assert row["cancel_reason"] and row["cancelled_at"] <= max(NOW, row["starts_at"])


def test_today_has_earlier_visits_done_and_later_ones_still_to_come(book):
    today = [row for row in book["appointments"] if local(row["starts_at"]).date() == TODAY]
    assert any(row["status"] == "completed" for row in today)
    assert any(row["status"] in ("booked", "confirmed") for row in today)


def test_two_weekly_series_book_one_row_per_occurrence_at_the_same_local_time(book):
    assert len(book["series"]) == 2
    for series in book["series"]:
        rows = sorted((row for row in book["appointments"] if row["series"] == series["id"]),
                      key=lambda row: row["starts_at"])
        count = int(series["rule"].split("COUNT=")[1])
        assert len(rows) == count and {minutes_of(row["starts_at"]) for row in rows} == {series["local_minutes"]}
        assert rows[0]["starts_at"] < NOW < rows[-1]["starts_at"]


def test_a_few_patients_wait_on_the_waitlist(book):
    assert 3 <= len(book["waitlist"]) <= 8
    assert all(row["state"] == "waiting" and row["until_date"] > TODAY for row in book["waitlist"])


def test_the_plan_is_the_same_for_the_same_seed():
    import random
    from types import SimpleNamespace

    clinicians = [SimpleNamespace(id=1, role="doctor"), SimpleNamespace(id=2, role="doctor"),
                  SimpleNamespace(id=3, role="nurse")]
    people = [SimpleNamespace(row=SimpleNamespace(id=n), born=dt.date(1970, 1, 1), registered=dt.date(2000, 1, 1))
              for n in range(1, 200)]

    def plan():
        return demo_book.plan_book(random.Random(7), ZONE, NOW, clinicians, people,
                                   lambda rng, person, day, nurse: "Check-up")

    first, second = plan(), plan()
    assert [(a.patient, a.provider, a.starts_at, a.status) for a in first.appointments] == [
        (a.patient, a.provider, a.starts_at, a.status) for a in second.appointments]
