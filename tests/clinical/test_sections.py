"""The chart's list sections: each accepts an entry and explains what it refuses."""

from __future__ import annotations

from tests.factories import make_patient, post, sign_in_as


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
