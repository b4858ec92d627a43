"""The chart: sections by role, adding and changing entries, vitals, reveals, export, audit."""

from __future__ import annotations

import json
from decimal import Decimal

from tests.factories import add_chart_entry, add_policy, make_patient, post, sign_in_as
from tests.helpers import html, is_fragment, one, texts

SECTIONS = ("allergies", "medications", "problems", "history", "immunizations")


def test_a_doctor_sees_every_section_on_one_page_and_the_view_is_audited_once(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient, national_id="123-45-6789")
    harness.run(add_chart_entry, "allergies", patient_id, substance="Penicillin", severity="severe",
                reaction="Hives")
    chart = html(client.get(f"/patients/{patient_id}"))
    assert "Penicillin (severe)" in one(chart, "[data-testid=allergy-banner]").text()
    shown = {node.attributes["id"] for node in chart.css("section.chart-section")}
    assert {f"section-{key}" for key in SECTIONS} | {"section-vitals", "timeline", "insurance"} == shown
    assert chart.css("[hx-trigger=load]") == []  # nothing left to fetch: one request, one audit entry
    reads = harness.audit("action = 'patient.read' AND staff_id = {} AND patient_id = {}", doctor["id"], patient_id,
                          columns="detail")
    assert reads == [{"detail": "chart"}]


def test_each_section_is_also_a_fragment_and_its_read_is_audited(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    urls = [f"/patients/{patient_id}/chart/{key}" for key in SECTIONS] + [
        f"/patients/{patient_id}/vitals", f"/patients/{patient_id}/timeline", f"/patients/{patient_id}/insurance"]
    for url in urls:
        fragment = client.get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and is_fragment(fragment), url
    reads = harness.audit("action = 'patient.read' AND staff_id = {} AND patient_id = {}", doctor["id"], patient_id,
                          columns="detail")
    assert sorted(row["detail"] for row in reads) == sorted(["insurance", "timeline", "vitals", *SECTIONS])


def test_a_receptionist_sees_demographics_not_clinical_sections(harness, client):
    receptionist = sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient)
    harness.run(add_chart_entry, "allergies", patient_id, substance="Latex")
    chart = html(client.get(f"/patients/{patient_id}"))
    assert chart.css_first("[data-testid=allergy-banner]") is None
    assert chart.css_first("#section-allergies") is None
    assert chart.css_first("#break-glass form") is not None
    assert "Latex" not in chart.text()
    for key in SECTIONS:
        refused = client.get(f"/patients/{patient_id}/chart/{key}", headers={"HX-Request": "true"})
        assert refused.status_code == 403 and "Latex" not in refused.text
    assert client.get(f"/patients/{patient_id}/vitals").status_code == 403
    assert post(client, f"/patients/{patient_id}/chart/allergies", {"substance": "X"}).status_code == 403
    denied = harness.audit("action = 'access.denied' AND staff_id = {}", receptionist["id"], columns="patient_id")
    assert {row["patient_id"] for row in denied} == {patient_id}


def test_breaking_the_glass_opens_clinical_sections_for_that_patient(harness, client):
    receptionist = sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient)
    other = harness.run(make_patient, first_name="Other")
    harness.run(add_chart_entry, "allergies", patient_id, substance="Latex")
    short = post(client, f"/patients/{patient_id}/break-glass", {"reason": "need"}, htmx=True)
    assert short.status_code == 422 and html(short).css_first("#e-reason") is not None
    granted = post(client, f"/patients/{patient_id}/break-glass", {"reason": "Ambulance crew asking about allergies"},
                   htmx=True)
    assert granted.headers["hx-redirect"] == f"/patients/{patient_id}"
    assert "Latex" in client.get(f"/patients/{patient_id}/chart/allergies").text
    assert client.get(f"/patients/{other}/chart/allergies").status_code == 403
    assert post(client, f"/patients/{patient_id}/chart/allergies", {"substance": "X"}).status_code == 403
    flagged = harness.audit("action = 'patient.break_glass'", columns="staff_id, patient_id, outcome")
    assert flagged == [{"staff_id": receptionist["id"], "patient_id": patient_id, "outcome": "break_glass"}]


