"""One provider's week, and their printable day sheet."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.factories import (
    add_time_off,
    book_appointment,
    local_time,
    make_appointment_type,
    make_patient,
    make_staff,
    set_working_hours,
    sign_in_as,
)
from tests.helpers import html, is_fragment, one, texts
from tests.scheduling.test_day_view import open_the_clinic

MONDAY = dt.date(2027, 3, 1)
NOW = dt.datetime(2027, 3, 2, 15, 0, tzinfo=dt.timezone.utc)  # Tuesday 10:00


@pytest.fixture
def week(harness):
    open_the_clinic(harness)
    okafor = harness.run(make_staff, "doctor", name="Lena Okafor")
    baker = harness.run(make_staff, "nurse", name="Sam Baker")
    harness.run(set_working_hours, okafor["id"])
    ann = harness.run(make_patient, first_name="Ann", last_name="Jones")
    checkup = harness.run(make_appointment_type, "Check-up")
    with time_machine.travel(dt.datetime(2027, 2, 20, tzinfo=dt.timezone.utc), tick=False):
        wednesday = harness.run(book_appointment, ann, okafor["id"], local_time(dt.date(2027, 3, 3), "10:00"), 30,
                                type_id=checkup, notes="Fasting bloods")
        harness.run(add_time_off, okafor["id"], local_time(dt.date(2027, 3, 5), "00:00"),
                    local_time(dt.date(2027, 3, 6), "00:00"), "Conference")
    return {"okafor": okafor["id"], "baker": baker["id"], "ann": ann, "wednesday": wednesday}


@time_machine.travel(NOW, tick=False)
def test_the_week_has_a_column_a_day_from_the_clinics_first_weekday(harness, client, week):
    sign_in_as(harness, "receptionist")
    page = html(client.get(f"/book/week/2027-03-03/provider/{week['okafor']}"))
    days = [node.attributes["data-day"] for node in page.css(".book-col")]
    assert days == ["2027-02-28", "2027-03-01", "2027-03-02", "2027-03-03", "2027-03-04", "2027-03-05", "2027-03-06"]
    wednesday = one(page, ".book-col[data-day='2027-03-03']")
    assert "Jones, Ann" in one(wednesday, ".appt").text()
    assert "Conference" in one(page, ".book-col[data-day='2027-03-05'] .away").text()
    assert not page.css(".book-col[data-day='2027-03-05'] .slot")
    assert "Not working" in one(page, ".book-col[data-day='2027-02-28']").text()
    assert page.css("[data-testid=now-line]")


@time_machine.travel(NOW, tick=False)
def test_the_week_moves_by_weeks_with_htmx_and_pushes_the_url(harness, client, week):
    sign_in_as(harness, "receptionist")
    url = f"/book/week/2027-03-03/provider/{week['okafor']}"
    nav = html(client.get(url))
    assert one(nav, "a[rel=next]").attributes["href"] == f"/book/week/2027-03-10/provider/{week['okafor']}"
    fragment = client.get(f"/book/week/2027-03-10/provider/{week['okafor']}",
                          headers={"HX-Request": "true", "HX-Target": "book"})
    assert is_fragment(fragment) and not html(fragment).css(".appt")
    picked = client.get(f"/book/pick?day=2027-04-07&provider={week['okafor']}", follow_redirects=False)
    assert picked.headers["location"] == f"/book/week/2027-04-07/provider/{week['okafor']}"


@time_machine.travel(NOW, tick=False)
def test_the_day_view_links_to_each_providers_week(harness, client, week):
    sign_in_as(harness, "receptionist")
    page = html(client.get("/book/2027-03-03"))
    links = [a.attributes["href"] for a in page.css(".col-links a") if "/week/" in a.attributes["href"]]
    assert links == [f"/book/week/2027-03-03/provider/{week['okafor']}", f"/book/week/2027-03-03/provider/{week['baker']}"]


def test_someone_who_is_not_a_provider_has_no_week(harness, client):
    clerk = sign_in_as(harness, "receptionist")
    assert client.get(f"/book/week/2027-03-03/provider/{clerk['id']}").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_the_day_sheet_lists_time_patient_type_and_notes_for_print(harness, client, week):
    sign_in_as(harness, "receptionist")
    response = client.get(f"/book/2027-03-03/sheet/{week['okafor']}")
    sheet = html(response)
    row = one(sheet, f"tr[data-appointment-id='{week['wednesday']}']")
    assert texts(row, "td") == ["10:00 AM–10:30 AM", "Jones, Ann", "Check-up", "", "Booked", "Fasting bloods"]
    assert sheet.css_first("link[href^='/static/book.'][href$='.css']") is not None
    assert harness.audit("action = 'patient.read' AND detail = {}", f"day sheet 2027-03-03 provider {week['okafor']}")
    empty = html(client.get(f"/book/2027-03-04/sheet/{week['okafor']}"))
    assert "No appointments on this day." in one(empty, ".empty").text()
