"""A visit from opening to a signed note with addenda, over HTTP, on both backends."""

from __future__ import annotations

from clinic.security import fields
from tests.factories import make_patient, post, sign_in_as
from tests.helpers import html, is_fragment, one, texts
from tests.visits.visit_factories import load_sample_codes, make_appointment, make_visit


def open_from_chart(client, patient_id: int, **values) -> int:
    response = post(client, f"/patients/{patient_id}/visits", {"reason": "Sore throat", **values})
    assert response.status_code == 303, response.text[:500]
    return int(response.headers["location"].rstrip("/").rsplit("/", 1)[-1])


def save(client, patient_id: int, visit_id: int, key: str, text: str, version: int):
    return post(client, f"/patients/{patient_id}/visits/{visit_id}/sections/{key}",
                {f"text_{key}": text, "version": str(version)}, htmx=True)


def test_a_doctor_opens_a_visit_from_the_chart_with_soap_sections(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    chart = html(client.get(f"/patients/{patient_id}"))
    assert one(chart, "#section-visits a.button").attributes["href"] == f"/patients/{patient_id}/visits/new"
    visit_id = open_from_chart(client, patient_id)
    page = html(client.get(f"/patients/{patient_id}/visits/{visit_id}"))
    assert [node.attributes["name"] for node in page.css("form[data-autosave] textarea")] == [
        "text_subjective", "text_objective", "text_assessment", "text_plan"]
    assert one(page, "[data-testid=visit-state]").text(strip=True) == "Draft"
    row = harness.sql("SELECT provider, created_by, state, reason FROM visit")[0]
    assert row == {"provider": doctor["id"], "created_by": doctor["id"], "state": "draft", "reason": "Sore throat"}
    assert harness.audit("action = 'visit.open'", columns="patient_id") == [{"patient_id": patient_id}]
    assert harness.audit("action = 'patient.read' AND detail = {}", f"visit {visit_id}", columns="patient_id") == [
        {"patient_id": patient_id}]


def test_autosave_stores_the_text_encrypted_and_refuses_a_stale_version(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    visit_id = open_from_chart(client, patient_id)
    saved = save(client, patient_id, visit_id, "subjective", "Throat pain for three days.", 1)
    assert saved.status_code == 200 and is_fragment(saved)
    tree = html(saved)
    assert one(tree, "#status-subjective").text().startswith("Saved at")
    assert one(tree, "input#version-subjective").attributes["value"] == "2"
    assert one(tree, "input#version-subjective").attributes["hx-swap-oob"] == "true"
    stored = harness.sql("SELECT id, text FROM visit_note_section WHERE \"key\" = 'subjective'")[0]
    assert "Throat" not in stored["text"] and stored["text"]
    assert harness.sql("SELECT COUNT(*) AS n FROM visit_note_section WHERE text LIKE '%Throat%'")[0]["n"] == 0

    stale = save(client, patient_id, visit_id, "subjective", "Another tab's text", 1)
    assert stale.status_code == 409
    assert one(html(stale), "#status-subjective").text().startswith("Not saved — your text is kept.")
    page = html(client.get(f"/patients/{patient_id}/visits/{visit_id}"))
    assert one(page, "#text-subjective").text() == "Throat pain for three days."


def test_a_plain_form_save_without_javascript_goes_back_to_the_visit(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    visit_id = open_from_chart(client, patient_id)
    response = post(client, f"/patients/{patient_id}/visits/{visit_id}/sections/plan",
                    {"text_plan": "Rest, fluids.", "version": "1"})
    assert response.status_code == 303
    page = html(client.get(f"/patients/{patient_id}/visits/{visit_id}"))
    assert one(page, "#text-plan").text() == "Rest, fluids."
    stale = post(client, f"/patients/{patient_id}/visits/{visit_id}/sections/plan",
                 {"text_plan": "Text typed elsewhere", "version": "1"})
    assert stale.status_code == 409
    tree = html(stale)
    assert one(tree, "#text-plan").text() == "Text typed elsewhere"  # kept, not lost
    assert "Not saved — your text is kept." in one(tree, "#alerts").text()


def test_signing_makes_the_note_read_only_and_addenda_carry_their_author(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    harness.run(load_sample_codes)
    visit_id = open_from_chart(client, patient_id)
    save(client, patient_id, visit_id, "assessment", "Viral pharyngitis.", 1)
    added = post(client, f"/patients/{patient_id}/visits/{visit_id}/diagnoses", {"code": "J029"}, htmx=True)
    assert texts(html(added), "[data-diagnosis-code]")[0].startswith("J02.9")
    post(client, f"/patients/{patient_id}/visits/{visit_id}/services",
         {"service_code": "99213", "service_description": "Office visit, established patient", "quantity": "1"},
         htmx=True)
    post(client, f"/patients/{patient_id}/visits/{visit_id}/details",
         {"reason": "Sore throat", "follow_up": "Return if fever beyond 3 days.", "version": "1"}, htmx=True)

    signed = post(client, f"/patients/{patient_id}/visits/{visit_id}/sign")
    assert signed.status_code == 303
    page = html(client.get(f"/patients/{patient_id}/visits/{visit_id}"))
    assert not page.css("form[data-autosave]") and not page.css("textarea[name^=text_]")
    assert one(page, "[data-section-key=assessment] p").text() == "Viral pharyngitis."
    assert one(page, "[data-testid=visit-state]").text(strip=True) == "Signed"
    row = harness.sql("SELECT state, signed_by, signed_at FROM visit")[0]
    assert row["state"] == "signed" and row["signed_by"] == doctor["id"] and row["signed_at"]

    refused = save(client, patient_id, visit_id, "assessment", "Changed after signing", 2)
    assert refused.status_code == 409 and "signed" in refused.text
    assert post(client, f"/patients/{patient_id}/visits/{visit_id}/diagnoses", {"code": "I10"},
                htmx=True).status_code == 422
    assert harness.sql("SELECT COUNT(*) AS n FROM visit_diagnosis")[0]["n"] == 1

    nurse = sign_in_as(harness, "nurse")
    addendum = post(client, f"/patients/{patient_id}/visits/{visit_id}/addenda",
                    {"addendum": "Rapid strep test came back negative."}, htmx=True)
    assert addendum.status_code == 200
    article = one(html(addendum), "article.addendum")
    assert "Rapid strep test came back negative." in article.text()
    assert nurse["full_name"] in article.text()
    assert harness.sql("SELECT state FROM visit")[0]["state"] == "amended"
    assert harness.sql("SELECT COUNT(*) AS n FROM visit_addendum WHERE text LIKE '%strep%'")[0]["n"] == 0
    assert [row["action"] for row in harness.audit("action LIKE 'visit.%'", columns="action")] == [
        "visit.open", "visit.note_saved", "visit.diagnosis_add", "visit.service_add", "visit.update", "visit.sign",
        "visit.addendum"]


def test_the_chart_lists_visits_with_diagnoses_and_state_and_the_timeline_shows_them(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    harness.run(load_sample_codes)
    visit_id = harness.run(make_visit, patient_id, doctor, reason="Check-up")
    post(client, f"/patients/{patient_id}/visits/{visit_id}/diagnoses", {"code": "Z00.00"}, htmx=True)
    chart = html(client.get(f"/patients/{patient_id}"))
    cells = texts(one(chart, f"#section-visits tr[data-visit-id='{visit_id}']"), "td")
    assert cells[1] == doctor["full_name"].split()[0] and cells[2] == "Check-up" and cells[3] == "Z00.00"
    assert cells[4] == "Draft"
    timeline = client.get(f"/patients/{patient_id}/timeline", headers={"HX-Request": "true"}).text
    assert "Visit with" in timeline


def test_a_visit_opens_from_an_arrived_appointment_once(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    booked = harness.run(make_appointment, patient_id, doctor["id"], status="booked")
    arrived = harness.run(make_appointment, patient_id, doctor["id"], status="arrived", reason="Cough")
    form = html(client.get(f"/patients/{patient_id}/visits/new"))
    assert [o.attributes["value"] for o in form.css("select[name=appointment_id] option")] == ["", str(arrived)]
    refused = post(client, f"/patients/{patient_id}/visits", {"appointment_id": str(booked)}, htmx=True)
    assert refused.status_code == 422 and "once the patient has arrived" in refused.text
    first = open_from_chart(client, patient_id, appointment_id=str(arrived), reason="")
    again = open_from_chart(client, patient_id, appointment_id=str(arrived))
    assert first == again
    assert harness.sql("SELECT appointment, reason FROM visit") == [{"appointment": arrived, "reason": "Cough"}]


def test_another_patients_visit_is_not_found(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    other_id = harness.run(make_patient, first_name="Other")
    visit_id = harness.run(make_visit, other_id, doctor)
    assert client.get(f"/patients/{patient_id}/visits/{visit_id}").status_code == 404
    assert save(client, patient_id, visit_id, "plan", "x", 1).status_code == 404


def test_the_note_text_is_stored_encrypted(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    visit_id = harness.run(make_visit, patient_id, doctor)
    save(client, patient_id, visit_id, "objective", "Tonsils enlarged, exudate.", 1)
    stored = harness.sql("SELECT id, text FROM visit_note_section WHERE \"key\" = 'objective'")[0]
    assert "Tonsils" not in stored["text"]
    from clinic.visits.tables import VisitNoteSection
    assert fields.cipher().open(VisitNoteSection, "text", stored["id"], stored["text"]) == "Tonsils enlarged, exudate."


def test_a_code_typed_in_the_search_box_is_added_without_javascript(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    harness.run(load_sample_codes)
    visit_id = harness.run(make_visit, patient_id, doctor)
    url = f"/patients/{patient_id}/visits/{visit_id}/diagnoses"
    added = post(client, url, {"code_query": "e119"}, htmx=True)
    assert [n.attributes["data-diagnosis-code"] for n in html(added).css("[data-diagnosis-code]")] == ["E11.9"]
    twice = post(client, url, {"code_query": "E11.9"}, htmx=True)
    assert twice.status_code == 422 and "already on this visit" in one(html(twice), "#e-code").text()
    unknown = post(client, url, {"code_query": "not a code"}, htmx=True)
    assert unknown.status_code == 422
    assert one(html(unknown), "#f-code-query").attributes["value"] == "not a code"


def test_a_clinician_opens_the_visit_from_todays_list_once_the_patient_has_arrived(harness, client):
    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    arrived = harness.run(make_appointment, patient_id, doctor["id"], status="arrived", reason="Cough")
    harness.run(make_appointment, patient_id, doctor["id"], status="booked")
    today = html(client.get("/"))
    forms = today.css("tr[data-appointment-id] form")
    assert [f.css_first("input[name=appointment_id]").attributes["value"] for f in forms] == [str(arrived)]
    opened = post(client, forms[0].attributes["action"], {"appointment_id": str(arrived)})
    assert opened.status_code == 303
    page = html(client.get(opened.headers["location"]))
    assert one(page, "#f-reason").attributes["value"] == "Cough"


def test_the_visit_shows_the_patients_allergies(harness, client):
    from tests.factories import add_chart_entry

    doctor = sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    harness.run(add_chart_entry, "allergies", patient_id, substance="Penicillin", severity="severe")
    visit_id = harness.run(make_visit, patient_id, doctor)
    page = html(client.get(f"/patients/{patient_id}/visits/{visit_id}"))
    assert "Penicillin (severe)" in one(page, "[data-testid=allergy-banner]").text()
