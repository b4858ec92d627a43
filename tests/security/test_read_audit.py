"""Every response that shows patients' identifying data is audited once, naming them.

For a list, the ids on the page; for a search, the ids returned, never what
was typed; for the edit form, the merge preview, the day's appointments and
possible duplicates, the patients they show.
"""

from __future__ import annotations

import datetime as dt

from clinic.scheduling.tables import Appointment
from tests.factories import make_patient, make_staff, post, sign_in_as
from tests.helpers import html


def reads(harness, staff_id: int) -> list[dict]:
    return harness.audit("action = 'patient.read' AND staff_id = {}", staff_id,
                         columns="detail, patient_id, patients")


def ids_in(entry: dict) -> set[int]:
    return {int(i) for i in entry["patients"].split(",") if i} or {entry["patient_id"]}


def test_the_patient_list_names_the_patients_on_the_page(harness, client):
    nurse = sign_in_as(harness, "nurse")
    shown = {harness.run(make_patient, first_name=f"Ann{n}", last_name=f"Lee{n}") for n in range(3)}
    page = html(client.get("/patients"))
    assert {int(row.attributes["data-patient-id"]) for row in page.css("tr[data-patient-id]")} == shown
    entries = reads(harness, nurse["id"])
    assert len(entries) == 1 and entries[0]["detail"] == "patient list" and ids_in(entries[0]) == shown


def test_a_search_names_the_patients_found_and_never_the_words_typed(harness, client):
    receptionist = sign_in_as(harness, "receptionist")
    found = harness.run(make_patient, first_name="Hannah", last_name="Oduya")
    harness.run(make_patient, first_name="Maria", last_name="Garcia")
    post(client, "/patients/search", {"q": "oduya han"}, htmx=True)
    entries = reads(harness, receptionist["id"])
    assert len(entries) == 1 and ids_in(entries[0]) == {found}
    typed = harness.audit("staff_id = {}", receptionist["id"], columns="detail, entity_id, patients")
    assert not any("oduya" in " ".join(str(v) for v in row.values()).lower() for row in typed)


def test_a_search_that_finds_nobody_writes_nothing(harness, client):
    receptionist = sign_in_as(harness, "receptionist")
    post(client, "/patients/search", {"q": "nobody at all"}, htmx=True)
    assert reads(harness, receptionist["id"]) == []


def test_opening_the_edit_form_is_a_read_of_that_patient(harness, client):
    nurse = sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    assert client.get(f"/patients/{patient_id}/edit").status_code == 200
    assert reads(harness, nurse["id"]) == [{"detail": "edit form", "patient_id": patient_id, "patients": ""}]


def test_the_merge_preview_names_the_record_it_shows(harness, client):
    sign_in_as(harness, "receptionist")
    duplicate = harness.run(make_patient, first_name="Jon")
    survivor = harness.run(make_patient, first_name="John")
    mrn = harness.sql("SELECT mrn FROM patient WHERE id = {}", survivor)[0]["mrn"]
    post(client, f"/patients/{duplicate}/merge", {"survivor_mrn": mrn}, htmx=True)
    previews = harness.audit("action = 'patient.read' AND detail = 'merge preview'", columns="patient_id")
    assert previews == [{"patient_id": survivor}]


def test_the_days_appointments_name_the_patients_on_them(harness, client):
    doctor = harness.run(make_staff, "doctor")
    patient_id = harness.run(make_patient)
    soon = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    harness.run(Appointment.insert(Appointment(patient=patient_id, provider=doctor["id"], starts_at=soon,
                                               ends_at=soon + dt.timedelta(minutes=20), status="booked")).run)
    receptionist = sign_in_as(harness, "receptionist")
    client.get("/")
    entries = reads(harness, receptionist["id"])
    assert [entry["detail"] for entry in entries] == ["today"] and ids_in(entries[0]) == {patient_id}


def test_possible_duplicates_shown_at_registration_are_audited(harness, client):
    receptionist = sign_in_as(harness, "receptionist")
    existing = harness.run(make_patient, first_name="Maria", last_name="Garcia", date_of_birth="1980-03-15")
    response = post(client, "/patients/new", {"first_name": "Maria", "last_name": "Garcia",
                                              "date_of_birth": "1980-03-15", "sex": "female"}, htmx=True)
    assert response.status_code == 409
    entries = reads(harness, receptionist["id"])
    assert [entry["detail"] for entry in entries] == ["possible duplicates"] and ids_in(entries[0]) == {existing}


def test_who_saw_a_patient_on_a_list_is_one_indexed_query(harness, client):
    nurse = sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    client.get("/patients")
    rows = harness.sql("SELECT e.staff_id, e.detail FROM audit_event_patient p JOIN audit_event e ON e.id = p.event_id "
                       "WHERE p.patient_id = {} AND e.id > {}", patient_id, harness.audit_start)
    assert rows == [{"staff_id": nurse["id"], "detail": "patient list"}]


def test_the_list_of_patients_shown_is_covered_by_the_chain(harness, client):
    from clinic.audit.services import compute_mac

    sign_in_as(harness, "nurse")
    for n in range(2):
        harness.run(make_patient, first_name=f"Ann{n}")
    client.get("/patients")
    entry = harness.audit("detail = 'patient list'")[-1]
    assert compute_mac(entry, entry["prev_mac"]) == entry["mac"]
    # The same entry claiming another set of patients no longer matches its MAC.
    assert compute_mac({**entry, "patients": "1"}, entry["prev_mac"]) != entry["mac"]