def test_billing_sees_insurance_and_demographics(harness, client):
    sign_in_as(harness, "billing")
    patient_id = harness.run(make_patient)
    assert client.get(f"/patients/{patient_id}").status_code == 200
    assert client.get(f"/patients/{patient_id}/insurance").status_code == 200
    assert client.get(f"/patients/{patient_id}/chart/problems").status_code == 403


def test_adding_changing_and_retiring_an_allergy(harness, client):
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


def test_every_section_accepts_an_entry(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    samples = {
        "medications": {"name": "Metformin", "dose": "500 mg", "frequency": "twice daily", "start_date": "2024-01-10"},
        "problems": {"description": "Type 2 diabetes", "icd10_code": "e11.9", "onset": "2023-06-01"},
        "history": {"kind": "family", "description": "Mother: diabetes"},
        "immunizations": {"vaccine": "Influenza", "given_on": "2025-10-01"},
    }
    for key, values in samples.items():
        response = post(client, f"/patients/{patient_id}/chart/{key}", values, htmx=True)
        assert response.status_code == 200, (key, response.text[:400])
    assert harness.sql("SELECT icd10_code FROM problem")[0]["icd10_code"] == "E11.9"
    bad_code = post(client, f"/patients/{patient_id}/chart/problems", {"description": "X", "icd10_code": "123"},
                    htmx=True)
    assert bad_code.status_code == 422 and "ICD-10" in bad_code.text
    stops_first = post(client, f"/patients/{patient_id}/chart/medications",
                       {"name": "X", "start_date": "2024-02-01", "stop_date": "2024-01-01"}, htmx=True)
    assert "before the start date" in stops_first.text


def test_vital_signs_in_clinic_units_with_bmi(harness, client):
    sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    bad = post(client, f"/patients/{patient_id}/vitals", {"systolic": "80", "diastolic": "120", "pulse": "720"},
               htmx=True)
    assert bad.status_code == 422
    assert "lower than the systolic" in bad.text and "Expected between 20 and 250" in bad.text
    saved = post(client, f"/patients/{patient_id}/vitals",
                 {"systolic": "128", "diastolic": "82", "pulse": "72", "temperature": "98.6", "weight": "154",
                  "height": "65"}, htmx=True)
    assert saved.status_code == 200
    row = harness.sql("SELECT temperature_c, weight_kg, height_cm FROM vital_signs")[0]
    assert (Decimal(str(row["temperature_c"])), Decimal(str(row["weight_kg"])), Decimal(str(row["height_cm"]))) == (
        Decimal("37.0"), Decimal("69.9"), Decimal("165.1"))
    table_row = html(saved).css_first("tr[data-vitals-id]")
    cells = texts(table_row, "td")
    assert cells[1] == "128/82" and cells[3] == "98.6" and cells[4] == "154.1"
    assert one(table_row, "[data-testid=bmi]").text() == "25.6"


def test_revealing_an_identifier_is_permitted_and_audited(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient, national_id="123456789")
    chart = html(client.get(f"/patients/{patient_id}"))
    assert one(chart, "#national-id").text() == "•••••6789" and "123-45-6789" not in chart.text()
    revealed = post(client, f"/patients/{patient_id}/reveal/national-id", htmx=True)
    assert one(html(revealed), "[data-testid=revealed]").text() == "123-45-6789"
    assert harness.audit("action = 'patient.reveal' AND staff_id = {}", doctor["id"], columns="patient_id, detail") == [
        {"patient_id": patient_id, "detail": "national_id"}]
    sign_in_as(harness, "receptionist")
    assert post(client, f"/patients/{patient_id}/reveal/national-id", htmx=True).status_code == 403


def test_insurance_needs_its_own_permissions(harness, client):
    sign_in_as(harness, "nurse")  # may edit demographics, not insurance
    patient_id = harness.run(make_patient)
    harness.run(add_policy, patient_id, "Cigna", "C987654321")
    assert client.get(f"/patients/{patient_id}/insurance").status_code == 403
    refused = post(client, f"/patients/{patient_id}/insurance", {"payer_name": ""}, htmx=True)
    assert refused.status_code == 403 and "Cigna" not in refused.text
    timeline = client.get(f"/patients/{patient_id}/timeline").text
    assert "Cigna" not in timeline


def test_insurance_is_added_masked_and_revealed(harness, client):
    sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient)
    bad = post(client, f"/patients/{patient_id}/insurance", {"payer_name": "", "member_number": "!"}, htmx=True)
    assert bad.status_code == 422 and "Enter the insurer" in bad.text
    added = post(client, f"/patients/{patient_id}/insurance",
                 {"payer_name": "Aetna", "plan_name": "PPO", "member_number": "W123456789", "priority": "primary",
                  "subscriber_relation": "self"}, htmx=True)
    policy = html(added).css_first("li[data-insurance-id]")
    assert "Aetna" in policy.text() and "6789" in policy.text() and "W123456789" not in policy.text()
    insurance_id = int(policy.attributes["data-insurance-id"])
    sign_in_as(harness, "billing")
    revealed = post(client, f"/patients/{patient_id}/insurance/{insurance_id}/reveal", htmx=True)
    assert one(html(revealed), "[data-testid=revealed]").text() == "W123456789"


