"""Booking the follow-up from the visit in one step, through the booking form and its rules."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import time_machine

from clinic.visits.follow_up import days_ahead, follow_up_day
from tests.factories import make_patient, post, set_working_hours, sign_in_as
from tests.helpers import form_values, html, one
from tests.scheduling.test_day_view import open_the_clinic
from tests.visits.visit_factories import make_visit

NOW = dt.datetime(2027, 2, 25, 15, 0, tzinfo=dt.timezone.utc)  # a Thursday, 10:00 in New York


def test_the_follow_up_text_names_the_interval_in_days_weeks_or_months():
    assert days_ahead("Review in 2 weeks with HbA1c") == 14
    assert days_ahead("two weeks") == 14
    assert days_ahead("BP check in 3 wks") == 21
    assert days_ahead("Back in 10 days") == 10
    assert days_ahead("See again in 6 months") == 180
    assert days_ahead("Return if fever persists") is None
    assert days_ahead("in 0 weeks") is None
    assert days_ahead("") is None


def test_the_offered_day_counts_from_the_visit_and_never_falls_in_the_past():
    visit_day, today = dt.date(2027, 1, 4), dt.date(2027, 1, 6)
    assert follow_up_day("in 2 weeks", visit_day, today) == dt.date(2027, 1, 18)
    assert follow_up_day("in 1 day", visit_day, today) == today
    assert follow_up_day("when needed", visit_day, today) is None


@time_machine.travel(NOW, tick=False)
def test_a_signed_visits_follow_up_books_that_patient_with_that_provider(harness, client):
    open_the_clinic(harness)
    doctor = sign_in_as(harness, "doctor")
    harness.run(set_working_hours, doctor["id"])
    patient_id = harness.run(make_patient, first_name="Ann", last_name="Jones")
    visit_id = harness.run(make_visit, patient_id, doctor)
    visit_url = f"/patients/{patient_id}/visits/{visit_id}"
    post(client, f"{visit_url}/sections/plan", {"text_plan": "Metformin as before.", "version": "1"}, htmx=True)
    post(client, f"{visit_url}/details", {"reason": "Diabetes", "follow_up": "Review in 2 weeks with HbA1c.",
                                          "version": "1"}, htmx=True)
    assert post(client, f"{visit_url}/sign").status_code == 303

    link = one(html(client.get(visit_url)), "[data-testid=book-follow-up]").attributes["href"]
    parts = urlsplit(link)
    assert parts.path == f"/appointments/new/patient/{patient_id}"
    assert parse_qs(parts.query) == {"provider": [str(doctor["id"])], "day": ["2027-03-11"]}  # ids and a day only

    form = html(client.get(link))
    assert one(form, "input[name=patient_id]").attributes["value"] == str(patient_id)
    assert "selected" in one(form, f"#f-provider_id option[value='{doctor['id']}']").attributes
    assert one(form, "#f-day").attributes["value"] == "2027-03-11"

    values = form_values(client, link, "#booking-form form")
    values.update({"time": "09:30", "minutes": "20"})
    booked = post(client, "/appointments/new", values)
    assert booked.status_code == 303
    again = post(client, "/appointments/new", values)  # the same token: a double click books once
    assert again.status_code in (200, 303)
    rows = harness.sql("SELECT patient, provider, starts_at FROM appointment")
    assert len(rows) == 1
    assert rows[0]["patient"] == patient_id and rows[0]["provider"] == doctor["id"]
    assert str(rows[0]["starts_at"]).startswith("2027-03-11 14:30")


def test_without_an_interval_the_link_keeps_the_provider_and_leaves_the_day(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    visit_id = harness.run(make_visit, patient_id, doctor)
    link = one(html(client.get(f"/patients/{patient_id}/visits/{visit_id}")),
               "[data-testid=book-follow-up]").attributes["href"]
    assert parse_qs(urlsplit(link).query) == {"provider": [str(doctor["id"])]}

