"""Prescribing from the chart: a draft, the safety checks, signing, the medication list, stopping, renewing."""

from __future__ import annotations

from tests.factories import add_chart_entry, make_patient, post, sign_in_as
from tests.helpers import html, is_fragment, one, texts
from tests.prescriptions.rx import AMOXICILLIN, draft, prescriptions_url, sign, sign_in_as_prescriber


def test_a_draft_keeps_the_list_spelling_and_its_class(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    rx_id = draft(harness, patient_id)
    row = harness.sql("SELECT drug_name, drug_key, drug_class, status, number, internal_note FROM prescription")[0]
    assert (row["drug_name"], row["drug_key"], row["drug_class"], row["status"], row["number"]) == (
        "Amoxicillin", "amoxicillin", "penicillins", "draft", None)
    assert row["internal_note"].startswith("enc1:")  # the internal note is encrypted at rest
    page = html(client.get(f"{prescriptions_url(patient_id)}/{rx_id}"))
    assert one(page, "[data-testid=prescription-status]").text() == "Draft"
    assert "Second course this winter." in page.text()
    assert one(page, "[data-testid=safety-clear]")


def test_a_drug_not_on_the_list_is_kept_as_free_text_and_marked(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    rx_id = draft(harness, patient_id, drug_name="Grandma's tonic")
    assert harness.sql("SELECT drug_key, drug_class FROM prescription") == [{"drug_key": "", "drug_class": ""}]
    page = html(client.get(f"{prescriptions_url(patient_id)}/{rx_id}"))
    assert "Free text" in one(page, "[data-testid=free-text]").text()


def test_an_invalid_draft_comes_back_with_its_errors_and_input(harness, client):
    sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    response = post(client, prescriptions_url(patient_id), {**AMOXICILLIN, "dose_amount": "lots", "refills": "40"},
                    htmx=True)
    assert response.status_code == 422 and is_fragment(response)
    tree = html(response)
    assert one(tree, "#e-dose_amount").text() == "Enter a number."
    assert "11" in one(tree, "#e-refills").text()
    assert one(tree, "#f-drug_name").attributes["value"] == "amoxicillin"
    assert harness.sql("SELECT COUNT(*) AS n FROM prescription")[0]["n"] == 0


def test_a_nurse_prepares_a_draft_but_cannot_sign_it(harness, client):
    sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    rx_id = draft(harness, patient_id)
    page = html(client.get(f"{prescriptions_url(patient_id)}/{rx_id}"))
    assert page.css_first("form[action$='/sign']") is None
    assert "A prescriber signs this draft." in page.text()
    refused = sign(harness, patient_id, rx_id)
    assert refused.status_code == 403
    assert harness.sql("SELECT status, number FROM prescription") == [{"status": "draft", "number": None}]


def test_signing_numbers_it_and_adds_it_to_the_current_medications(harness, client):
    doctor = sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    rx_id = draft(harness, patient_id)
    response = sign(harness, patient_id, rx_id)
    assert response.status_code == 200, response.text
    tree = html(response)
    assert one(tree, "[data-testid=prescription-number]").text() == "RX-000001"
    assert "Added to the current medications" in response.text
    row = harness.sql("SELECT status, number, signed_by, prescriber_name, prescriber_licence, medication_id "
                      "FROM prescription")[0]
    assert (row["status"], row["number"], row["signed_by"]) == ("active", 1, doctor["id"])
    assert (row["prescriber_name"], row["prescriber_licence"]) == ("Amara Okafor", "MD-48213")
    medication = harness.sql("SELECT id, name, dose, frequency, route, prescriber, status, start_date "
                             "FROM medication")[0]
    assert medication["id"] == row["medication_id"]
    assert (medication["name"], medication["dose"], medication["frequency"], medication["route"]) == (
        "Amoxicillin 500 mg", "1 capsule", "three times daily", "by mouth")
    assert (medication["prescriber"], medication["status"]) == ("Amara Okafor", "active")
    assert medication["start_date"] is not None
    chart = html(client.get(f"/patients/{patient_id}"))
    assert "Amoxicillin 500 mg" in one(chart, "#section-medications").text()
    assert "RX-000001" in one(chart, "#section-prescriptions").text()
    actions = [row["action"] for row in harness.audit("patient_id = {}", patient_id, columns="action")]
    assert "prescription.draft" in actions and "prescription.sign" in actions and "clinical.create" in actions


def test_a_prescriber_without_a_licence_number_cannot_sign(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    rx_id = draft(harness, patient_id)
    response = sign(harness, patient_id, rx_id)
    assert response.status_code == 422
    assert "licence number is not recorded" in response.text
    assert harness.sql("SELECT status FROM prescription") == [{"status": "draft"}]


def test_a_penicillin_allergy_warns_and_refuses_to_sign_without_a_reason(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    harness.run(add_chart_entry, "allergies", patient_id, substance="Penicillin", severity="severe")
    rx_id = draft(harness, patient_id)
    page = html(client.get(f"{prescriptions_url(patient_id)}/{rx_id}"))
    warnings = texts(page, "[data-testid=safety-warnings] li[data-check=allergy]")
    assert warnings == ["Allergy on file: Penicillin (severe). Amoxicillin is one of the penicillins."]
    refused = sign(harness, patient_id, rx_id, reason="ok")
    assert refused.status_code == 422
    assert one(html(refused), "#e-override_reason")
    assert harness.sql("SELECT status FROM prescription") == [{"status": "draft"}]
    assert harness.sql("SELECT COUNT(*) AS n FROM medication")[0]["n"] == 0


def test_an_allergy_override_is_kept_with_its_reason_and_audited(harness, client):
    doctor = sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    harness.run(add_chart_entry, "allergies", patient_id, substance="Penicillin", severity="mild")
    rx_id = draft(harness, patient_id)
    reason = "Rash only as a child; tolerated amoxicillin in 2023."
    response = sign(harness, patient_id, rx_id, reason=reason)
    assert response.status_code == 200
    assert reason in one(html(response), "[data-testid=overrides]").text()
    kept = harness.sql("SELECT safety_check, reason, overridden_by FROM prescription_override")
    assert kept == [{"safety_check": "allergy", "reason": reason, "overridden_by": doctor["id"]}]
    audited = harness.audit("action = 'prescription.override'", columns="patient_id, detail, staff_id")
    assert audited == [{"patient_id": patient_id, "detail": f"allergy: {reason}", "staff_id": doctor["id"]}]


def test_a_sulfa_allergy_warns_for_sulfamethoxazole(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    harness.run(add_chart_entry, "allergies", patient_id, substance="Sulfa drugs")
    rx_id = draft(harness, patient_id, drug_name="Sulfamethoxazole and trimethoprim", strength="800 mg/160 mg",
                  form="tablet", dose_unit="tablet")
    page = html(client.get(f"{prescriptions_url(patient_id)}/{rx_id}"))
    assert "one of the sulfonamides" in one(page, "[data-testid=safety-warnings]").text()


def test_the_same_drug_already_active_warns_and_can_be_overridden(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    harness.run(add_chart_entry, "medications", patient_id, name="Amoxicillin", dose="250 mg")
    rx_id = draft(harness, patient_id)
    page = html(client.get(f"{prescriptions_url(patient_id)}/{rx_id}"))
    assert texts(page, "[data-testid=safety-warnings] li[data-check=duplicate]") == [
        "Amoxicillin 250 mg is already on the current medications."]
    assert sign(harness, patient_id, rx_id).status_code == 422
    assert sign(harness, patient_id, rx_id, reason="Higher dose replaces the old one.").status_code == 200
    assert harness.sql("SELECT safety_check FROM prescription_override") == [{"safety_check": "duplicate"}]


def test_a_dose_above_the_usual_range_warns_and_can_be_overridden(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    rx_id = draft(harness, patient_id, dose_amount="4", dose_unit="capsule")
    page = html(client.get(f"{prescriptions_url(patient_id)}/{rx_id}"))
    assert texts(page, "[data-testid=safety-warnings] li[data-check=dose]") == [
        "A dose of 2000 mg is above the usual adult single dose of Amoxicillin (250–1000 mg)."]
    assert sign(harness, patient_id, rx_id).status_code == 422
    assert sign(harness, patient_id, rx_id, reason="Specialist advice: high-dose regimen.").status_code == 200
    assert harness.sql("SELECT safety_check FROM prescription_override") == [{"safety_check": "dose"}]


def test_discontinuing_needs_a_reason_and_stops_the_medication(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    rx_id = draft(harness, patient_id)
    sign(harness, patient_id, rx_id)
    url = f"{prescriptions_url(patient_id)}/{rx_id}/discontinue"
    refused = post(client, url, {"stop_reason": ""}, htmx=True)
    assert refused.status_code == 422 and one(html(refused), "#e-stop_reason")
    stopped = post(client, url, {"stop_reason": "Diarrhoea; switched to doxycycline."}, htmx=True)
    assert stopped.status_code == 200
    assert harness.sql("SELECT status, stop_reason FROM prescription") == [
        {"status": "discontinued", "stop_reason": "Diarrhoea; switched to doxycycline."}]
    medication = harness.sql("SELECT status, stop_date FROM medication")[0]
    assert medication["status"] == "stopped" and medication["stop_date"] is not None
    assert harness.audit("action = 'prescription.discontinue'", columns="patient_id") == [{"patient_id": patient_id}]
    timeline = html(client.get(f"/patients/{patient_id}/timeline"))
    assert "Prescription discontinued" in timeline.text() and "Prescription signed (RX-000001)" in timeline.text()


def test_renewing_drafts_a_copy_whose_signature_replaces_the_original(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    first = draft(harness, patient_id)
    sign(harness, patient_id, first)
    renewed = post(client, f"{prescriptions_url(patient_id)}/{first}/renew", {})
    assert renewed.status_code == 303
    second = int(renewed.headers["location"].rsplit("/", 1)[-1])
    page = html(client.get(f"{prescriptions_url(patient_id)}/{second}"))
    assert one(page, "[data-testid=safety-clear]")  # its own medication entry is not a duplicate
    assert sign(harness, patient_id, second).status_code == 200
    rows = harness.sql("SELECT id, status, number, renewed_from FROM prescription ORDER BY id")
    assert [(r["status"], r["number"], r["renewed_from"]) for r in rows] == [
        ("renewed", 1, None), ("active", 2, first)]
    statuses = harness.sql("SELECT status FROM medication ORDER BY id")
    assert statuses == [{"status": "stopped"}, {"status": "active"}]


def test_a_signed_prescription_cannot_be_edited(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    rx_id = draft(harness, patient_id)
    sign(harness, patient_id, rx_id)
    response = post(client, f"{prescriptions_url(patient_id)}/{rx_id}", {**AMOXICILLIN, "dose_amount": "2"},
                    htmx=True)
    assert response.status_code == 409
    assert harness.sql("SELECT dose_amount FROM prescription")[0]["dose_amount"] == 1


def test_the_history_lists_every_prescription_as_page_and_fragment(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    draft(harness, patient_id)
    signed = draft(harness, patient_id, drug_name="Ibuprofen", strength="400 mg", form="tablet", dose_unit="tablet",
                   frequency="every 8 hours")
    sign(harness, patient_id, signed)
    page = client.get(prescriptions_url(patient_id))
    rows = html(page).css("tr[data-prescription-id]")
    assert len(rows) == 2 and "RX-000001" in rows[0].text()
    fragment = client.get(prescriptions_url(patient_id), headers={"HX-Request": "true", "HX-Target": "prescriptions"})
    assert is_fragment(fragment) and len(html(fragment).css("tr[data-prescription-id]")) == 2
    assert harness.audit("action = 'patient.read' AND detail = 'prescriptions'", columns="patient_id") == [
        {"patient_id": patient_id}, {"patient_id": patient_id}]


def test_the_drug_search_suggests_as_you_type(harness, client):
    sign_in_as(harness, "nurse")
    response = client.get("/prescriptions/drugs", params={"drug_name": "amox"},
                          headers={"HX-Request": "true", "HX-Target": "drug-options"})
    tree = html(response)
    assert [node.attributes["value"] for node in tree.css("#drug-options option")] == [
        "Amoxicillin", "Amoxicillin and clavulanate"]
    exact = html(client.get("/prescriptions/drugs", params={"drug_name": "Amoxicillin"},
                            headers={"HX-Request": "true", "HX-Target": "drug-options"}))
    assert "500 mg" in [node.attributes["value"] for node in exact.css("#strength-options option")]
    assert "usual adult single dose 250–1000 mg" in one(exact, "#drug-info").text()


def test_a_receptionist_cannot_see_prescriptions(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    rx_id = draft(harness, patient_id)
    sign_in_as(harness, "receptionist")
    assert client.get(prescriptions_url(patient_id), follow_redirects=False).status_code == 403
    assert client.get(f"{prescriptions_url(patient_id)}/{rx_id}", follow_redirects=False).status_code == 403


def test_another_patients_prescription_is_not_found(harness, client):
    sign_in_as_prescriber(harness)
    owner = harness.run(make_patient, first_name="Owner")
    other = harness.run(make_patient, first_name="Other")
    rx_id = draft(harness, owner)
    assert client.get(f"{prescriptions_url(other)}/{rx_id}").status_code == 404
    assert sign(harness, other, rx_id).status_code == 404
    assert harness.sql("SELECT status FROM prescription") == [{"status": "draft"}]


def test_merging_a_duplicate_moves_its_prescriptions_and_documents(harness, client):
    from clinic.audit.services import Actor
    from clinic.documents.services import Upload, attach
    from clinic.patients.merge import merge
    from tests.documents.test_documents import PDF

    sign_in_as_prescriber(harness)
    survivor = harness.run(make_patient, first_name="Maria")
    duplicate = harness.run(make_patient, first_name="María")
    rx_id = draft(harness, duplicate)
    settings = harness.app.state.settings
    document_id = harness.run(attach, duplicate, {"title": "Referral", "category": "referral"}, Upload("r.pdf", PDF),
                              Actor(role="test"), folder=settings.documents_dir, max_bytes=settings.document_max_bytes)
    harness.run(merge, duplicate, survivor, Actor(role="test"))
    assert harness.sql("SELECT patient FROM prescription WHERE id = {}", rx_id) == [{"patient": survivor}]
    assert harness.sql("SELECT patient FROM patient_document WHERE id = {}", document_id) == [{"patient": survivor}]
    download = client.get(f"/patients/{survivor}/documents/{document_id}/download")
    assert download.status_code == 200 and download.content == PDF  # the file is bound to the document, not the patient


def test_prescribing_from_a_visit_keeps_its_id(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    form = html(client.get(f"{prescriptions_url(patient_id)}/new", params={"visit": "42"}))
    assert one(form, "input[name=visit_id]").attributes["value"] == "42"
    draft(harness, patient_id, visit_id="42")
    assert harness.sql("SELECT visit_id FROM prescription") == [{"visit_id": 42}]
    ignored = html(client.get(f"{prescriptions_url(patient_id)}/new", params={"visit": "x<script>"}))
    assert ignored.css_first("input[name=visit_id]") is None


def test_the_complete_record_carries_prescriptions_and_what_documents_there_are(harness, client):
    from clinic.audit.services import Actor
    from clinic.documents.services import Upload, attach
    from tests.documents.test_documents import PDF

    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    harness.run(add_chart_entry, "allergies", patient_id, substance="Penicillin")
    rx_id = draft(harness, patient_id)
    sign(harness, patient_id, rx_id, reason="Tolerated amoxicillin last year.")
    settings = harness.app.state.settings
    harness.run(attach, patient_id, {"title": "Referral", "category": "referral"}, Upload("r.pdf", PDF),
                Actor(role="test"), folder=settings.documents_dir, max_bytes=settings.document_max_bytes)
    record = client.get(f"/patients/{patient_id}/export.json").json()
    [prescription] = record["prescriptions"]
    assert (prescription["number_label"], prescription["drug_name"], prescription["internal_note"]) == (
        "RX-000001", "Amoxicillin", "Second course this winter.")
    assert prescription["overrides"][0]["reason"] == "Tolerated amoxicillin last year."
    assert [(d["title"], d["media_type"]) for d in record["documents"]] == [("Referral", "application/pdf")]
    assert "file_key" not in record["documents"][0] and "storage_name" not in record["documents"][0]
    bundle = client.get(f"/patients/{patient_id}/export.fhir.json").json()
    resources = {entry["resource"]["resourceType"]: entry["resource"] for entry in bundle["entry"]}
    request = resources["MedicationRequest"]
    assert (request["status"], request["intent"], request["identifier"][0]["value"]) == ("active", "order", "RX-000001")
    assert request["medicationCodeableConcept"]["text"] == "Amoxicillin 500 mg capsule"
    assert resources["DocumentReference"]["content"][0]["attachment"]["contentType"] == "application/pdf"


def test_renewing_a_prescription_missing_a_detail_opens_the_form_to_complete_it(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    first = draft(harness, patient_id)
    sign(harness, patient_id, first)
    harness.sql("UPDATE prescription SET dose_amount = NULL, dose_unit = '' WHERE id = {}", first)  # an older one
    renewed = post(client, f"{prescriptions_url(patient_id)}/{first}/renew", {})
    assert renewed.status_code == 303
    assert renewed.headers["location"] == f"{prescriptions_url(patient_id)}/new?renew={first}"
    form = html(client.get(renewed.headers["location"]))
    assert one(form, "input[name=renewed_from]").attributes["value"] == str(first)
    assert one(form, "#f-drug_name").attributes["value"] == "Amoxicillin"
    assert one(form, "#f-internal_note").text() == ""  # colleagues' notes are not copied forward
    second = draft(harness, patient_id, renewed_from=str(first))
    assert harness.sql("SELECT renewed_from FROM prescription WHERE id = {}", second) == [{"renewed_from": first}]


def test_a_renewal_of_another_patients_prescription_is_refused(harness, client):
    sign_in_as_prescriber(harness)
    owner = harness.run(make_patient, first_name="Owner")
    other = harness.run(make_patient, first_name="Other")
    first = draft(harness, owner)
    sign(harness, owner, first)
    assert client.get(f"{prescriptions_url(other)}/new", params={"renew": str(first)}).status_code == 404
    refused = post(client, prescriptions_url(other), {**AMOXICILLIN, "renewed_from": str(first)}, htmx=True)
    assert refused.status_code == 409
    assert harness.sql("SELECT COUNT(*) AS n FROM prescription WHERE patient = {}", other)[0]["n"] == 0


def test_stopping_the_medication_on_the_chart_discontinues_its_prescription(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    rx_id = draft(harness, patient_id)
    sign(harness, patient_id, rx_id)
    medication_id = harness.sql("SELECT medication_id FROM prescription")[0]["medication_id"]
    stopped = post(client, f"/patients/{patient_id}/chart/medications/{medication_id}/status", {"status": "stopped"},
                   htmx=True)
    assert stopped.status_code == 200
    assert harness.sql("SELECT status, stop_reason FROM prescription") == [
        {"status": "discontinued", "stop_reason": "Stopped on the medication list"}]
    assert harness.audit("action = 'prescription.discontinue'", columns="patient_id, entity_id") == [
        {"patient_id": patient_id, "entity_id": str(rx_id)}]
    printable = html(client.get(f"{prescriptions_url(patient_id)}/{rx_id}/print"))
    assert one(printable, "[data-testid=rx-void]")


def test_a_doctor_signs_the_draft_a_nurse_prepared(harness, client):
    nurse = sign_in_as(harness, "nurse", name="Nina Nurse")
    patient_id = harness.run(make_patient)
    rx_id = draft(harness, patient_id)
    doctor = sign_in_as_prescriber(harness)
    assert sign(harness, patient_id, rx_id).status_code == 200
    row = harness.sql("SELECT prepared_by, signed_by, status FROM prescription")[0]
    assert (row["prepared_by"], row["signed_by"], row["status"]) == (nurse["id"], doctor["id"], "active")
    page = html(client.get(f"{prescriptions_url(patient_id)}/{rx_id}"))
    assert "by Nina Nurse" in page.text() and "by Amara Okafor" in page.text()
    sign_in_as(harness, "nurse")
    for action in ("discontinue", "renew"):
        assert post(client, f"{prescriptions_url(patient_id)}/{rx_id}/{action}", {"stop_reason": "x"}).status_code == 403