def test_the_timeline_lists_what_happened(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    harness.run(add_chart_entry, "problems", patient_id, description="Asthma")
    events = texts(html(client.get(f"/patients/{patient_id}/timeline", headers={"HX-Request": "true"})), "li")
    assert any("Problem recorded" in event and "Asthma" in event for event in events)
    assert any("Registered" in event for event in events)
    sign_in_as(harness, "receptionist")
    events = texts(html(client.get(f"/patients/{patient_id}/timeline")), "ol.timeline li")
    assert not any("Asthma" in event for event in events)


def test_the_complete_record_exports_as_json_and_a_valid_fhir_bundle(harness, client):
    from fhir.resources.R4B.bundle import Bundle

    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient, national_id="123-45-6789", address_line1="1 Main St", city="Springfield")
    harness.run(add_chart_entry, "allergies", patient_id, substance="Penicillin", severity="mild", reaction="Rash")
    harness.run(add_chart_entry, "medications", patient_id, name="Metformin", dose="500 mg", start_date="2024-01-01")
    harness.run(add_chart_entry, "problems", patient_id, description="Type 2 diabetes", icd10_code="E11.9")
    harness.run(add_chart_entry, "immunizations", patient_id, vaccine="Influenza", given_on="2025-10-01")
    post(client, f"/patients/{patient_id}/vitals", {"systolic": "120", "diastolic": "80", "weight": "150",
                                                    "height": "66"}, htmx=True)
    exported = client.get(f"/patients/{patient_id}/export.json")
    assert exported.headers["content-disposition"].startswith("attachment;")
    record = exported.json()
    assert record["patient"]["national_id"] == "123456789" and record["allergies"][0]["substance"] == "Penicillin"
    fhir = client.get(f"/patients/{patient_id}/export.fhir.json")
    bundle = Bundle.model_validate(json.loads(fhir.text))
    kinds = sorted(entry.resource.get_resource_type() for entry in bundle.entry)
    assert kinds == ["AllergyIntolerance", "Condition", "Immunization", "MedicationStatement", "Observation",
                     "Observation", "Observation", "Observation", "Patient"]
    exports = harness.audit("action = 'patient.export' AND staff_id = {}", doctor["id"], columns="detail")
    assert [row["detail"] for row in exports] == ["json", "fhir"]
    sign_in_as(harness, "nurse")
    assert client.get(f"/patients/{patient_id}/export.json").status_code == 403
    # An administrator may export, but only after breaking the glass (the export is the clinical record),
    # and without the right to reveal identifiers they stay masked.
    sign_in_as(harness, "admin")
    assert client.get(f"/patients/{patient_id}/export.json").status_code == 403
    post(client, f"/patients/{patient_id}/break-glass", {"reason": "Patient's written request for their record"},
         htmx=True)
    record = client.get(f"/patients/{patient_id}/export.json").json()
    assert record["patient"]["national_id"] == "•••••6789" and record["insurance"] == []


def test_the_patient_list_filters_sorts_and_pages(harness, client):
    doctor = sign_in_as(harness, "doctor")
    for n in range(30):
        harness.run(make_patient, first_name=f"P{n:02d}", last_name=f"Family{n:02d}",
                    primary_provider=str(doctor["id"]) if n % 3 == 0 else "")
    first = html(client.get("/patients"))
    assert len(first.css("tr[data-patient-id]")) == 25 and "Page 1 of 2" in first.css_first(".pagination").text()
    mine = html(client.get(f"/patients?provider={doctor['id']}", headers={"HX-Request": "true"}))
    assert len(mine.css("tr[data-patient-id]")) == 10
    newest = html(client.get("/patients?sort=-name"))
    assert newest.css_first("tr[data-patient-id] a").text().startswith("Family29")
    never = html(client.get("/patients?last_visit=never"))
    assert len(never.css("tr[data-patient-id]")) == 25
    for evil in ("name;DROP TABLE patient", "1 OR 1=1"):
        assert client.get("/patients", params={"sort": evil, "provider": evil, "status": evil}).status_code == 200


