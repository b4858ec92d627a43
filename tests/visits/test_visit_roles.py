"""Who may do what with a visit: clinicians write, receptionists and billing never see the note;
a nurse's note needs a doctor's co-signature where the clinic says so."""

from __future__ import annotations

import pytest

from clinic.audit.services import Actor
from clinic.practice.services import forget, practice
from tests.factories import make_patient, make_staff, open_session, post, sign_in_as
from tests.helpers import html, one
from tests.visits.visit_factories import make_visit


def require_cosignature(harness):
    harness.run(practice)  # the clinic's settings row exists from the first read
    harness.sql("UPDATE clinic_profile SET cosign_nurse_notes = {}", True)
    forget()


@pytest.mark.parametrize("role", ["receptionist", "billing"])
def test_front_desk_and_billing_cannot_open_read_or_write_a_visit(harness, client, role):
    doctor = harness.run(make_staff, "doctor")
    patient_id = harness.run(make_patient)
    visit_id = harness.run(make_visit, patient_id, doctor)
    sign_in_as(harness, role)
    assert client.get(f"/patients/{patient_id}/visits/{visit_id}").status_code == 403
    assert client.get(f"/patients/{patient_id}/visits/new").status_code == 403
    assert post(client, f"/patients/{patient_id}/visits", {"reason": "x"}).status_code == 403
    assert post(client, f"/patients/{patient_id}/visits/{visit_id}/sections/plan",
                {"text_plan": "x", "version": "1"}).status_code == 403
    chart = html(client.get(f"/patients/{patient_id}"))
    assert not chart.css("#section-visits")
    assert harness.sql("SELECT COUNT(*) AS n FROM visit")[0]["n"] == 1


def test_a_nurse_drafts_but_cannot_sign_where_a_cosignature_is_required(harness, client):
    require_cosignature(harness)
    nurse = sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    opened = post(client, f"/patients/{patient_id}/visits", {"reason": "Dressing change"})
    visit_id = int(opened.headers["location"].rsplit("/", 1)[-1])
    assert harness.sql("SELECT requires_cosign FROM visit")[0]["requires_cosign"] in (True, 1)
    saved = post(client, f"/patients/{patient_id}/visits/{visit_id}/sections/plan",
                 {"text_plan": "Change dressing in 2 days.", "version": "1"}, htmx=True)
    assert saved.status_code == 200
    page = html(client.get(f"/patients/{patient_id}/visits/{visit_id}"))
    assert not page.css("form[action$='/sign']")
    assert "co-signature" in one(page, ".visit-facts").text()
    refused = post(client, f"/patients/{patient_id}/visits/{visit_id}/sign")
    assert refused.status_code == 409 and "co-signature" in refused.text
    assert harness.sql("SELECT state FROM visit")[0]["state"] == "draft"

    doctor = sign_in_as(harness, "doctor")
    page = html(client.get(f"/patients/{patient_id}/visits/{visit_id}"))
    assert one(page, "form[action$='/sign'] button").text(strip=True) == "Co-sign note"
    assert post(client, f"/patients/{patient_id}/visits/{visit_id}/sign").status_code == 303
    row = harness.sql("SELECT state, signed_by, cosigned_by, cosigned_at, created_by FROM visit")[0]
    assert row["state"] == "signed" and row["cosigned_by"] == doctor["id"] and row["cosigned_at"]
    assert row["created_by"] == nurse["id"]
    assert harness.audit("action = 'visit.cosign'", columns="patient_id") == [{"patient_id": patient_id}]


def test_a_nurse_signs_her_own_note_when_the_clinic_does_not_ask_for_cosignature(harness, client):
    nurse = sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    visit_id = harness.run(make_visit, patient_id, nurse)
    assert post(client, f"/patients/{patient_id}/visits/{visit_id}/sign").status_code == 303
    assert harness.sql("SELECT state, signed_by FROM visit")[0] == {"state": "signed", "signed_by": nurse["id"]}


def test_only_the_author_or_the_visits_clinician_signs(harness, client):
    author = harness.run(make_staff, "doctor")
    patient_id = harness.run(make_patient)
    visit_id = harness.run(make_visit, patient_id, author)
    sign_in_as(harness, "doctor")
    page = html(client.get(f"/patients/{patient_id}/visits/{visit_id}"))
    assert not page.css("form[action$='/sign']")
    refused = post(client, f"/patients/{patient_id}/visits/{visit_id}/sign")
    assert refused.status_code == 409 and "author" in refused.text
    assert harness.sql("SELECT state FROM visit")[0]["state"] == "draft"


def test_the_clinic_setting_is_on_the_clinic_settings_screen(harness, client):
    sign_in_as(harness, "admin")
    page = html(client.get("/admin/clinic"))
    box = one(page, "input[name=cosign_nurse_notes]")
    assert "checked" not in box.attributes


def test_a_nurse_opening_a_visit_as_a_service_call_needs_cosignature_only_when_set(harness):
    patient_id = harness.run(make_patient)
    nurse = harness.run(make_staff, "nurse")
    from clinic.visits.services import open_visit
    first = harness.run(open_visit, patient_id, Actor(staff_id=nurse["id"], role="nurse"))
    require_cosignature(harness)
    second = harness.run(open_visit, patient_id, Actor(staff_id=nurse["id"], role="nurse"))
    rows = {row["id"]: bool(row["requires_cosign"]) for row in harness.sql("SELECT id, requires_cosign FROM visit")}
    assert rows == {first: False, second: True}


def test_unsigned_notes_lists_ones_own_drafts_and_for_doctors_the_notes_to_cosign(harness, client):
    require_cosignature(harness)
    nurse = harness.run(make_staff, "nurse")
    doctor = harness.run(make_staff, "doctor")
    other_doctor = harness.run(make_staff, "doctor")
    patient_id = harness.run(make_patient)
    nurse_note = harness.run(make_visit, patient_id, nurse)
    own = harness.run(make_visit, patient_id, doctor)
    harness.run(make_visit, patient_id, other_doctor)  # another doctor's own draft: not this one's business
    token = harness.run(open_session, doctor["id"], harness.app.state.session_policy)
    client.cookies.set("clinic_session", token, domain="testserver.local")
    page = html(client.get("/visits/unsigned"))
    assert sorted(int(row.attributes["data-visit-id"]) for row in page.css("tr[data-visit-id]")) == sorted(
        [nurse_note, own])
    assert harness.audit("action = 'patient.read' AND detail = 'unsigned notes'", columns="patient_id") == [
        {"patient_id": patient_id}]
    token = harness.run(open_session, nurse["id"], harness.app.state.session_policy)
    client.cookies.set("clinic_session", token, domain="testserver.local")
    page = html(client.get("/visits/unsigned"))
    assert [int(row.attributes["data-visit-id"]) for row in page.css("tr[data-visit-id]")] == [nurse_note]


@pytest.mark.parametrize("role", ["receptionist", "billing", "admin"])
def test_roles_that_write_no_notes_have_no_unsigned_notes_screen(harness, client, role):
    sign_in_as(harness, role)
    assert client.get("/visits/unsigned").status_code == 403
