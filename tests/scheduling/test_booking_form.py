"""The booking form over HTTP: from a slot, a chart or a search; conflicts inline naming the other
appointment; overbooking only by explicit choice with a reason; a double submit books once."""

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
    post,
    set_working_hours,
    sign_in_as,
)
from tests.helpers import form_values, html, is_fragment, one
from tests.scheduling.test_day_view import open_the_clinic

MONDAY = dt.date(2027, 3, 1)
NOW = dt.datetime(2027, 2, 25, 15, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def clinic(harness):
    open_the_clinic(harness)
    okafor = harness.run(make_staff, "doctor", name="Lena Okafor")
    harness.run(set_working_hours, okafor["id"])
    checkup = harness.run(make_appointment_type, "Check-up", minutes=30)
    room = harness.run(make_room, "Room 1")
    ann = harness.run(make_patient, first_name="Ann", last_name="Jones")
    bob = harness.run(make_patient, first_name="Bob", last_name="Smith")
    return {"okafor": okafor["id"], "checkup": checkup, "room": room, "ann": ann, "bob": bob}


def booking(client, clinic, **changes) -> dict:
    values = form_values(client, f"/appointments/new?provider={clinic['okafor']}&day=2027-03-01&time=09:30",
                         "#booking-form form")
    values.update({"patient_id": str(clinic["ann"]), "type_id": str(clinic["checkup"]), "minutes": "30"})
    values.update(changes)
    return values


def count(harness) -> int:
    return harness.sql("SELECT COUNT(*) AS n FROM appointment")[0]["n"]


@time_machine.travel(NOW, tick=False)
def test_it_books_from_a_slot_and_goes_to_that_day(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    response = post(client, "/appointments/new", booking(client, clinic, notes="Bring glucose diary"))
    assert response.status_code == 303 and response.headers["location"] == "/book/2027-03-01"
    row = harness.sql("SELECT * FROM appointment")[0]
    assert row["patient"] == clinic["ann"] and row["provider"] == clinic["okafor"] and row["type"] == clinic["checkup"]
    assert str(row["starts_at"]).startswith("2027-03-01 14:30") and row["notes"] == "Bring glucose diary"
    page = html(client.get("/book/2027-03-01"))
    assert "Booked for 03/01/2027 at 9:30 AM." in one(page, "#alerts .alert-ok").text()


@time_machine.travel(NOW, tick=False)
def test_htmx_booking_redirects_the_browser_to_the_day(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    response = post(client, "/appointments/new", booking(client, clinic), htmx=True)
    assert response.headers["hx-redirect"] == "/book/2027-03-01"


@time_machine.travel(NOW, tick=False)
def test_a_conflict_comes_back_inline_naming_the_other_appointment(harness, client, clinic):
    other = harness.run(book_appointment, clinic["bob"], clinic["okafor"], local_time(MONDAY, "09:15"), 30)
    sign_in_as(harness, "receptionist")
    response = post(client, "/appointments/new", booking(client, clinic, notes="typed"), htmx=True,
                    headers={"HX-Target": "booking-form"})
    assert response.status_code == 409 and is_fragment(response)
    tree = html(response)
    conflict = one(tree, "#conflicts li[data-conflict-kind=provider]")
    assert "Bob Smith" in conflict.text() and "9:15 AM" in conflict.text()
    assert conflict.css_first("a").attributes["href"] == f"/appointments/{other}"
    assert one(tree, "#f-notes").text() == "typed" and one(tree, "#f-time").attributes["value"] == "09:30"
    assert one(tree, f"#f-patient-{clinic['ann']}").attributes.get("value") == str(clinic["ann"])
    assert one(tree, "#f-overbook") is not None
    assert count(harness) == 1


@time_machine.travel(NOW, tick=False)
def test_overbooking_takes_the_explicit_choice_and_a_reason(harness, client, clinic):
    harness.run(book_appointment, clinic["bob"], clinic["okafor"], local_time(MONDAY, "09:30"), 30)
    sign_in_as(harness, "receptionist")
    reason_alone = post(client, "/appointments/new", booking(client, clinic, overbook_reason="Urgent"))
    assert reason_alone.status_code == 409 and count(harness) == 1
    choice_alone = post(client, "/appointments/new", booking(client, clinic, overbook="1"))
    assert choice_alone.status_code == 422
    assert "Say why" in one(html(choice_alone), "#e-overbook_reason").text()
    both = post(client, "/appointments/new", booking(client, clinic, overbook="1", overbook_reason="Urgent: fever"))
    assert both.status_code == 303
    rows = harness.sql("SELECT overbook_reason FROM appointment ORDER BY id")
    assert [row["overbook_reason"] for row in rows] == ["", "Urgent: fever"]
    assert harness.audit("action = 'appointment.book' AND detail LIKE 'overbooked%'")


@time_machine.travel(NOW, tick=False)
def test_the_same_form_sent_twice_books_once(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    values = booking(client, clinic)
    first = post(client, "/appointments/new", values)
    second = post(client, "/appointments/new", values)
    assert first.status_code == second.status_code == 303
    assert count(harness) == 1


@time_machine.travel(NOW, tick=False)
def test_each_form_has_its_own_token(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    assert booking(client, clinic)["token"] != booking(client, clinic)["token"]


@time_machine.travel(NOW, tick=False)
def test_without_a_patient_it_says_how_to_find_one(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    response = post(client, "/appointments/new", booking(client, clinic, patient_id=""))
    assert response.status_code == 422
    assert "Choose the patient" in one(html(response), "#e-patient_id").text()


@time_machine.travel(NOW, tick=False)
def test_the_inline_search_offers_patients_to_choose(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    response = post(client, "/appointments/patients", {"patient_q": "jones"}, htmx=True,
                    headers={"HX-Target": "patient-choices"})
    assert response.status_code == 200 and is_fragment(response)
    options = html(response).css("#patient-choices input[name=patient_id]")
    assert [node.attributes["value"] for node in options] == [str(clinic["ann"])]
    assert harness.audit("action = 'patient.read' AND detail = 'booking form search'")


@time_machine.travel(NOW, tick=False)
def test_without_javascript_the_find_button_searches_and_books_nothing(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    response = post(client, "/appointments/new", booking(client, clinic, patient_id="", patient_q="smith", find="1"))
    assert response.status_code == 200 and count(harness) == 0
    tree = html(response)
    assert [n.attributes["value"] for n in tree.css("#patient-choices input")] == [str(clinic["bob"])]
    assert one(tree, "#f-time").attributes["value"] == "09:30"


@time_machine.travel(NOW, tick=False)
def test_from_the_chart_the_patient_is_already_chosen(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    chart = html(client.get(f"/patients/{clinic['ann']}"))
    link = one(chart, "a[data-testid=book-appointment]").attributes["href"]
    assert link == f"/appointments/new/patient/{clinic['ann']}"
    form = html(client.get(link))
    chosen = one(form, "#patient-choices input[checked]")
    assert chosen.attributes["value"] == str(clinic["ann"])
    assert harness.audit("action = 'patient.read' AND detail = 'booking form'")


@time_machine.travel(NOW, tick=False)
def test_a_type_the_provider_does_not_offer_is_refused_beside_the_type(harness, client, clinic):
    nurse = harness.run(make_staff, "nurse")
    only_nurse = harness.run(make_appointment_type, "Injection", minutes=5, providers=[nurse["id"]])
    sign_in_as(harness, "receptionist")
    response = post(client, "/appointments/new", booking(client, clinic, type_id=str(only_nurse)))
    assert response.status_code == 422
    assert "does not offer Injection" in one(html(response), "#e-type_id").text()


@time_machine.travel(NOW, tick=False)
def test_the_type_options_carry_their_length_for_the_form(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    page = html(client.get("/appointments/new"))
    option = one(page, f"#f-type_id option[value='{clinic['checkup']}']")
    assert option.attributes["data-minutes"] == "30"
    assert page.css_first("script[src^='/static/book.'][src$='.js']") is not None  # a content-hash name


@pytest.mark.parametrize("role", ["billing"])
def test_billing_cannot_book(harness, client, clinic, role):
    sign_in_as(harness, role)
    assert client.get("/appointments/new").status_code == 403
    values = {"patient_id": str(clinic["ann"]), "provider_id": str(clinic["okafor"]), "day": "2027-03-01",
              "time": "09:30", "minutes": "30", "token": "x" * 32}
    assert post(client, "/appointments/new", values).status_code == 403
    assert count(harness) == 0
