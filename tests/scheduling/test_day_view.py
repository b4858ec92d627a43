"""The day view: every provider side by side, working hours as free slots to book,
appointments with patient, type, status and room, htmx swaps and the phone list."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.factories import (
    book_appointment,
    local_time,
    make_appointment_type,
    make_patient,
    make_room,
    make_staff,
    set_working_hours,
    sign_in_as,
)
from tests.helpers import html, is_fragment, one, texts

MONDAY = dt.date(2027, 3, 1)
NOW = dt.datetime(2027, 3, 1, 15, 10, tzinfo=dt.timezone.utc)  # 10:10 in New York


def open_the_clinic(harness) -> None:
    """The first request stores the clinic's profile from the environment (New York), as in production;
    a service reading the profile first would store UTC."""
    harness.client.get("/signin")


@pytest.fixture
def day(harness):
    open_the_clinic(harness)
    okafor = harness.run(make_staff, "doctor", name="Lena Okafor")
    baker = harness.run(make_staff, "nurse", name="Sam Baker")
    harness.run(set_working_hours, okafor["id"])
    harness.run(set_working_hours, baker["id"], {0: [("08:00", "12:00")]})
    checkup = harness.run(make_appointment_type, "Check-up", minutes=30, colour="indigo")
    room = harness.run(make_room, "Room 1")
    ann = harness.run(make_patient, first_name="Ann", last_name="Jones")
    appointment = harness.run(book_appointment, ann, okafor["id"], local_time(MONDAY, "09:30"), 30,
                              type_id=checkup, room_id=room)
    return {"okafor": okafor["id"], "baker": baker["id"], "ann": ann, "appointment": appointment}


@time_machine.travel(NOW, tick=False)
def test_it_shows_every_provider_side_by_side_with_the_days_appointments(harness, client, day):
    sign_in_as(harness, "receptionist")
    page = html(client.get("/book/2027-03-01"))
    assert texts(page, ".book-col h2") == ["Lena", "Sam"]
    card = one(page, f".appt[data-appointment-id='{day['appointment']}']")
    assert "Jones, Ann" in card.text() and "Check-up" in card.text() and "Room 1" in card.text()
    assert "Booked" in card.text() and "colour-indigo" in card.attributes["class"]
    assert card.attributes["href"] == f"/appointments/{day['appointment']}"


@time_machine.travel(NOW, tick=False)
def test_free_slots_within_working_hours_link_to_a_prefilled_booking_form(harness, client, day):
    sign_in_as(harness, "receptionist")
    page = html(client.get("/book/2027-03-01"))
    okafor = one(page, f".book-col[data-provider-id='{day['okafor']}']")
    times = [slot.attributes["data-time"] for slot in okafor.css(".slot")]
    assert times[0] == "09:00" and "09:30" not in times and "09:45" not in times and "10:00" in times
    assert "12:00" not in times and "13:00" in times and times[-1] == "16:45"
    slot = okafor.css_first(".slot[data-time='13:00']")
    assert slot.attributes["href"] == f"/appointments/new?provider={day['okafor']}&day=2027-03-01&time=13:00"
    form = html(client.get(slot.attributes["href"]))
    assert one(form, "#f-provider_id option[selected]").attributes["value"] == str(day["okafor"])
    assert one(form, "#f-time").attributes["value"] == "13:00" and one(form, "#f-day").attributes["value"] == "2027-03-01"


@time_machine.travel(NOW, tick=False)
def test_the_current_time_is_marked_today_only(harness, client, day):
    sign_in_as(harness, "receptionist")
    assert html(client.get("/book/2027-03-01")).css("[data-testid=now-line]")
    assert not html(client.get("/book/2027-03-02")).css("[data-testid=now-line]")
    assert one(html(client.get("/book")), "#book-title").text() == one(html(client.get("/book/2027-03-01")),
                                                                        "#book-title").text()


@time_machine.travel(NOW, tick=False)
def test_htmx_swaps_only_the_grid_and_the_url_is_a_full_page(harness, client, day):
    sign_in_as(harness, "receptionist")
    fragment = client.get("/book/2027-03-02", headers={"HX-Request": "true", "HX-Target": "book"})
    assert fragment.status_code == 200 and is_fragment(fragment)
    assert one(html(fragment), "section#book") is not None
    assert "HX-Request" in fragment.headers["vary"]
    full = client.get("/book/2027-03-02")
    assert "<html" in full.text.lower()
    nav = html(full)
    assert one(nav, "a[rel=next]").attributes["hx-push-url"] == "true"
    assert one(nav, "a[rel=next]").attributes["href"] == "/book/2027-03-03"
    assert one(nav, "a[rel=prev]").attributes["href"] == "/book/2027-03-01"


@time_machine.travel(NOW, tick=False)
def test_the_date_picker_goes_to_the_days_own_url(harness, client, day):
    sign_in_as(harness, "receptionist")
    response = client.get("/book/pick?day=2027-04-05", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/book/2027-04-05"
    swapped = client.get("/book/pick?day=2027-04-05", headers={"HX-Request": "true", "HX-Target": "book"})
    assert swapped.headers["hx-push-url"] == "/book/2027-04-05" and is_fragment(swapped)


@pytest.mark.parametrize("bad", ["2027-02-30", "yesterday", "1999-12-31", "2027-3-1"])
def test_a_date_that_is_not_one_is_not_found(harness, client, bad):
    sign_in_as(harness, "receptionist")
    assert client.get(f"/book/{bad}").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_reading_the_book_names_the_patients_it_showed(harness, client, day):
    sign_in_as(harness, "receptionist")
    client.get("/book/2027-03-01")
    entry = harness.audit("action = 'patient.read' AND detail = 'book 2027-03-01'", columns="patient_id")
    assert [row["patient_id"] for row in entry] == [day["ann"]]


@time_machine.travel(NOW, tick=False)
def test_an_overbooked_appointment_is_marked_with_its_reason(harness, client, day):
    bob = harness.run(make_patient, first_name="Bob", last_name="Smith")
    overbooked = harness.run(book_appointment, bob, day["okafor"], local_time(MONDAY, "09:30"), 30,
                             overbook_reason="Urgent: chest pain")
    sign_in_as(harness, "receptionist")
    page = html(client.get("/book/2027-03-01"))
    card = one(page, f".appt[data-appointment-id='{overbooked}']")
    assert "is-overbooked" in card.attributes["class"] and "Urgent: chest pain" in card.text()
    assert "lanes-2" in card.attributes["class"]


@time_machine.travel(NOW, tick=False)
def test_billing_reads_the_book_but_gets_no_booking_links(harness, client, day):
    sign_in_as(harness, "billing")
    page = html(client.get("/book/2027-03-01"))
    assert page.css(".appt") and not page.css(".slot") and not page.css(".appt[data-movable]")
    assert client.get("/appointments/new").status_code == 403


def test_with_no_providers_it_says_what_is_missing(harness, client):
    sign_in_as(harness, "admin")
    page = html(client.get("/book/2027-03-01"))
    assert "Nobody to book with yet" in one(page, ".book-empty").text()


@time_machine.travel(NOW, tick=False)
def test_the_book_is_in_the_navigation(harness, client, day):
    sign_in_as(harness, "receptionist")
    page = html(client.get("/"))
    assert page.css_first('.nav a[href="/book"]') is not None
