"""The next available screen over HTTP: free slots for a type with one provider or anyone, morning or
afternoon, far ahead when the book is full; each slot books through the slot page with a token."""

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

NOW = dt.datetime(2027, 2, 25, 15, 0, tzinfo=dt.timezone.utc)  # Thursday 10:00 in New York


@pytest.fixture
def clinic(harness):
    open_the_clinic(harness)
    okafor = harness.run(make_staff, "doctor", name="Lena Okafor")
    baker = harness.run(make_staff, "nurse", name="Sam Baker")
    harness.run(set_working_hours, okafor["id"])
    harness.run(set_working_hours, baker["id"], {0: [("13:00", "15:00")]})
    checkup = harness.run(make_appointment_type, "Check-up", minutes=30, providers=[okafor["id"], baker["id"]])
    surgery = harness.run(make_appointment_type, "Minor surgery", minutes=60, providers=[okafor["id"]], needs_room=True)
    room = harness.run(make_room, "Procedure room")
    ann = harness.run(make_patient, first_name="Ann", last_name="Jones")
    return {"okafor": okafor["id"], "baker": baker["id"], "checkup": checkup, "surgery": surgery, "room": room,
            "ann": ann}


def slot_starts(tree) -> list[str]:
    return [node.attributes["data-starts-at"][:16] for node in tree.css(".slot-list .free-slot")]


@time_machine.travel(NOW, tick=False)
def test_it_shows_the_search_form_first_with_today_filled_in(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    tree = html(client.get("/appointments/next-available"))
    assert one(tree, "#f-from").attributes["value"] == "2027-02-25"
    assert tree.css(".slot-list") == [] and one(tree, "#next-results .empty") is not None


@time_machine.travel(NOW, tick=False)
def test_it_lists_the_next_free_slots_of_one_provider_from_now(harness, client, clinic):
    harness.run(book_appointment, clinic["ann"], clinic["okafor"], local_time(dt.date(2027, 2, 25), "10:00"), 30)
    sign_in_as(harness, "receptionist")
    tree = html(client.get(f"/appointments/next-available?type={clinic['checkup']}&provider={clinic['okafor']}"))
    starts = slot_starts(tree)
    assert starts[:3] == ["2027-02-25T15:30", "2027-02-25T16:00", "2027-02-25T16:30"]  # 10:30 onwards, not 10:00
    assert len(starts) == 12


@time_machine.travel(NOW, tick=False)
def test_afternoon_only_offers_times_after_noon(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    tree = html(client.get(f"/appointments/next-available?type={clinic['checkup']}&provider={clinic['okafor']}"
                           "&part=afternoon&from=2027-03-01"))
    assert slot_starts(tree)[0] == "2027-03-01T18:00"  # 13:00 New York


@time_machine.travel(NOW, tick=False)
def test_any_provider_mixes_providers_earliest_first(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    tree = html(client.get(f"/appointments/next-available?type={clinic['checkup']}&part=afternoon&from=2027-03-01"))
    providers = {node.attributes["data-provider-id"] for node in tree.css(".slot-list .free-slot")}
    assert providers == {str(clinic["okafor"]), str(clinic["baker"])}


@time_machine.travel(NOW, tick=False)
def test_a_type_that_needs_a_room_offers_the_room(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    tree = html(client.get(f"/appointments/next-available?type={clinic['surgery']}&from=2027-03-01"))
    assert "Procedure room" in tree.css_first(".slot-list .free-slot").text()
    assert f"room={clinic['room']}" in tree.css_first(".slot-list .free-slot a").attributes["href"]


@time_machine.travel(NOW, tick=False)
def test_it_looks_months_ahead_when_the_provider_is_away(harness, client, clinic):
    from tests.factories import add_time_off
    harness.run(add_time_off, clinic["okafor"], local_time(dt.date(2027, 2, 25), "00:00"),
                local_time(dt.date(2027, 8, 1), "00:00"))
    sign_in_as(harness, "receptionist")
    tree = html(client.get(f"/appointments/next-available?type={clinic['checkup']}&provider={clinic['okafor']}"))
    assert slot_starts(tree)[0].startswith("2027-08-02")


@time_machine.travel(NOW, tick=False)
def test_an_htmx_search_answers_with_the_results_only(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    response = client.get(f"/appointments/next-available?type={clinic['checkup']}",
                          headers={"HX-Request": "true", "HX-Target": "next-results"})
    assert is_fragment(response) and one(html(response), "#next-results .slot-list") is not None


@time_machine.travel(NOW, tick=False)
def test_a_wrong_search_says_what_is_wrong(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    response = client.get("/appointments/next-available?type=999999&part=evening")
    assert response.status_code == 200
    assert one(html(response), "#next-results .error") is not None


@time_machine.travel(NOW, tick=False)
def test_a_slot_books_the_chosen_patient_in_one_click_and_only_once(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    tree = html(client.get(f"/appointments/next-available?type={clinic['checkup']}&provider={clinic['okafor']}"
                           "&from=2027-03-01"))
    link = tree.css_first(".slot-list .free-slot a").attributes["href"]
    page = client.get(link)
    facts = one(html(page), ".slot-facts").text()
    assert "Lena" in facts and "Mon, Mar 1, 2027, 9:00 AM" in facts
    values = form_values(client, link, "#slot-form form", patient_id=str(clinic["ann"]))
    first = post(client, "/appointments/slot", values)
    second = post(client, "/appointments/slot", values)
    assert first.status_code == second.status_code == 303
    rows = harness.sql("SELECT * FROM appointment")
    assert len(rows) == 1 and rows[0]["type"] == clinic["checkup"] and str(rows[0]["starts_at"]).startswith(
        "2027-03-01 14:00")
    assert first.headers["location"] == f"/appointments/{rows[0]['id']}"


@time_machine.travel(NOW, tick=False)
def test_a_slot_taken_meanwhile_says_so_and_books_nothing(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    link = (f"/appointments/slot?provider={clinic['okafor']}&type={clinic['checkup']}&room=&day=2027-03-01"
            "&time=09:00&minutes=30")
    values = form_values(client, link, "#slot-form form", patient_id=str(clinic["ann"]))
    bob = harness.run(make_patient, first_name="Bob", last_name="Smith")
    harness.run(book_appointment, bob, clinic["okafor"], local_time(dt.date(2027, 3, 1), "09:00"), 30)
    response = post(client, "/appointments/slot", values, htmx=True, headers={"HX-Target": "slot-form"})
    assert response.status_code == 409
    assert one(html(response), "#conflicts [data-conflict-kind=provider]") is not None
    assert harness.sql("SELECT COUNT(*) AS n FROM appointment")[0]["n"] == 1


@time_machine.travel(NOW, tick=False)
def test_the_slot_page_needs_a_patient(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    link = (f"/appointments/slot?provider={clinic['okafor']}&type={clinic['checkup']}&room=&day=2027-03-01"
            "&time=09:00&minutes=30")
    response = post(client, "/appointments/slot", form_values(client, link, "#slot-form form"), htmx=True,
                    headers={"HX-Target": "slot-form"})
    assert response.status_code == 422 and one(html(response), "#e-patient_id") is not None


@time_machine.travel(NOW, tick=False)
def test_the_book_and_the_navigation_link_to_next_available(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    tree = html(client.get("/book"))
    hrefs = {a.attributes.get("href") for a in tree.css("a")}
    assert "/appointments/next-available" in hrefs and "/waitlist" in hrefs
