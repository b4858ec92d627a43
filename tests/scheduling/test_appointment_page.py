"""One appointment's page: move and resize with every rule checked again, the status workflow,
cancelling with a reason (late cancels flagged), history, stale forms, and the drag form's answer."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.factories import (
    book_appointment,
    local_time,
    make_patient,
    make_staff,
    post,
    set_working_hours,
    sign_in_as,
)
from tests.helpers import form_values, html, is_fragment, one, texts
from tests.scheduling.test_day_view import open_the_clinic

MONDAY = dt.date(2027, 3, 1)
BEFORE = dt.datetime(2027, 2, 25, 15, 0, tzinfo=dt.timezone.utc)  # days ahead
DURING = dt.datetime(2027, 3, 1, 15, 0, tzinfo=dt.timezone.utc)  # 10:00 that Monday


@pytest.fixture
def booked(harness):
    open_the_clinic(harness)
    okafor = harness.run(make_staff, "doctor", name="Lena Okafor")
    harness.run(set_working_hours, okafor["id"])
    ann = harness.run(make_patient, first_name="Ann", last_name="Jones")
    bob = harness.run(make_patient, first_name="Bob", last_name="Smith")
    with time_machine.travel(BEFORE, tick=False):
        appointment = harness.run(book_appointment, ann, okafor["id"], local_time(MONDAY, "09:30"), 30)
        other = harness.run(book_appointment, bob, okafor["id"], local_time(MONDAY, "11:00"), 30)
    return {"okafor": okafor["id"], "ann": ann, "bob": bob, "id": appointment, "other": other,
            "url": f"/appointments/{appointment}"}


def row(harness, appointment_id):
    return harness.sql("SELECT * FROM appointment WHERE id = {}", appointment_id)[0]


@time_machine.travel(BEFORE, tick=False)
def test_the_page_shows_the_appointment_and_its_history(harness, client, booked):
    sign_in_as(harness, "receptionist")
    page = html(client.get(booked["url"]))
    assert "Jones, Ann" in one(page, "#appointment-title").text()
    assert one(page, "[data-testid=status]").text() == "Booked"
    assert texts(page, ".history [data-what]") and one(page, ".history [data-what=booked]")
    assert harness.audit("action = 'patient.read' AND detail = {}", f"appointment {booked['id']}")
    fragment = client.get(booked["url"], headers={"HX-Request": "true", "HX-Target": "appointment"})
    assert is_fragment(fragment) and one(html(fragment), "section#appointment")


@time_machine.travel(BEFORE, tick=False)
def test_it_moves_and_changes_the_length_keeping_the_history(harness, client, booked):
    sign_in_as(harness, "receptionist")
    values = form_values(client, booked["url"], "form[action$='/move']", time="14:00", minutes="45")
    response = post(client, booked["url"] + "/move", values)
    assert response.status_code == 303
    moved = row(harness, booked["id"])
    assert str(moved["starts_at"]).startswith("2027-03-01 19:00") and str(moved["ends_at"]).startswith("2027-03-01 19:45")
    assert moved["revision"] == 2
    page = html(client.get(booked["url"]))
    change = one(page, ".history [data-what=moved]").text()
    assert "9:30 AM" in change and "2:00 PM" in change


@time_machine.travel(BEFORE, tick=False)
def test_a_move_onto_another_appointment_is_refused_naming_it(harness, client, booked):
    sign_in_as(harness, "receptionist")
    values = form_values(client, booked["url"], "form[action$='/move']", time="11:15")
    response = post(client, booked["url"] + "/move", values, htmx=True, headers={"HX-Target": "appointment"})
    assert response.status_code == 409
    tree = html(response)
    assert "Bob Smith" in one(tree, "#conflicts").text()
    assert one(tree, "#f-time").attributes["value"] == "11:15"
    assert row(harness, booked["id"])["revision"] == 1
    anyway = post(client, booked["url"] + "/move", {**values, "overbook": "1", "overbook_reason": "Family together"})
    assert anyway.status_code == 303 and row(harness, booked["id"])["overbook_reason"] == "Family together"


@time_machine.travel(BEFORE, tick=False)
def test_a_stale_form_does_not_overwrite_a_newer_change(harness, client, booked):
    sign_in_as(harness, "receptionist")
    stale = form_values(client, booked["url"], "form[action$='/move']", time="14:00")
    post(client, booked["url"] + "/move", {**stale, "time": "15:00"})
    response = post(client, booked["url"] + "/move", stale, htmx=True, headers={"HX-Target": "appointment"})
    assert response.status_code == 409
    assert "Someone changed this appointment" in response.text
    assert str(row(harness, booked["id"])["starts_at"]).startswith("2027-03-01 20:00")


@time_machine.travel(BEFORE, tick=False)
def test_a_drag_on_the_book_answers_with_the_book(harness, client, booked):
    sign_in_as(harness, "receptionist")
    values = {"revision": "1", "day": "2027-03-01", "time": "13:00", "minutes": "30",
              "provider_id": str(booked["okafor"]), "room_id": "", "return_to": "day:2027-03-01"}
    response = post(client, booked["url"] + "/move", values, htmx=True, headers={"HX-Target": "book"})
    assert response.status_code == 200 and one(html(response), "section#book")
    card = one(html(response), f".appt[data-appointment-id='{booked['id']}']")
    assert card.attributes["data-time"] == "13:00"
    clash = post(client, booked["url"] + "/move", {**values, "revision": "2", "time": "11:00"}, htmx=True,
                 headers={"HX-Target": "book"})
    assert clash.status_code == 409 and one(html(clash), "section#book")
    assert "Bob Smith" in one(html(clash), "[hx-swap-oob] .alert-error").text()


@time_machine.travel(DURING, tick=False)
def test_the_status_workflow_goes_from_booked_to_completed(harness, client, booked):
    sign_in_as(harness, "receptionist")
    for status, label in (("confirmed", "Confirmed"), ("arrived", "Arrived"), ("in_progress", "In progress"),
                          ("completed", "Completed")):
        revision = row(harness, booked["id"])["revision"]
        response = post(client, booked["url"] + "/status", {"status": status, "revision": str(revision)}, htmx=True,
                        headers={"HX-Target": "appointment"})
        assert response.status_code == 200, response.text
        assert one(html(response), "[data-testid=status]").text() == label
    page = html(client.get(booked["url"]))
    assert not page.css("form[action$='/status']") and not page.css("form[action$='/move']")


@time_machine.travel(DURING, tick=False)
def test_a_step_the_workflow_does_not_allow_is_refused(harness, client, booked):
    sign_in_as(harness, "receptionist")
    response = post(client, booked["url"] + "/status", {"status": "completed", "revision": "1"}, htmx=True,
                    headers={"HX-Target": "appointment"})
    assert response.status_code == 422 and row(harness, booked["id"])["status"] == "booked"


@time_machine.travel(DURING, tick=False)
def test_a_no_show_is_flagged(harness, client, booked):
    sign_in_as(harness, "receptionist")
    post(client, booked["url"] + "/status", {"status": "no_show", "revision": "1"})
    page = html(client.get(booked["url"]))
    assert one(page, "[data-testid=status]").text() == "No-show"


@time_machine.travel(BEFORE, tick=False)
def test_cancelling_needs_a_reason(harness, client, booked):
    sign_in_as(harness, "receptionist")
    response = post(client, booked["url"] + "/cancel", {"cancel_reason": "", "revision": "1"}, htmx=True,
                    headers={"HX-Target": "appointment"})
    assert response.status_code == 422
    assert one(html(response), "#e-cancel_reason").text() == "Say why the appointment is cancelled."
    done = post(client, booked["url"] + "/cancel", {"cancel_reason": "Patient unwell", "revision": "1"})
    assert done.status_code == 303
    cancelled = row(harness, booked["id"])
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "Patient unwell"
    assert not cancelled["late_cancel"]
    day = html(client.get("/book/2027-03-01"))
    assert not day.css(f".appt[data-appointment-id='{booked['id']}']")


@time_machine.travel(dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.timezone.utc), tick=False)
def test_a_cancel_on_the_day_is_a_late_cancel(harness, client, booked):
    sign_in_as(harness, "receptionist")
    response = post(client, booked["url"] + "/cancel", {"cancel_reason": "Forgot", "revision": "1"}, htmx=True,
                    headers={"HX-Target": "appointment"})
    assert "late cancel" in one(html(response), "[hx-swap-oob] .alert-ok").text()
    assert one(html(response), "[data-testid=late-cancel]") is not None


@time_machine.travel(BEFORE, tick=False)
def test_the_chart_lists_upcoming_and_past_appointments_and_books_the_next(harness, client, booked):
    sign_in_as(harness, "receptionist")
    post(client, f"/appointments/{booked['id']}/cancel", {"cancel_reason": "Moved away", "revision": "1"})
    with time_machine.travel(BEFORE, tick=False):
        upcoming = harness.run(book_appointment, booked["ann"], booked["okafor"], local_time(MONDAY, "14:00"), 30)
    chart = html(client.get(f"/patients/{booked['ann']}"))
    card = one(chart, "#appointments")
    assert [n.attributes["data-appointment-id"] for n in card.css("h3 + ul .entry")][:1] == [str(upcoming)]
    assert "Moved away" in card.text() and "Cancelled" in card.text()
    assert one(card, "[data-testid=book-next]").attributes["href"] == f"/appointments/new/patient/{booked['ann']}"


@time_machine.travel(BEFORE, tick=False)
def test_billing_sees_the_page_but_changes_nothing(harness, client, booked):
    sign_in_as(harness, "billing")
    page = html(client.get(booked["url"]))
    assert not page.css("form[action$='/move']") and not page.css("form[action$='/cancel']")
    assert post(client, booked["url"] + "/cancel", {"cancel_reason": "x", "revision": "1"}).status_code == 403


def test_an_appointment_that_does_not_exist_is_not_found(harness, client):
    sign_in_as(harness, "receptionist")
    assert client.get("/appointments/999999").status_code == 404
    assert post(client, "/appointments/999999/cancel", {"cancel_reason": "x", "revision": "1"}).status_code == 404


@time_machine.travel(DURING, tick=False)
def test_no_shows_and_cancellations_are_listed_under_the_day_flagged(harness, client, booked):
    sign_in_as(harness, "receptionist")
    post(client, booked["url"] + "/status", {"status": "no_show", "revision": "1"})
    post(client, f"/appointments/{booked['other']}/cancel", {"cancel_reason": "Car broke down", "revision": "1"})
    page = html(client.get("/book/2027-03-01"))
    assert not page.css(".book-grid .appt")
    listed = {node.attributes["data-appointment-id"]: node.text() for node in page.css(".set-aside .entry")}
    assert "No-show" in listed[str(booked["id"])]
    assert "Cancelled" in listed[str(booked["other"])] and "Late cancel" in listed[str(booked["other"])]
    assert "Car broke down" in listed[str(booked["other"])]
