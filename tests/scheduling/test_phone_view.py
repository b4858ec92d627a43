"""My day: a provider's own appointments today and tomorrow, with arrived/completed buttons, small on the wire."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
import time_machine

from tests.factories import (
    book_appointment,
    local_time,
    make_appointment_type,
    make_patient,
    make_staff,
    open_session,
    post,
    set_working_hours,
)
from tests.helpers import html, is_fragment, one

MONDAY = dt.date(2027, 3, 1)
TUESDAY = dt.date(2027, 3, 2)
NOW = local_time(MONDAY, "08:30")


@pytest.fixture
def day(harness):
    from clinic.practice.services import forget, practice

    harness.run(practice, {"name": "Riverside Clinic", "timezone": "America/New_York", "currency": "USD"})
    forget()
    doctor = harness.run(make_staff, "doctor", name="Lena Okafor")
    other = harness.run(make_staff, "doctor", name="Sam Berg")
    for provider in (doctor, other):
        harness.run(set_working_hours, provider["id"])
    checkup = harness.run(make_appointment_type, "Check-up", providers=[doctor["id"]])
    ann = harness.run(make_patient, first_name="Ann", last_name="Jones")
    bob = harness.run(make_patient, first_name="Bob", last_name="Smith")
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        mine = harness.run(book_appointment, ann, doctor["id"], local_time(MONDAY, "09:00"), 30, type_id=checkup)
        harness.run(book_appointment, bob, doctor["id"], local_time(TUESDAY, "10:00"), 30)
        harness.run(book_appointment, bob, other["id"], local_time(MONDAY, "09:00"), 30)
        harness.run(book_appointment, bob, doctor["id"], local_time(MONDAY + dt.timedelta(days=2), "09:00"), 30)
    return {"doctor": doctor, "other": other, "mine": mine, "ann": ann, "bob": bob}


def signed_in(harness, staff):
    token = harness.run(open_session, staff["id"], harness.app.state.session_policy)
    harness.client.cookies.set("clinic_session", token, domain="testserver.local")


def test_it_lists_the_providers_own_appointments_today_and_tomorrow(harness, day):
    with time_machine.travel(NOW, tick=False):
        signed_in(harness, day["doctor"])
        page = harness.client.get("/my-day")
    assert page.status_code == 200
    tree = html(page)
    today, tomorrow = tree.css("#my-day section")
    assert [node.attributes["data-appointment-id"] for node in today.css("li")] == [str(day["mine"])]
    assert "Jones, Ann" in today.text() and "Check-up" in today.text() and "9:00 AM" in today.text()
    assert "Smith, Bob" in tomorrow.text() and tomorrow.css("button") == []
    entry = harness.audit("action = 'patient.read'", columns="detail, patients")[-1]
    assert entry["detail"] == "my day" and sorted(entry["patients"].split(",")) == sorted(
        [str(day["ann"]), str(day["bob"])])


def test_a_full_day_is_small_over_the_wire(harness, day):
    slots = [f"{hour:02d}:{minute:02d}" for hour in (9, 10, 11, 13, 14, 15, 16) for minute in (0, 30)]
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        for when in slots[2:]:
            harness.run(book_appointment, day["ann"], day["doctor"]["id"], local_time(MONDAY, when), 30)
        for when in [slot for slot in slots if slot != "10:00"]:
            harness.run(book_appointment, day["ann"], day["doctor"]["id"], local_time(TUESDAY, when), 30)
    with time_machine.travel(NOW, tick=False):
        signed_in(harness, day["doctor"])
        page = harness.client.get("/my-day", headers={"Accept-Encoding": "identity"})
        zipped = harness.client.get("/my-day", headers={"Accept-Encoding": "gzip"})
    assert len(html(page).css("#my-day li")) == 27  # 12 more today and 13 more tomorrow, besides the first two
    assert len(page.content) < 15_000
    assert zipped.headers.get("content-encoding") == "gzip"
    assert int(zipped.headers["content-length"]) < 5_000
    assert len(gzip.compress(page.content)) < 5_000


def test_arrived_then_completed_goes_through_scheduling(harness, day):
    with time_machine.travel(local_time(MONDAY, "08:55"), tick=False):
        signed_in(harness, day["doctor"])
        arrived = post(harness.client, "/my-day", {"step": f"{day['mine']}.1.arrived"},
                       htmx=True)
        assert arrived.status_code == 200 and is_fragment(arrived)
        item = one(html(arrived), f"li[data-appointment-id='{day['mine']}']")
        assert item.attributes["data-status"] == "arrived"
        assert one(html(arrived), f"li[data-appointment-id='{day['mine']}'] button").text().startswith("Completed")
        post(harness.client, "/my-day", {"step": f"{day['mine']}.2.completed"})
    row = harness.sql("SELECT status, revision FROM appointment WHERE id = {}", day["mine"])[0]
    assert row == {"status": "completed", "revision": 3}
    assert [entry["detail"] for entry in harness.audit("action = 'appointment.status'", columns="detail")] == [
        "booked->arrived", "arrived->completed"]


def test_a_stale_button_shows_the_appointment_as_it_is_now(harness, day):
    with time_machine.travel(local_time(MONDAY, "08:55"), tick=False):
        signed_in(harness, day["doctor"])
        post(harness.client, "/my-day", {"step": f"{day['mine']}.1.arrived"})
        stale = post(harness.client, "/my-day", {"step": f"{day['mine']}.1.arrived"},
                     htmx=True)
    assert stale.status_code == 409
    assert "changed" in one(html(stale), f"li[data-appointment-id='{day['mine']}'] [role=alert]").text()


def test_another_providers_appointment_cannot_be_changed_here(harness, day):
    with time_machine.travel(NOW, tick=False):
        signed_in(harness, day["other"])
        refused = post(harness.client, "/my-day", {"step": f"{day['mine']}.1.arrived"})
    assert refused.status_code == 404
    assert harness.sql("SELECT status FROM appointment WHERE id = {}", day["mine"])[0]["status"] == "booked"


def test_a_malformed_step_is_not_found(harness, day):
    with time_machine.travel(NOW, tick=False):
        signed_in(harness, day["doctor"])
        for bad in ("", "x.1.arrived", f"{day['mine']}.1.cancelled", "99999999999.1.arrived", "1.2"):
            assert post(harness.client, "/my-day", {"step": bad}).status_code == 404


def test_clinicians_find_it_in_the_navigation_and_the_front_desk_does_not(harness, day):
    from tests.factories import sign_in_as

    with time_machine.travel(NOW, tick=False):
        signed_in(harness, day["doctor"])
        assert one(html(harness.client.get("/my-day")), "nav a[href='/my-day']").attributes["aria-current"] == "page"
        sign_in_as(harness, "receptionist")
        assert html(harness.client.get("/")).css("nav a[href='/my-day']") == []


def test_it_costs_a_handful_of_statements_however_long_the_day(make_app, backend, tmp_path):
    """Session; the provider's appointments (one query, names and types joined); the read entry (4)."""
    from clinic.practice.services import forget
    from tests.conftest import harness_for

    app = make_app(CLINIC_COUNT_QUERIES="1")
    with harness_for(app, backend) as harness:
        doctor = harness.run(make_staff, "doctor")
        today = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
        for number in range(6):
            patient = harness.run(make_patient, first_name=f"P{number}", last_name="Counted")
            harness.run(book_direct, patient, doctor["id"], today + dt.timedelta(minutes=20 * number))
        signed_in(harness, doctor)
        forget()
        harness.client.get("/my-day")
        response = harness.client.get("/my-day")
    assert response.status_code == 200
    assert (int(response.headers["x-query-count"]), int(response.headers["x-transaction-count"])) == (6, 1)


async def book_direct(patient_id: int, provider_id: int, starts_at: dt.datetime) -> None:
    from clinic.scheduling.tables import Appointment

    await Appointment.insert(Appointment(patient=patient_id, provider=provider_id, starts_at=starts_at,
                                         ends_at=starts_at + dt.timedelta(minutes=15)))
