"""Allergies, for patient safety: severity said, "no known allergies" recorded, duplicates caught."""

from __future__ import annotations

from tests.factories import add_chart_entry, make_patient, post, sign_in_as
from tests.helpers import html, is_fragment, one


def allergies_url(patient_id: int) -> str:
    return f"/patients/{patient_id}/chart/allergies"


def test_it_refuses_an_allergy_without_a_severity(harness, client):
    sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    response = post(client, allergies_url(patient_id), {"substance": "Penicillin", "reaction": "Hives"}, htmx=True)
    assert response.status_code == 422
    tree = html(response)
    assert one(tree, "#e-severity-allergies").text() == "Choose the severity."
    assert one(tree, "#f-substance-allergies").attributes["value"] == "Penicillin"
    assert harness.sql("SELECT COUNT(*) AS n FROM allergy")[0]["n"] == 0


def test_not_known_is_a_severity_a_clinician_chooses(harness, client):
    sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    response = post(client, allergies_url(patient_id), {"substance": "Latex", "severity": "unknown"}, htmx=True)
    assert response.status_code == 200
    assert harness.sql("SELECT severity FROM allergy") == [{"severity": "unknown"}]


def test_an_unasked_patient_reads_not_recorded_not_no_known_allergies(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    chart = html(client.get(f"/patients/{patient_id}"))
    assert one(chart, "[data-testid=allergy-banner]").text().strip() == "Allergies not recorded"
    assert one(chart, "[data-testid=allergies-not-recorded]")
    assert chart.css_first("[data-testid=no-known-allergies]") is None


def test_no_known_allergies_is_recorded_with_who_and_when(harness, client):
    doctor = sign_in_as(harness, "doctor", name="Amara Okafor")
    patient_id = harness.run(make_patient)
    response = post(client, f"/patients/{patient_id}/no-known-allergies", {}, htmx=True)
    assert response.status_code == 200 and response.headers["hx-trigger"] == "chart-changed"
    assert "Amara Okafor" in one(html(response), "[data-testid=no-known-allergies]").text()
    chart = html(client.get(f"/patients/{patient_id}"))
    assert one(chart, "[data-testid=allergy-banner]").text().strip() == "No known allergies"
    assert harness.sql("SELECT no_known_allergies, reviewed_by FROM allergy_review WHERE patient = {}",
                       patient_id) == [{"no_known_allergies": 1, "reviewed_by": doctor["id"]}]
    assert harness.audit("action = 'clinical.no_known_allergies'", columns="patient_id") == [
        {"patient_id": patient_id}]


def test_no_known_allergies_is_refused_while_an_allergy_is_active(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    harness.run(add_chart_entry, "allergies", patient_id, substance="Peanuts")
    response = post(client, f"/patients/{patient_id}/no-known-allergies", {}, htmx=True)
    assert response.status_code == 409
    assert "active allergies" in one(html(response), "[hx-swap-oob] .alert-error").text()
    assert harness.sql("SELECT COUNT(*) AS n FROM allergy_review")[0]["n"] == 0


def test_recording_an_allergy_ends_no_known_allergies(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    post(client, f"/patients/{patient_id}/no-known-allergies", {}, htmx=True)
    post(client, allergies_url(patient_id), {"substance": "Sulfa", "severity": "moderate"}, htmx=True)
    banner = one(html(client.get(f"/patients/{patient_id}")), "[data-testid=allergy-banner]").text()
    assert "Sulfa (moderate)" in banner and "No known" not in banner
    assert harness.sql("SELECT no_known_allergies FROM allergy_review") == [{"no_known_allergies": 0}]


def test_the_same_allergen_again_warns_first_ignoring_case_and_spaces(harness, client):
    sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    harness.run(add_chart_entry, "allergies", patient_id, substance="Penicillin")
    again = post(client, allergies_url(patient_id), {"substance": "  PENICILLIN ", "severity": "severe"}, htmx=True)
    assert again.status_code == 409
    tree = html(again)
    assert "Penicillin is already on the allergies list" in one(tree, "[data-testid=duplicate-entry]").text()
    assert one(tree, "#f-severity-allergies option[selected]").attributes["value"] == "severe"
    assert harness.sql("SELECT COUNT(*) AS n FROM allergy")[0]["n"] == 1
    anyway = post(client, allergies_url(patient_id), {"substance": "PENICILLIN", "severity": "severe",
                                                      "accept_duplicate": "1"}, htmx=True)
    assert anyway.status_code == 200
    assert harness.sql("SELECT COUNT(*) AS n FROM allergy")[0]["n"] == 2


def test_an_inactive_allergen_may_be_recorded_again_without_a_warning(harness, client):
    sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    entry = harness.run(add_chart_entry, "allergies", patient_id, substance="Codeine")
    post(client, f"{allergies_url(patient_id)}/{entry}/status", {"status": "resolved"}, htmx=True)
    response = post(client, allergies_url(patient_id), {"substance": "codeine", "severity": "mild"}, htmx=True)
    assert response.status_code == 200


def test_an_allergy_is_added_changed_and_retired_and_each_step_is_audited(harness, client):
    nurse = sign_in_as(harness, "nurse", name="Nina Nurse")
    patient_id = harness.run(make_patient)
    bad = post(client, f"/patients/{patient_id}/chart/allergies", {"substance": "", "onset": "2999-01-01"}, htmx=True)
    assert bad.status_code == 422
    tree = html(bad)
    assert "Enter the substance." in tree.text() and "cannot be in the future" in tree.text()
    added = post(client, f"/patients/{patient_id}/chart/allergies",
                 {"substance": "Peanuts", "reaction": "Anaphylaxis", "severity": "severe",
                  "notes": "Carries an adrenaline pen."}, htmx=True)
    assert added.status_code == 200 and is_fragment(added)
    entry = html(added).css_first("li[data-entry-id]")
    assert "Peanuts" in entry.text() and "Severe" in entry.text() and "Carries an adrenaline pen." in entry.text()
    assert "Nina Nurse" in entry.css_first(".entry-meta").text()
    entry_id = int(entry.attributes["data-entry-id"])
    form = html(client.get(f"/patients/{patient_id}/chart/allergies/{entry_id}/edit", headers={"HX-Request": "true"}))
    assert form.css_first("input[name=substance]").attributes["value"] == "Peanuts"
    post(client, f"/patients/{patient_id}/chart/allergies/{entry_id}",
         {"substance": "Peanuts", "reaction": "Anaphylaxis, hives", "severity": "severe",
          "notes": "Carries an adrenaline pen."}, htmx=True)
    resolved = post(client, f"/patients/{patient_id}/chart/allergies/{entry_id}/status", {"status": "inactive"},
                    htmx=True)
    assert "Inactive" in html(resolved).css_first(f"li[data-entry-id='{entry_id}']").text()
    post(client, f"/patients/{patient_id}/chart/allergies/{entry_id}/status", {"status": "entered_in_error"}, htmx=True)
    assert html(client.get(f"/patients/{patient_id}/chart/allergies")).css("li[data-entry-id]") == []
    row = harness.sql("SELECT status, reaction, updated_by, notes FROM allergy WHERE id = {}", entry_id)[0]
    assert row["status"] == "entered_in_error" and row["reaction"] == "Anaphylaxis, hives"
    assert row["updated_by"] == nurse["id"] and row["notes"].startswith("enc1:")
    actions = [r["action"] for r in harness.audit("patient_id = {} AND entity_type = 'allergy'", patient_id,
                                                  columns="action")]
    assert actions == ["clinical.create", "clinical.update", "clinical.status", "clinical.status"]
