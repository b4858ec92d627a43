"""Booking a repeating series over HTTP: the dates previewed, every conflicting date named with why,
"book the others", a double submit booking one series; and on an occurrence's page, cancelling or
moving this one, this and following, or the whole series."""

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

MONDAY = dt.date(2027, 3, 1)
NOW = dt.datetime(2027, 2, 25, 15, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def clinic(harness):
    open_the_clinic(harness)
    okafor = harness.run(make_staff, "doctor", name="Lena Okafor")
    harness.run(set_working_hours, okafor["id"])
    physio = harness.run(make_appointment_type, "Physio", minutes=30)
    ann = harness.run(make_patient, first_name="Ann", last_name="Jones")
    bob = harness.run(make_patient, first_name="Bob", last_name="Smith")
    return {"okafor": okafor["id"], "physio": physio, "ann": ann, "bob": bob}


def series_values(client, clinic, **changes) -> dict:
    values = form_values(client, f"/appointments/series/new?provider={clinic['okafor']}&day=2027-03-01&time=09:30",
                         "#series-form form")
    values.update({"patient_id": str(clinic["ann"]), "type_id": str(clinic["physio"]), "minutes": "30",
                   "frequency": "weekly", "interval": "1", "ends": "count", "count": "4"})
    values.update(changes)
    return values


@time_machine.travel(NOW, tick=False)
def test_the_booking_form_links_to_the_series_form(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    page = html(client.get(f"/appointments/new?provider={clinic['okafor']}&day=2027-03-01&time=09:30"))
    link = next(a.attributes["href"] for a in page.css(".page-head a") if "series" in a.attributes["href"])
    assert link == f"/appointments/series/new?provider={clinic['okafor']}&day=2027-03-01&time=09%3A30"
    prefilled = html(client.get(link))
    assert one(prefilled, "#f-time").attributes["value"] == "09:30"
    assert one(prefilled, "#f-day").attributes["value"] == "2027-03-01"
    from_chart = html(client.get(f"/appointments/new/patient/{clinic['ann']}"))
    link = next(a.attributes["href"] for a in from_chart.css(".page-head a") if "series" in a.attributes["href"])
    assert link.startswith(f"/appointments/series/new/patient/{clinic['ann']}?")
    assert "checked" in one(html(client.get(link)), f"#f-patient-{clinic['ann']}").attributes
    series_page = client.get("/appointments/series/new")
    assert series_page.status_code == 200
    tree = html(series_page)
    assert "checked" in one(tree, "input[name=frequency][value=weekly]").attributes
    assert one(tree, "#f-count").attributes["value"] == "6"


@time_machine.travel(NOW, tick=False)
def test_it_previews_every_date_without_booking(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    response = post(client, "/appointments/series/new", series_values(client, clinic, action="preview"), htmx=True,
                    headers={"HX-Target": "series-form"})
    assert response.status_code == 200 and is_fragment(response)
    tree = html(response)
    dates = [li.attributes["data-date"] for li in tree.css(".date-list > li")]
    assert dates == ["2027-03-01", "2027-03-08", "2027-03-15", "2027-03-22"]
    assert all(li.attributes["data-free"] == "yes" for li in tree.css(".date-list > li"))
    assert harness.sql("SELECT COUNT(*) AS n FROM appointment")[0]["n"] == 0


@time_machine.travel(NOW, tick=False)
def test_it_books_every_date_of_a_free_series_and_opens_the_first(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    response = post(client, "/appointments/series/new", series_values(client, clinic, frequency="weekly",
                                                                       interval="2"))
    assert response.status_code == 303
    rows = harness.sql("SELECT * FROM appointment ORDER BY starts_at")
    assert [str(row["starts_at"])[:10] for row in rows] == ["2027-03-01", "2027-03-15", "2027-03-29", "2027-04-12"]
    assert len({row["series"] for row in rows}) == 1 and rows[0]["series"] is not None
    assert response.headers["location"] == f"/appointments/{rows[0]['id']}"
    assert harness.sql("SELECT rule FROM appointment_series")[0]["rule"] == "FREQ=WEEKLY;INTERVAL=2;COUNT=4"


@time_machine.travel(NOW, tick=False)
def test_a_conflicting_date_is_named_with_why_and_nothing_is_booked(harness, client, clinic):
    harness.run(book_appointment, clinic["bob"], clinic["okafor"], local_time(dt.date(2027, 3, 15), "09:15"), 30)
    sign_in_as(harness, "receptionist")
    response = post(client, "/appointments/series/new", series_values(client, clinic, notes="typed"), htmx=True,
                    headers={"HX-Target": "series-form"})
    assert response.status_code == 409 and is_fragment(response)
    tree = html(response)
    taken = tree.css(".date-list > li[data-free=no]")
    assert [li.attributes["data-date"] for li in taken] == ["2027-03-15"]
    assert "Bob Smith" in one(tree, ".date-list > li[data-free=no] [data-conflict-kind=provider]").text()
    assert one(tree, "button[data-book-free]").text().strip() == "Book the 3 free dates"
    assert one(tree, "#f-notes").text() == "typed"
    assert harness.sql("SELECT COUNT(*) AS n FROM appointment")[0]["n"] == 1


@time_machine.travel(NOW, tick=False)
def test_book_the_others_books_the_free_dates_and_says_which_were_left_out(harness, client, clinic):
    harness.run(book_appointment, clinic["bob"], clinic["okafor"], local_time(dt.date(2027, 3, 15), "09:15"), 30)
    sign_in_as(harness, "receptionist")
    response = post(client, "/appointments/series/new", series_values(client, clinic, action="book_free"))
    assert response.status_code == 303
    rows = harness.sql(f"SELECT * FROM appointment WHERE patient = {clinic['ann']} ORDER BY starts_at")
    assert [str(row["starts_at"])[:10] for row in rows] == ["2027-03-01", "2027-03-08", "2027-03-22"]
    page = html(client.get(response.headers["location"]))
    assert "Not booked (not free): 03/15/2027" in one(page, "#alerts").text()


@time_machine.travel(NOW, tick=False)
def test_a_double_submit_books_one_series(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    values = series_values(client, clinic)
    first = post(client, "/appointments/series/new", values)
    second = post(client, "/appointments/series/new", values)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert harness.sql("SELECT COUNT(*) AS n FROM appointment")[0]["n"] == 4
    assert harness.sql("SELECT COUNT(*) AS n FROM appointment_series")[0]["n"] == 1


@time_machine.travel(NOW, tick=False)
def test_it_refuses_a_series_longer_than_two_years_keeping_the_input(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    response = post(client, "/appointments/series/new",
                    series_values(client, clinic, ends="until", count="", until="2030-01-01"), htmx=True,
                    headers={"HX-Target": "series-form"})
    assert response.status_code == 422
    tree = html(response)
    assert "two years" in one(tree, "#e-until").text()
    assert one(tree, "#f-until").attributes["value"] == "2030-01-01"


@time_machine.travel(NOW, tick=False)
def test_monthly_on_the_same_weekday_follows_the_nth_weekday(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    response = post(client, "/appointments/series/new",
                    series_values(client, clinic, frequency="monthly_weekday", count="3", action="preview"))
    dates = [li.attributes["data-date"] for li in html(response).css(".date-list > li")]
    assert dates == ["2027-03-01", "2027-04-05", "2027-05-03"]  # first Mondays


def book_series(harness, client, clinic, count="4") -> list[dict]:
    post(client, "/appointments/series/new", series_values(client, clinic, count=count))
    return harness.sql("SELECT * FROM appointment ORDER BY starts_at")


@time_machine.travel(NOW, tick=False)
def test_an_occurrence_page_offers_this_one_following_or_all(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    rows = book_series(harness, client, clinic)
    tree = html(client.get(f"/appointments/{rows[1]['id']}"))
    scopes = [node.attributes["value"] for node in tree.css("form[data-series-cancel] input[name=scope]")]
    assert scopes == ["one", "following", "all"]
    assert one(tree, "form[data-series-move]") is not None


@time_machine.travel(NOW, tick=False)
def test_cancelling_this_and_following_leaves_the_earlier_ones(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    rows = book_series(harness, client, clinic)
    response = post(client, f"/appointments/{rows[1]['id']}/series/cancel",
                    {"scope": "following", "cancel_reason": "Course finished", "revision": str(rows[1]["revision"])},
                    htmx=True, headers={"HX-Target": "appointment"})
    assert response.status_code == 200 and is_fragment(response)
    statuses = [row["status"] for row in harness.sql("SELECT status FROM appointment ORDER BY starts_at")]
    assert statuses == ["booked", "cancelled", "cancelled", "cancelled"]
    assert "Cancelled 3 appointment(s)." in html(response).text()


@time_machine.travel(NOW, tick=False)
def test_cancelling_in_a_series_needs_a_reason(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    rows = book_series(harness, client, clinic)
    response = post(client, f"/appointments/{rows[0]['id']}/series/cancel",
                    {"scope": "all", "cancel_reason": "", "revision": str(rows[0]["revision"])}, htmx=True,
                    headers={"HX-Target": "appointment"})
    assert response.status_code == 422
    assert "Say why" in one(html(response), "#sc-e-cancel_reason").text()
    assert {row["status"] for row in harness.sql("SELECT status FROM appointment")} == {"booked"}


@time_machine.travel(NOW, tick=False)
def test_moving_the_whole_series_keeps_the_weekly_rhythm(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    rows = book_series(harness, client, clinic)
    response = post(client, f"/appointments/{rows[0]['id']}/series/move",
                    {"scope": "all", "day": "2027-03-02", "time": "14:00", "minutes": "30",
                     "revision": str(rows[0]["revision"])})
    assert response.status_code == 303
    moved = harness.sql("SELECT starts_at FROM appointment ORDER BY starts_at")
    assert [str(row["starts_at"])[:16] for row in moved] == [
        "2027-03-02 19:00", "2027-03-09 19:00", "2027-03-16 18:00", "2027-03-23 18:00"]  # 14:00 New York, DST on 14 March


@time_machine.travel(NOW, tick=False)
def test_a_move_onto_a_taken_time_names_the_date_and_moves_nothing(harness, client, clinic):
    sign_in_as(harness, "receptionist")
    rows = book_series(harness, client, clinic)
    harness.run(book_appointment, clinic["bob"], clinic["okafor"], local_time(dt.date(2027, 3, 16), "14:00"), 30)
    response = post(client, f"/appointments/{rows[0]['id']}/series/move",
                    {"scope": "all", "day": "2027-03-02", "time": "14:00", "minutes": "30",
                     "revision": str(rows[0]["revision"])}, htmx=True, headers={"HX-Target": "appointment"})
    assert response.status_code == 409
    assert "03/16/2027" in html(response).text()
    assert str(harness.sql(f"SELECT starts_at FROM appointment WHERE id = {rows[0]['id']}")[0]["starts_at"]
               ).startswith("2027-03-01")


@time_machine.travel(NOW, tick=False)
def test_a_single_appointment_has_no_series_part(harness, client, clinic):
    single = harness.run(book_appointment, clinic["ann"], clinic["okafor"], local_time(MONDAY, "11:00"), 30)
    sign_in_as(harness, "receptionist")
    tree = html(client.get(f"/appointments/{single}"))
    assert tree.css("section.series-actions") == []
