"""Exporting the complete record (JSON and FHIR), for those who may."""

from __future__ import annotations

import json

from tests.factories import add_chart_entry, make_patient, post, sign_in_as


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
