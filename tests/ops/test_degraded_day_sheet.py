"""While the database is down, a provider still sees today's book as last seen (memory only, marked with its time)."""

from __future__ import annotations

import datetime as dt

import time_machine

from clinic.web.degraded import DaySheet, DaySheets, SheetRow
from tests.conftest import harness_for
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
from tests.helpers import html, one
from tests.ops.test_health import outage_app

MONDAY = dt.date(2027, 3, 1)
NOW = local_time(MONDAY, "08:30")


def a_booked_monday(harness) -> dict:
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
        harness.run(book_appointment, ann, doctor["id"], local_time(MONDAY, "09:00"), 30, type_id=checkup)
        harness.run(book_appointment, bob, other["id"], local_time(MONDAY, "10:00"), 30)
    return {"doctor": doctor, "other": other}


def signed_in(harness, staff) -> str:
    token = harness.run(open_session, staff["id"], harness.app.state.session_policy)
    harness.client.cookies.set("clinic_session", token, domain="testserver.local")
    return token


def kept_rows(page) -> list[str]:
    return [" ".join(cell.text() for cell in row.css("td")) for row in html(page).css("#day-sheet tr[data-kept-row]")]


def test_a_provider_sees_today_as_last_rendered_while_the_database_is_down(backend, make_app, settings):
    with outage_app(backend, make_app, settings) as (app, cut, restore):
        with harness_for(app, backend) as harness:
            people = a_booked_monday(harness)
            with time_machine.travel(NOW):
                signed_in(harness, people["doctor"])
                assert harness.client.get("/my-day").status_code == 200
                assert harness.client.get("/book").status_code == 200
                cut()
                mine = harness.client.get("/my-day")
                book = harness.client.get("/book")
                dated = harness.client.get(f"/book/{MONDAY.isoformat()}")
                fragment = harness.client.get("/book", headers={"HX-Request": "true"})
                restore()
                back = harness.client.get("/my-day")

    assert mine.status_code == 503 and mine.headers["retry-after"] == "5"
    assert one(html(mine), "#day-sheet .alert-error strong").text() == "As of 8:30 AM, the database is unavailable"
    assert kept_rows(mine) == ["9:00 AM–9:30 AM Jones, Ann Check-up Booked"]
    # Read-only: no forms or buttons, and nothing for the browser to keep.
    assert html(mine).css("#day-sheet form, #day-sheet button") == []
    assert "no-store" in mine.headers["cache-control"]

    assert book.status_code == 503
    assert [node.text() for node in html(book).css("#day-sheet h2")] == ["Lena", "Sam"]  # the columns as labelled
    assert kept_rows(book) == ["9:00 AM–9:30 AM Jones, Ann Check-up Booked",
                               "10:00 AM–10:30 AM Smith, Bob Appointment Booked"]
    assert kept_rows(dated) == kept_rows(book)  # today's own URL too

    # htmx asking for the live grid is sent to the whole read-only page.
    assert fragment.status_code == 503 and fragment.headers["hx-redirect"] == "/book" and fragment.text == ""

    assert back.status_code == 200 and html(back).css("#day-sheet") == [] and html(back).css("#my-day li")


def test_only_the_session_that_saw_the_page_gets_it_and_only_for_today(backend, make_app, settings):
    with outage_app(backend, make_app, settings) as (app, cut, restore):
        with harness_for(app, backend) as harness:
            people = a_booked_monday(harness)
            with time_machine.travel(NOW):
                signed_in(harness, people["doctor"])
                assert harness.client.get("/my-day").status_code == 200
                assert harness.client.get(f"/book/{(MONDAY + dt.timedelta(days=1)).isoformat()}").status_code == 200
                signed_in(harness, people["other"])  # never looked: nothing kept for this session
                cut()
                others = harness.client.get("/my-day")
                harness.client.cookies.clear()
                anonymous = harness.client.get("/my-day")
                restore()

    assert others.status_code == 503 and html(others).css("#day-sheet") == []
    assert one(html(others), ".alert-error strong").text() == "Temporarily unavailable"
    assert html(anonymous).css("#day-sheet") == []  # no cookie: off to sign in, nothing kept shown


def test_signing_out_forgets_the_sessions_sheets(harness):
    people = a_booked_monday(harness)
    with time_machine.travel(NOW):
        signed_in(harness, people["doctor"])
        assert harness.client.get("/my-day").status_code == 200
        assert len(harness.app.state.day_sheets) == 1
        assert post(harness.client, "/signout").status_code in (200, 303)
    assert len(harness.app.state.day_sheets) == 0


def test_tomorrow_and_other_screens_get_the_plain_unavailable_page(backend, make_app, settings):
    with outage_app(backend, make_app, settings) as (app, cut, restore):
        with harness_for(app, backend) as harness:
            people = a_booked_monday(harness)
            with time_machine.travel(NOW):
                signed_in(harness, people["doctor"])
                tomorrow = f"/book/{(MONDAY + dt.timedelta(days=1)).isoformat()}"
                for url in ("/book", tomorrow, "/patients"):
                    harness.client.get(url)
                cut()
                pages = [harness.client.get(url) for url in (tomorrow, "/patients")]
                restore()
    for page in pages:
        assert page.status_code == 503 and html(page).css("#day-sheet") == []


def sheet_for(day: dt.date, taken_at: dt.datetime) -> DaySheet:
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(5), tzinfo=dt.timezone.utc)
    return DaySheet(title="My day", day=day, groups=(("Today", (SheetRow("9:00", "Jones, Ann", "Visit", "Booked"),)),),
                    taken_at=taken_at, expires_at=end)


def test_a_kept_sheet_expires_at_the_end_of_the_clinic_day():
    sheets = DaySheets()
    taken = dt.datetime(2027, 3, 1, 13, 30, tzinfo=dt.timezone.utc)
    with time_machine.travel(taken, tick=False):
        sheets.keep("session-a", "my_day", sheet_for(MONDAY, taken))
        assert sheets.find("session-a", "my_day", MONDAY) is not None
        assert sheets.find("session-b", "my_day", MONDAY) is None
        assert sheets.find("session-a", "book", MONDAY) is None
    with time_machine.travel(dt.datetime(2027, 3, 2, 5, 0, tzinfo=dt.timezone.utc), tick=False):
        assert sheets.find("session-a", "my_day", MONDAY) is None
    assert len(sheets) == 0


def test_the_store_keeps_a_bounded_number_of_sheets_newest_last():
    sheets = DaySheets(most=3)
    taken = dt.datetime(2027, 3, 1, 13, 30, tzinfo=dt.timezone.utc)
    with time_machine.travel(taken, tick=False):
        for number in range(5):
            sheets.keep(f"session-{number}", "my_day", sheet_for(MONDAY, taken))
        assert len(sheets) == 3
        assert sheets.find("session-0", "my_day", MONDAY) is None
        assert sheets.find("session-4", "my_day", MONDAY) is not None
        sheets.forget_session("session-4")
        assert sheets.find("session-4", "my_day", MONDAY) is None
