"""The waitlist screen over HTTP: the list (paged, empty), adding an entry with its constraints, removing
one; a cancelled appointment's page offers the waiting patients its time suits, each a link to book them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.factories import (
    book_appointment,
    local_time,
    make_appointment_type,
    make_patient,
    make_staff,
    post,
    set_working_hours,
    sign_in_as,
)
from tests.helpers import form_values, html, is_fragment, one
from tests.scheduling.test_day_view import open_the_clinic

NOW = dt.datetime(2027, 2, 25, 15, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def clinic(harness):
    open_the_clinic(harness)
    okafor = harness.run(make_staff, "doctor", name="Lena Okafor")
    harness.run(set_working_hours, okafor["id"])
    checkup = harness.run(make_appointment_type, "Check-up", minutes=30)
    ann = harness.run(make_patient, first_name="Ann", last_name="Jones")
    bob = harness.run(make_patient, first_name="Bob", last_name="Smith")
    return {"okafor": okafor["id"], "checkup": checkup, "ann": ann, "bob": bob}


async def wait(patient_id: int, **constraints) -> int:
    from clinic.audit.services import Actor
    from clinic.scheduling.waitlist import add_to_waitlist
    from tests.factories import locale

    return await add_to_waitlist(patient_id, Actor(staff_id=None, role="test"), locale(), **constraints)


@time_machine.travel(NOW, tick=False)
def test_an_empty_waitlist_says_what_it_is_for(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    tree = html(client.get("/waitlist"))
    assert one(tree, "#waitlist-rows .empty") is not None
    assert one(tree, "a[href='/waitlist/new']") is not None


@time_machine.travel(NOW, tick=False)
def test_it_lists_waiting_patients_with_their_constraints_and_audits_the_list(harness, client, clinic):
    harness.run(wait, clinic["ann"], provider_ids=[clinic["okafor"]], weekdays=[0, 2], earliest_minutes=9 * 60,
                latest_minutes=12 * 60, notes="Short notice is fine")
    sign_in_as(harness, "receptionist")
    tree = html(client.get("/waitlist"))
    entry = one(tree, f"li[data-patient-id='{clinic['ann']}']")
    assert "Jones, Ann" in entry.text() and "Lena" in entry.text() and "Mon, Wed" in entry.text()
    assert "9:00 AM–12:00 PM" in entry.text() and "Short notice is fine" in entry.text()
    find = entry.css_first("a[data-find-time]").attributes["href"]
    assert find == f"/appointments/next-available?type=&provider={clinic['okafor']}&part=morning"
    audit = harness.sql("SELECT * FROM audit_event WHERE action = 'patient.read' AND detail = 'waitlist'")
    assert len(audit) == 1


@time_machine.travel(NOW, tick=False)
def test_the_list_is_paged(harness, client, clinic):
    for _ in range(27):
        harness.run(wait, clinic["ann"])
    sign_in_as(harness, "receptionist")
    first = html(client.get("/waitlist"))
    assert len(first.css(".waitlist-entries > li")) == 25 and one(first, ".pagination a[rel=next]") is not None
    second = html(client.get("/waitlist?page=2"))
    assert len(second.css(".waitlist-entries > li")) == 2


@time_machine.travel(NOW, tick=False)
def test_it_adds_an_entry_with_providers_days_and_times(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    values = form_values(client, "/waitlist/new", "#waitlist-form form")
    values.update({"patient_id": str(clinic["ann"]), "type_id": str(clinic["checkup"]), "earliest": "08:30",
                   "latest": "11:00", "until_date": "2027-04-30", "notes": "Prefers mornings"})
    values.update({"providers": [str(clinic["okafor"])], "weekdays": ["1", "3"]})
    response = post(client, "/waitlist/new", values)
    assert response.status_code == 303 and response.headers["location"] == "/waitlist"
    row = harness.sql("SELECT * FROM waitlist_entry")[0]
    assert row["patient"] == clinic["ann"] and row["providers"] == str(clinic["okafor"]) and row["weekdays"] == "1,3"
    assert row["earliest_minutes"] == 510 and row["latest_minutes"] == 660 and row["type"] == clinic["checkup"]
    assert str(row["until_date"]) == "2027-04-30" and row["state"] == "waiting"


@time_machine.travel(NOW, tick=False)
def test_a_wrong_entry_comes_back_with_the_input_kept(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    values = form_values(client, "/waitlist/new", "#waitlist-form form")
    values.update({"patient_id": str(clinic["ann"]), "earliest": "12:00", "latest": "09:00", "notes": "typed"})
    response = post(client, "/waitlist/new", values, htmx=True, headers={"HX-Target": "waitlist-form"})
    assert response.status_code == 422 and is_fragment(response)
    tree = html(response)
    assert "after the earliest" in one(tree, "#e-latest").text()
    assert one(tree, "#f-notes").text() == "typed" and "checked" in one(tree, f"#f-patient-{clinic['ann']}").attributes
    assert harness.sql("SELECT COUNT(*) AS n FROM waitlist_entry")[0]["n"] == 0


@time_machine.travel(NOW, tick=False)
def test_removing_an_entry_takes_it_off_the_list(harness, client, clinic):
    entry = harness.run(wait, clinic["ann"])
    sign_in_as(harness, "receptionist")
    client.get("/waitlist")
    response = post(client, f"/waitlist/{entry}/remove", {})
    assert response.status_code == 303
    assert harness.sql("SELECT state FROM waitlist_entry")[0]["state"] == "removed"
    assert one(html(client.get("/waitlist")), "#waitlist-rows .empty") is not None


@time_machine.travel(NOW, tick=False)
def test_a_cancelled_appointment_offers_the_matching_waiting_patients(harness, client, clinic):
    start = local_time(dt.date(2027, 3, 1), "09:30")
    appointment = harness.run(book_appointment, clinic["ann"], clinic["okafor"], start, 30, type_id=clinic["checkup"])
    harness.run(wait, clinic["bob"], provider_ids=[clinic["okafor"]], weekdays=[0])
    other = harness.run(make_patient, first_name="Cy", last_name="Tuesday")
    harness.run(wait, other, weekdays=[1])  # Tuesdays only: not offered
    sign_in_as(harness, "receptionist")
    revision = harness.sql(f"SELECT revision FROM appointment WHERE id = {appointment}")[0]["revision"]
    response = post(client, f"/appointments/{appointment}/cancel",
                    {"cancel_reason": "Unwell", "revision": str(revision)}, htmx=True,
                    headers={"HX-Target": "appointment"})
    tree = html(response)
    lazy = one(tree, "#waitlist-matches")
    assert lazy.attributes["hx-get"] == f"/waitlist/matches/{appointment}"
    matches = client.get(f"/waitlist/matches/{appointment}", headers={"HX-Request": "true",
                                                                     "HX-Target": "waitlist-matches"})
    assert is_fragment(matches)
    found = html(matches).css("#waitlist-matches li[data-patient-id]")
    assert [node.attributes["data-patient-id"] for node in found] == [str(clinic["bob"])]
    link = found[0].css_first("a").attributes["href"]
    assert link.startswith(f"/appointments/slot/patient/{clinic['bob']}?")
    values = form_values(client, link, "#slot-form form")
    assert values["patient_id"] == str(clinic["bob"]) and values["time"] == "09:30"
    booked = post(client, "/appointments/slot", values)
    assert booked.status_code == 303
    assert harness.sql("SELECT state FROM waitlist_entry WHERE patient = %d" % clinic["bob"])[0]["state"] == "booked"


@time_machine.travel(NOW, tick=False)
def test_someone_who_may_only_read_the_book_sees_the_list_without_add_or_remove(harness, client, clinic):
    harness.run(wait, clinic["ann"])
    sign_in_as(harness, "billing")
    tree = html(client.get("/waitlist"))
    assert len(tree.css(".waitlist-entries > li")) == 1
    assert tree.css("a[href='/waitlist/new']") == [] and tree.css("form[action$='/remove']") == []
    assert client.get("/waitlist/new").status_code == 403
