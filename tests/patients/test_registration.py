"""Registering a patient: what is stored, inline errors with the input kept, possible duplicates, MRNs."""

from __future__ import annotations

import datetime as dt

from clinic.patients.identifiers import is_valid_mrn
from tests.factories import make_patient, post, sign_in_as
from tests.helpers import html, is_fragment, one

FORM = {"first_name": "José", "last_name": "Núñez-O'Brien", "preferred_name": "Pepe", "date_of_birth": "1975-07-04",
        "sex": "male", "phone": "(415) 555-0142", "phone_alt": "", "email": "Jose.Nunez@Example.org",
        "address_line1": "12 Harbor Road", "city": "Springfield", "region": "IL", "postal_code": "62704",
        "preferred_language": "Spanish", "emergency_contact_name": "Ana Núñez", "emergency_contact_relation": "spouse",
        "emergency_contact_phone": "415-555-0199", "front_desk_notes": "Prefers morning appointments.",
        "national_id": "123-45-6789", "primary_provider": ""}


def test_a_new_patient_is_stored_normalised_encrypted_and_audited(harness, client):
    clerk = sign_in_as(harness, "receptionist")
    response = post(client, "/patients/new", FORM)
    assert response.status_code == 303
    patient_id = int(response.headers["location"].rsplit("/", 1)[1])
    row = harness.sql("SELECT * FROM patient WHERE id = {}", patient_id)[0]
    assert is_valid_mrn(row["mrn"])
    assert row["phone"] == "+14155550142" and row["emergency_contact_phone"] == "+14155550199"
    assert row["email"] == "jose.nunez@example.org"
    assert (row["last_name_key"], row["first_name_key"], row["preferred_name_key"]) == ("nunez obrien", "jose", "pepe")
    assert row["phone_key"] == "2410555514"
    assert row["national_id"].startswith("enc1:") and "6789" not in row["national_id"]
    assert row["created_by"] == clerk["id"] and row["version"] == 1
    assert harness.audit("action = 'patient.create' AND patient_id = {}", patient_id)
    chart = html(client.get(f"/patients/{patient_id}"))
    assert one(chart, "h1").text().startswith("Núñez-O'Brien, José")
    assert one(chart, "#national-id").text() == "•••••6789"


def test_the_form_explains_every_problem_and_keeps_what_was_typed(harness, client):
    sign_in_as(harness, "receptionist")
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    bad = {**FORM, "first_name": "", "date_of_birth": tomorrow, "phone": "12", "email": "not-an-email",
           "national_id": "000-12-3456", "sex": "robot"}
    response = post(client, "/patients/new", bad, htmx=True)
    assert response.status_code == 422 and is_fragment(response)
    tree = html(response)
    assert tree.css_first("#e-first_name").text() == "Enter the patient's first (given) name."
    assert tree.css_first("#e-date_of_birth").text() == "This date cannot be in the future."
    assert tree.css_first("#e-phone").text().startswith("Enter a phone number") or "not a valid" in tree.css_first("#e-phone").text()
    assert tree.css_first("#e-email").text().startswith("Enter a valid email address")
    assert tree.css_first("#e-national_id").text() == "This is not a valid Social Security number."
    assert tree.css_first("#e-sex").text() == "Choose one."
    assert tree.css_first("input[name=last_name]").attributes["value"] == FORM["last_name"]
    assert tree.css_first("input[name=email]").attributes["value"] == "not-an-email"
    assert tree.css_first("textarea[name=front_desk_notes]").text() == FORM["front_desk_notes"]
    assert harness.sql("SELECT COUNT(*) AS n FROM patient")[0]["n"] == 0


def test_dates_typed_in_the_clinics_order_are_understood(harness, client):
    sign_in_as(harness, "receptionist")
    response = post(client, "/patients/new", {**FORM, "date_of_birth": "07/04/1975"})
    assert response.status_code == 303
    assert harness.sql("SELECT date_of_birth FROM patient")[0]["date_of_birth"] == dt.date(1975, 7, 4)
    impossible = post(client, "/patients/new", {**FORM, "date_of_birth": "02/30/1975"}, htmx=True)
    assert "Enter a real date as MM/DD/YYYY." in html(impossible).css_first("#e-date_of_birth").text()


def test_possible_duplicates_are_shown_before_saving(harness, client):
    sign_in_as(harness, "receptionist")
    existing = harness.run(make_patient, first_name="Jose", last_name="Nunez", date_of_birth="1975-07-04",
                           phone="(212) 555-0111")
    first = post(client, "/patients/new", {**FORM, "phone": "(415) 555-0150"}, htmx=True)
    assert first.status_code == 409
    listed = html(first).css("[data-testid=duplicates] li[data-patient-id]")
    assert [int(item.attributes["data-patient-id"]) for item in listed] == [existing]
    assert "same date of birth, similar name" in listed[0].text()
    assert html(first).css_first("input[name=first_name]").attributes["value"] == "José"
    assert harness.sql("SELECT COUNT(*) AS n FROM patient")[0]["n"] == 1
    anyway = post(client, "/patients/new", {**FORM, "phone": "(415) 555-0150", "accept_duplicates": "1"})
    assert anyway.status_code == 303
    assert harness.sql("SELECT COUNT(*) AS n FROM patient")[0]["n"] == 2


def test_the_same_phone_or_email_is_a_possible_duplicate(harness, client):
    sign_in_as(harness, "receptionist")
    harness.run(make_patient, first_name="Someone", last_name="Else", date_of_birth="1990-01-01",
                phone="(415) 555-0142")
    response = post(client, "/patients/new", FORM, htmx=True)
    assert response.status_code == 409 and "same phone" in response.text
    harness.run(make_patient, first_name="Third", last_name="Person", date_of_birth="1991-01-01",
                phone="(617) 555-0100", email="jose.nunez@example.org")
    response = post(client, "/patients/new", {**FORM, "phone": "(503) 555-0177"}, htmx=True)
    assert response.status_code == 409 and "same email" in response.text


def test_mrns_are_unique_and_check_themselves(harness):
    ids = [harness.run(make_patient, first_name=f"P{n}") for n in range(30)]
    mrns = [row["mrn"] for row in harness.sql("SELECT mrn FROM patient")]
    assert len(set(mrns)) == len(ids) and all(is_valid_mrn(mrn) for mrn in mrns)
    assert not is_valid_mrn(mrns[0][:-1] + str((int(mrns[0][-1]) + 1) % 10))

