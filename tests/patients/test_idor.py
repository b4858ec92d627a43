"""Every patient route, with another patient's ids and ids that do not exist, as every role.

The answer is always 403 (the role may not) or 404 (no such thing for this
patient), and nothing in the database changes.
"""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute

from clinic.clinical.sections import SECTIONS
from clinic.security.permissions import MATRIX, Role
from tests.factories import add_chart_entry, add_policy, csrf_token, make_patient, make_staff, post, sign_in_as

MISSING = 987654
PLAUSIBLE_FORM = {"status": "inactive", "substance": "Changed", "name": "Changed", "description": "Changed",
                  "vaccine": "Changed", "given_on": "2024-01-01", "kind": "medical", "reason": "Reading the chart now",
                  "survivor_mrn": "1000009", "confirm": "1", "payer_name": "X", "member_number": "ABC123",
                  "first_name": "Changed", "last_name": "Changed", "date_of_birth": "1980-01-01", "sex": "male",
                  "version": "1", "pulse": "70"}
DATA_TABLES = ("patient", "patient_insurance", "allergy", "medication", "problem", "history_item", "immunization",
               "vital_signs", "appointment", "break_glass_grant", "prescription", "prescription_override",
               "patient_document")


def prescription_and_document(harness, patient_id: int) -> tuple[int, int]:
    """A signed prescription and an attached document of ``patient_id``."""
    from clinic.audit.services import Actor
    from clinic.documents.services import Upload, attach
    from clinic.prescriptions.services import save_draft, sign
    from tests.documents.test_documents import PDF
    from tests.factories import locale
    from tests.prescriptions.rx import AMOXICILLIN

    prescriber = harness.run(make_staff, "doctor")
    harness.sql("UPDATE staff SET licence_number = 'MD-1' WHERE id = {}", prescriber["id"])
    actor = Actor(staff_id=prescriber["id"], role="doctor")
    prescription_id = harness.run(save_draft, patient_id, dict(AMOXICILLIN), actor)
    harness.run(sign, patient_id, prescription_id, actor, override_reason="", today=locale().today())
    settings = harness.app.state.settings
    document_id = harness.run(attach, patient_id, {"title": "Referral", "category": "referral"},
                              Upload("r.pdf", PDF), actor, folder=settings.documents_dir,
                              max_bytes=settings.document_max_bytes)
    return prescription_id, document_id


def patient_routes(app):
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith("/patients/{patient_id"):
            for handler in route.route_handlers:
                for method in handler.http_methods - {"HEAD", "OPTIONS"}:
                    yield route.path, method, handler


def snapshot(harness) -> dict:
    return {table: harness.sql(f"SELECT * FROM {table} ORDER BY id") for table in DATA_TABLES}


def urls_for(path: str, owner_ids: dict, patient_id: int) -> list[str]:
    """Concrete URLs: sub-resource ids belong to patient A, the patient id is someone else."""
    urls = []
    keys = [None]
    if "{section_key" in path:
        keys = list(SECTIONS)
    for key in keys:
        url = path.replace("{patient_id:int}", str(patient_id))
        if key:
            url = url.replace("{section_key:str}", key)
            url = url.replace("{entry_id:int}", str(owner_ids[key]))
        url = url.replace("{insurance_id:int}", str(owner_ids["insurance"]))
        url = url.replace("{vitals_id:int}", str(owner_ids["vitals"]))
        url = url.replace("{prescription_id:int}", str(owner_ids["prescription"]))
        url = url.replace("{document_id:int}", str(owner_ids["document"]))
        if patient_id == MISSING:
            # Visits', billing's and claims' own ids: under a patient that does not exist, any id
            # must be refused. (Their other-patient cases are in tests/visits and tests/billing.)
            url = re.sub(r"\{[a-z_]+:int\}", "1", url)
            url = re.sub(r"\{[a-z_]+:str\}", "x", url)
        assert not re.search(r"\{", url), url
        urls.append(url)
    return urls


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_other_patients_ids_and_missing_ids_change_nothing(harness, client, role):
    sign_in_as(harness, "doctor")
    owner = harness.run(make_patient, first_name="Owner")
    intruder_target = harness.run(make_patient, first_name="Other")
    owner_ids = {key: harness.run(add_chart_entry, key, owner, **values) for key, values in {
        "allergies": {"substance": "Latex"}, "medications": {"name": "Metformin"},
        "problems": {"description": "Asthma"}, "history": {"kind": "social", "description": "Non-smoker"},
        "immunizations": {"vaccine": "Influenza", "given_on": "2025-01-01"}}.items()}
    harness.run(add_policy, owner, "Aetna", "W123")
    post(client, f"/patients/{owner}/vitals", {"pulse": "70"}, htmx=True)
    owner_ids["insurance"] = harness.sql("SELECT id FROM patient_insurance")[0]["id"]
    owner_ids["vitals"] = harness.sql("SELECT id FROM vital_signs")[0]["id"]
    owner_ids["prescription"], owner_ids["document"] = prescription_and_document(harness, owner)

    sign_in_as(harness, role)
    token = csrf_token(client)
    before = snapshot(harness)
    checked = 0
    for path, method, handler in patient_routes(harness.app):
        has_sub_ids = any(part in path for part in ("{entry_id", "{insurance_id", "{vitals_id", "{prescription_id",
                                                    "{document_id"))
        targets = [MISSING] + ([intruder_target] if has_sub_ids else [])
        for patient_id in targets:
            for url in urls_for(path, owner_ids, patient_id):
                response = client.request(method, url, data=PLAUSIBLE_FORM if method == "POST" else None,
                                          headers={"X-CSRFToken": token}, follow_redirects=False)
                allowed = handler.opt.get("permission") in MATRIX[Role(role)]
                # A role that may not read clinical information is refused an existing patient's clinical route.
                clinical_refused = (handler.opt.get("patient") == "clinical" and patient_id != MISSING
                                    and "clinical.read" not in MATRIX[Role(role)])
                expected = {404} if allowed and not clinical_refused else {403}
                assert response.status_code in expected, (role, method, url, response.status_code)
                assert "Owner" not in response.text and "Latex" not in response.text
                checked += 1
    assert checked > 40
    assert snapshot(harness) == before
