"""Clinic settings: the profile and its locale, opening hours, closures, who may change them."""

from __future__ import annotations

import pytest

from tests.factories import make_patient, post, sign_in_as
from tests.helpers import form_values, html, one


def settings_values(client, **changes) -> dict:
    return form_values(client, "/admin/clinic", "#practice-form form", **changes)


def test_the_first_visit_shows_what_the_environment_set(harness, client):
    sign_in_as(harness, "admin")
    values = settings_values(client)
    assert values["timezone"] == "America/New_York" and values["currency"] == "USD"
    assert values["opens_0_0"] == "09:00" and values["closes_0_0"] == "17:00" and values["opens_6_0"] == ""


def test_saving_renames_the_clinic_everywhere_and_keeps_time_in_its_zone(harness, client):
    sign_in_as(harness, "admin")
    response = post(client, "/admin/clinic", settings_values(client, name="Riverside Family Clinic",
                                                             timezone="Europe/London", currency="GBP"), htmx=True)
    assert response.status_code == 200
    assert one(html(response), "[hx-swap-oob] .alert-ok").text() == "Clinic settings saved."
    page = html(client.get("/patients"))
    assert one(page, ".brand").text() == "Riverside Family Clinic"
    assert "Europe/London" in page.css_first("footer").text()
    assert harness.audit("action = 'practice.update'", columns="detail")[0]["detail"].startswith("name,timezone,currency")


def test_a_bad_value_comes_back_inline_with_everything_typed(harness, client):
    sign_in_as(harness, "admin")
    values = settings_values(client, name="", appointment_minutes="²5", opens_2_0="10:00", closes_2_0="09:00",
                             address_line1="12 Elm St")
    response = post(client, "/admin/clinic", values, htmx=True)
    assert response.status_code == 422
    tree = html(response)
    assert one(tree, "#e-name").text() == "Enter the clinic name."
    assert one(tree, "#e-appointment_minutes").text() == "Enter a whole number."
    assert one(tree, "#e-closes_2_0").text() == "Closing time must be after opening time."
    assert one(tree, "#f-address_line1").attributes["value"] == "12 Elm St"
    assert one(tree, "#f-opens_2_0").attributes["value"] == "10:00"


def test_two_administrators_saving_at_once_do_not_overwrite_each_other(harness, client):
    sign_in_as(harness, "admin")
    stale = settings_values(client)
    post(client, "/admin/clinic", settings_values(client, phone="555-0100"), htmx=True)
    response = post(client, "/admin/clinic", {**stale, "phone": "555-0199"}, htmx=True)
    assert response.status_code == 409
    assert "Someone else saved" in one(html(response), "[role=alert]").text()
    assert one(html(response), "#f-phone").attributes["value"] == "555-0199"


@pytest.mark.parametrize("version", ["", "²", "٣", "1.0", "99999999999999"])
def test_a_version_that_is_not_one_is_a_conflict_not_a_crash(harness, client, version):
    sign_in_as(harness, "admin")
    response = post(client, "/admin/clinic", settings_values(client, phone="555-0100", version=version), htmx=True)
    assert response.status_code == 409
    assert harness.audit("action = 'practice.update'") == []


def test_closures_are_added_listed_and_removed(harness, client):
    sign_in_as(harness, "admin")
    bad = post(client, "/admin/clinic/closures", {"first_day": "2099-12-26", "last_day": "2099-12-24",
                                                  "reason": ""}, htmx=True)
    assert bad.status_code == 422
    assert one(html(bad), "#e-reason").text() == "Enter the reason."
    added = post(client, "/admin/clinic/closures", {"first_day": "2099-12-24", "last_day": "2099-12-26",
                                                    "reason": "Holidays"}, htmx=True)
    closure_id = int(one(html(added), "[data-closure-id]").attributes["data-closure-id"])
    removed = post(client, f"/admin/clinic/closures/{closure_id}/remove", {}, htmx=True)
    assert removed.status_code == 200 and html(removed).css("[data-closure-id]") == []
    assert post(client, f"/admin/clinic/closures/{closure_id}/remove", {}, htmx=True).status_code == 404


@pytest.mark.parametrize("role", ["doctor", "nurse", "receptionist", "billing"])
def test_only_administrators_change_the_clinic(harness, client, role):
    sign_in_as(harness, role)
    assert client.get("/admin/clinic").status_code == 403
    assert post(client, "/admin/clinic", {"name": "Mine now"}).status_code == 403


def test_the_clinic_name_heads_every_page_and_printout(harness, client):
    sign_in_as(harness, "admin")
    post(client, "/admin/clinic", settings_values(client, name="Lakeside Health"), htmx=True)
    patient_id = harness.run(make_patient)
    chart = html(client.get(f"/patients/{patient_id}"))
    assert one(chart, ".brand").text() == "Lakeside Health"
    assert "Lakeside Health" in one(chart, ".print-header").text()



def test_work_done_before_any_request_still_starts_the_clinic_in_the_environments_zone(harness):
    # A job (reminders, the demo book) may read the settings before anyone opens a page.
    from clinic.practice import services

    services.forget()
    current = harness.run(services.practice)
    assert (current.timezone, current.currency) == ("America/New_York", "USD")
