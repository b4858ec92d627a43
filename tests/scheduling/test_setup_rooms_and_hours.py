"""Set-up of the book: rooms, and each provider's colour, working hours and time off."""

from __future__ import annotations

import datetime as dt

import time_machine

from clinic.scheduling.setup import clean_working_hours
from tests.factories import make_staff, post, sign_in_as
from tests.helpers import form_values, html, is_fragment, one


def test_rooms_are_added_retired_and_offered_again(harness, client):
    sign_in_as(harness, "admin")
    added = post(client, "/admin/clinic/book/rooms", {"name": "Room 1"}, htmx=True, headers={"HX-Target": "rooms"})
    assert added.status_code == 200 and is_fragment(added)
    assert one(html(added), "[hx-swap-oob] .alert-ok").text() == "Room added."
    room_id = int(one(html(added), "[data-room-id]").attributes["data-room-id"])
    duplicate = post(client, "/admin/clinic/book/rooms", {"name": "room 1"}, htmx=True, headers={"HX-Target": "rooms"})
    assert duplicate.status_code == 422
    assert one(html(duplicate), "#e-name").text() == "There is already a room with this name."
    retired = post(client, f"/admin/clinic/book/rooms/{room_id}/retire", {}, htmx=True, headers={"HX-Target": "rooms"})
    assert "Retired" in one(html(retired), f"[data-room-id='{room_id}']").text()
    post(client, f"/admin/clinic/book/rooms/{room_id}/restore", {}, htmx=True, headers={"HX-Target": "rooms"})
    assert harness.sql("SELECT active FROM room")[0]["active"] in (1, True)
    assert post(client, "/admin/clinic/book/rooms/999999/retire", {}).status_code == 404


def test_working_hours_with_two_blocks_a_day_are_saved_and_shown(harness, client):
    sign_in_as(harness, "admin")
    doctor = harness.run(make_staff, "doctor")
    url = f"/admin/clinic/book/providers/{doctor['id']}"
    values = form_values(client, url, "#hours form", starts_0_0="09:00", ends_0_0="12:00", starts_0_1="13:00",
                         ends_0_1="17:00", starts_2_0="08:00", ends_2_0="12:30")
    response = post(client, url + "/hours", values, htmx=True, headers={"HX-Target": "hours"})
    assert response.status_code == 200
    rows = harness.sql("SELECT weekday, starts, ends FROM working_hours ORDER BY weekday, starts")
    assert [(r["weekday"], r["starts"], r["ends"]) for r in rows] == [(0, 540, 720), (0, 780, 1020), (2, 480, 750)]
    assert one(html(client.get(url)), "#f-starts_0_1").attributes["value"] == "13:00"
    overview = html(client.get("/admin/clinic/book"))
    assert "09:00–12:00, 13:00–17:00" in one(overview, f"tr[data-provider-id='{doctor['id']}']").text()


def test_overlapping_or_backwards_blocks_come_back_inline(harness, client):
    sign_in_as(harness, "admin")
    doctor = harness.run(make_staff, "doctor")
    url = f"/admin/clinic/book/providers/{doctor['id']}"
    values = form_values(client, url, "#hours form", starts_1_0="09:00", ends_1_0="08:00", starts_3_0="09:00",
                         ends_3_0="13:00", starts_3_1="12:00", ends_3_1="17:00")
    response = post(client, url + "/hours", values, htmx=True, headers={"HX-Target": "hours"})
    assert response.status_code == 422
    tree = html(response)
    assert one(tree, "#e-ends_1_0").text() == "The end must be after the start."
    assert "starts before" in one(tree, "#e-starts_3_1").text()
    assert one(tree, "#f-starts_3_1").attributes["value"] == "12:00"
    assert harness.sql("SELECT COUNT(*) AS n FROM working_hours")[0]["n"] == 0


def test_working_hours_rules_without_a_database():
    hours, errors = clean_working_hours({"starts_4_0": "13:00", "ends_4_0": "17:00", "starts_4_1": "08:00",
                                         "ends_4_1": "12:00", "starts_5_0": "18:00", "ends_5_0": "00:00"})
    assert errors == {}
    assert hours == {4: [(480, 720), (780, 1020)], 5: [(1080, 1440)]}
    assert "ends_6_0" in clean_working_hours({"starts_6_0": "09:00"})[1]


@time_machine.travel(dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.timezone.utc), tick=False)
def test_time_off_is_added_in_the_clinics_time_and_removed(harness, client):
    sign_in_as(harness, "admin")
    doctor = harness.run(make_staff, "doctor")
    url = f"/admin/clinic/book/providers/{doctor['id']}"
    response = post(client, url + "/time-off", {"first_day": "2026-12-24", "last_day": "2026-12-26",
                                                "reason": "Holiday"}, htmx=True, headers={"HX-Target": "time-off"})
    assert response.status_code == 200
    row = harness.sql("SELECT id, starts_at, ends_at, reason FROM time_off")[0]
    # New York is UTC-5 in December: local midnight is 05:00 UTC.
    assert str(row["starts_at"]).startswith("2026-12-24 05:00") and str(row["ends_at"]).startswith("2026-12-27 05:00")
    assert "Holiday" in one(html(response), f"[data-time-off-id='{row['id']}']").text()
    backwards = post(client, url + "/time-off", {"first_day": "2026-12-24", "last_day": "2026-12-20"}, htmx=True,
                     headers={"HX-Target": "time-off"})
    assert backwards.status_code == 422
    assert one(html(backwards), "#e-last_day").text() == "The time off must end after it starts."
    removed = post(client, f"{url}/time-off/{row['id']}/remove", {}, htmx=True, headers={"HX-Target": "time-off"})
    assert html(removed).css("[data-time-off-id]") == []
    assert post(client, f"{url}/time-off/{row['id']}/remove", {}).status_code == 404


def test_a_providers_colour_is_set_here(harness, client):
    sign_in_as(harness, "admin")
    doctor = harness.run(make_staff, "doctor")
    url = f"/admin/clinic/book/providers/{doctor['id']}"
    response = post(client, url + "/colour", {"colour": "rose"}, htmx=True, headers={"HX-Target": "colour"})
    assert response.status_code == 200
    assert harness.sql("SELECT colour FROM staff WHERE id = {}", doctor["id"])[0]["colour"] == "rose"
    bad = post(client, url + "/colour", {"colour": "chartreuse"}, htmx=True, headers={"HX-Target": "colour"})
    assert bad.status_code == 422


def test_only_clinicians_have_hours_here(harness, client):
    sign_in_as(harness, "admin")
    clerk = harness.run(make_staff, "billing")
    assert client.get(f"/admin/clinic/book/providers/{clerk['id']}").status_code == 404
