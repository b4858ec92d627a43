"""Reason, follow-up, vital signs and services during a visit."""

from __future__ import annotations

from tests.factories import make_patient, post, sign_in_as
from tests.helpers import html, one, texts
from tests.visits.visit_factories import make_visit


def test_vital_signs_taken_during_the_visit_feed_the_chart(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    visit_id = harness.run(make_visit, patient_id, doctor)
    bad = post(client, f"/patients/{patient_id}/visits/{visit_id}/vitals", {"pulse": "720"}, htmx=True)
    assert bad.status_code == 422 and one(html(bad), "#visit-vitals input[name=pulse]").attributes["value"] == "720"
    saved = post(client, f"/patients/{patient_id}/visits/{visit_id}/vitals",
                 {"systolic": "128", "diastolic": "82", "pulse": "72"}, htmx=True)
    assert saved.status_code == 200 and saved.headers["HX-Trigger"] == "chart-changed"
    assert "BP 128/82" in one(html(saved), "[data-testid=visit-vitals]").text()
    vitals = harness.sql("SELECT id, systolic FROM vital_signs")
    assert harness.sql("SELECT vital_signs FROM visit")[0]["vital_signs"] == vitals[0]["id"]
    chart = html(client.get(f"/patients/{patient_id}"))
    assert texts(one(chart, "#section-vitals tr[data-vitals-id]"), "td")[1] == "128/82"


def test_reason_and_follow_up_are_saved_with_a_version_check_and_kept_on_conflict(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    visit_id = harness.run(make_visit, patient_id, doctor)
    url = f"/patients/{patient_id}/visits/{visit_id}/details"
    assert post(client, url, {"reason": "Cough", "follow_up": "Two weeks", "version": "1"},
                htmx=True).status_code == 200
    stale = post(client, url, {"reason": "Other", "follow_up": "Typed in another tab", "version": "1"}, htmx=True)
    assert stale.status_code == 409
    tree = html(stale)
    assert one(tree, "#visit-details textarea[name=follow_up]").text() == "Typed in another tab"
    stored = harness.sql("SELECT reason, follow_up FROM visit")[0]
    assert stored["reason"] == "Cough" and "Two weeks" not in stored["follow_up"]


def test_a_service_needs_a_description_and_a_sane_quantity(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    visit_id = harness.run(make_visit, patient_id, doctor)
    url = f"/patients/{patient_id}/visits/{visit_id}/services"
    bad = post(client, url, {"service_code": "99213", "service_description": "", "quantity": "0"}, htmx=True)
    assert bad.status_code == 422
    tree = html(bad)
    assert one(tree, "#e-service_description") and one(tree, "#e-quantity")
    assert one(tree, "input[name=service_code]").attributes["value"] == "99213"
    good = post(client, url, {"service_code": "99213", "service_description": "Office visit", "quantity": "2"},
                htmx=True)
    assert texts(html(good), "[data-service-id]")[0].startswith("99213Office visit × 2")
    service_id = harness.sql("SELECT id FROM visit_service")[0]["id"]
    removed = post(client, f"{url}/{service_id}/remove", htmx=True)
    assert not html(removed).css("[data-service-id]")


def test_a_merged_duplicates_visits_move_to_the_surviving_record(harness):
    from clinic.audit.services import Actor
    from clinic.patients.merge import merge
    from tests.factories import make_staff

    doctor = harness.run(make_staff, "doctor")
    survivor = harness.run(make_patient)
    duplicate = harness.run(make_patient, first_name="Mary")
    visit_id = harness.run(make_visit, duplicate, doctor)
    moved = harness.run(merge, duplicate, survivor, Actor(staff_id=doctor["id"], role="doctor"))
    assert moved["visits"] == 1
    assert harness.sql("SELECT patient FROM visit WHERE id = {}", visit_id) == [{"patient": survivor}]


def test_the_complete_record_export_carries_the_visits_with_their_notes(harness, client):
    import json

    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    visit_id = harness.run(make_visit, patient_id, doctor, reason="Cough")
    post(client, f"/patients/{patient_id}/visits/{visit_id}/sections/plan",
         {"text_plan": "Steam inhalation.", "version": "1"}, htmx=True)
    exported = json.loads(client.get(f"/patients/{patient_id}/export.json").text)
    [visit] = exported["visits"]
    assert visit["reason"] == "Cough" and visit["state"] == "draft"
    assert {s["key"]: s["text"] for s in visit["sections"]}["plan"] == "Steam inhalation."


def test_the_visit_offers_a_prescription_linked_to_it(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    visit_id = harness.run(make_visit, patient_id, doctor)
    link = one(html(client.get(f"/patients/{patient_id}/visits/{visit_id}")),
               "[data-testid=prescribe]").attributes["href"]
    assert link == f"/patients/{patient_id}/prescriptions/new?visit={visit_id}"
    form = html(client.get(link))
    assert one(form, "input[name=visit_id]").attributes["value"] == str(visit_id)