def test_a_vital_signs_reading_can_be_corrected(harness, client):
    sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    saved = post(client, f"/patients/{patient_id}/vitals", {"systolic": "182", "diastolic": "80", "pulse": "72",
                                                             "temperature": "98.6"}, htmx=True)
    vitals_id = int(html(saved).css_first("tr[data-vitals-id]").attributes["data-vitals-id"])
    form = html(client.get(f"/patients/{patient_id}/vitals/{vitals_id}/edit", headers={"HX-Request": "true"}))
    assert form.css_first("input[name=systolic]").attributes["value"] == "182"
    assert form.css_first("input[name=temperature]").attributes["value"] == "98.6"  # shown in °F again
    bad = post(client, f"/patients/{patient_id}/vitals/{vitals_id}", {"systolic": "70", "diastolic": "80"}, htmx=True)
    assert bad.status_code == 422 and "lower than the systolic" in bad.text
    fixed = post(client, f"/patients/{patient_id}/vitals/{vitals_id}",
                 {"systolic": "128", "diastolic": "80", "pulse": "72", "temperature": "98.6"}, htmx=True)
    assert texts(html(fixed).css_first("tr[data-vitals-id]"), "td")[1] == "128/80"
    assert harness.audit("action = 'clinical.update' AND entity_type = 'vital_signs'", columns="patient_id") == [
        {"patient_id": patient_id}]


def test_a_change_tells_the_chart_to_refresh_its_header_summary_and_timeline(harness, client):
    sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    added = post(client, f"/patients/{patient_id}/chart/allergies", {"substance": "Latex", "severity": "severe"},
                 htmx=True)
    assert added.headers["hx-trigger"] == "chart-changed"
    chart = html(client.get(f"/patients/{patient_id}"))
    listeners = {node.attributes["id"]: node.attributes["hx-get"] for node in chart.css("[hx-trigger]")
                 if node.attributes.get("hx-trigger") == "chart-changed from:body"}
    assert listeners == {"chart-head": f"/patients/{patient_id}/head",
                         "chart-summary": f"/patients/{patient_id}/summary",
                         "timeline": f"/patients/{patient_id}/timeline"}
    for target, url in listeners.items():
        fragment = client.get(url, headers={"HX-Request": "true", "HX-Target": target})
        assert fragment.status_code == 200 and is_fragment(fragment)
        assert html(fragment).css_first(f"#{target}") is not None
    head = html(client.get(f"/patients/{patient_id}/head", headers={"HX-Request": "true"}))
    assert "Latex (severe)" in one(head, "[data-testid=allergy-banner]").text()


def test_the_header_and_summary_alone_send_a_browser_to_the_chart(harness, client):
    sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient)
    for part in ("head", "summary"):
        response = client.get(f"/patients/{patient_id}/{part}", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == f"/patients/{patient_id}"


def test_a_role_without_clinical_access_gets_one_column_without_empty_cards(harness, client):
    sign_in_as(harness, "nurse")  # a nurse sees clinical sections but not insurance
    patient_id = harness.run(make_patient)
    chart = html(client.get(f"/patients/{patient_id}"))
    assert chart.css_first("#insurance") is None
    assert "Insurance" not in [link.text() for link in chart.css(".chart-index a")]


def test_break_the_glass_is_offered_quietly_to_a_receptionist(harness, client):
    sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient)
    chart = html(client.get(f"/patients/{patient_id}"))
    card = one(chart, "#break-glass")
    # Behind a disclosure, with a secondary button: not the most prominent thing on the page.
    assert card.css_first("details form") is not None and card.css_first("details[open]") is None
    assert "danger" not in card.css_first("button[type=submit]").attributes.get("class", "")
    # Archive and merge sit apart from the clinical content, as quiet links.
    assert one(chart, ".record-admin").css_first("button.link-button") is not None
