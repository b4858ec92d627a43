"""The printable prescription and its PDF: clinic header, prescriber and licence, patient, drug, number."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.factories import make_patient
from tests.helpers import html, one
from tests.prescriptions.rx import draft, prescriptions_url, sign, sign_in_as_prescriber


def signed_prescription(harness, **patient) -> tuple[int, int]:
    sign_in_as_prescriber(harness, name="Amara Okafor", licence="MD-48213")
    harness.sql("DELETE FROM clinic_profile")
    harness.sql("INSERT INTO clinic_profile (singleton, name, address_line1, city, region, postal_code, phone, "
                "email, timezone, currency, appointment_minutes, version, updated_at) VALUES (1, {}, {}, {}, {}, {}, "
                "{}, {}, {}, {}, 20, 1, {})", "Riverside Family Clinic", "48 Mission Street", "San Francisco", "CA",
                "94105", "(415) 555-0100", "", "America/New_York", "USD", "2026-01-01 00:00:00")
    from clinic.practice.services import forget

    forget()
    patient_id = harness.run(make_patient, **({"first_name": "Maria", "last_name": "Garcia",
                                                "date_of_birth": "1980-03-15"} | patient))
    rx_id = draft(harness, patient_id)
    assert sign(harness, patient_id, rx_id).status_code == 200
    return patient_id, rx_id


def test_the_printable_page_has_everything_a_pharmacy_needs(harness, client):
    patient_id, rx_id = signed_prescription(harness)
    response = client.get(f"{prescriptions_url(patient_id)}/{rx_id}/print")
    assert response.status_code == 200
    page = html(response)
    sheet = one(page, "[data-testid=printable-prescription]")
    assert one(sheet, "#rx-clinic-name").text() == "Riverside Family Clinic"
    assert "48 Mission Street" in sheet.text()
    assert one(sheet, "[data-testid=rx-patient]").text() == "Maria Garcia"
    assert one(sheet, "[data-testid=rx-dob]").text() == "03/15/1980"
    assert one(sheet, "[data-testid=rx-drug]").text() == "Amoxicillin 500 mg capsule"
    assert one(sheet, "[data-testid=rx-number]").text() == "RX-000001"
    assert one(sheet, "[data-testid=rx-prescriber]").text() == "Amara Okafor"
    assert one(sheet, "[data-testid=rx-licence]").text() == "MD-48213"
    assert one(sheet, ".rx-signature-line")
    assert "Second course this winter." not in response.text  # the internal note is never printed
    stylesheet = [node.attributes["href"] for node in page.css("link[rel=stylesheet]")]
    assert any("prescriptions-documents" in href for href in stylesheet)
    assert harness.audit("action = 'patient.read' AND detail = 'printable prescription'",
                         columns="patient_id") == [{"patient_id": patient_id}]


def test_the_print_stylesheet_fits_a4_and_letter(harness, client):
    css = client.get("/static/prescriptions-documents.css").text
    assert "@page { size: auto;" in css and "@media print" in css


def test_the_pdf_parses_and_holds_the_patient_and_the_drug(harness, client):
    patient_id, rx_id = signed_prescription(harness, first_name="Zoë", last_name="Ngữ")
    response = client.get(f"{prescriptions_url(patient_id)}/{rx_id}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    # Opened in the browser's PDF viewer (which prints and saves it), under the viewer's own policy.
    assert response.headers["content-disposition"].startswith('inline; filename="prescription-RX-000001.pdf"')
    assert "object-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("Riverside Family Clinic", "Zoë Ngữ", "Amoxicillin 500 mg capsule", "RX-000001",
                     "Amara Okafor", "MD-48213", "three times daily"):
        assert expected in text, expected
    assert "Second course" not in text
    assert harness.audit("action = 'patient.read' AND detail = 'prescription pdf'",
                         columns="patient_id") == [{"patient_id": patient_id}]


def test_a_draft_is_not_printed(harness, client):
    sign_in_as_prescriber(harness)
    patient_id = harness.run(make_patient)
    rx_id = draft(harness, patient_id)
    assert client.get(f"{prescriptions_url(patient_id)}/{rx_id}/print").status_code == 404
    assert client.get(f"{prescriptions_url(patient_id)}/{rx_id}/pdf").status_code == 404


def test_a_discontinued_prescription_prints_as_not_valid(harness, client):
    from tests.factories import post

    patient_id, rx_id = signed_prescription(harness)
    post(client, f"{prescriptions_url(patient_id)}/{rx_id}/discontinue", {"stop_reason": "Allergic reaction."})
    page = html(client.get(f"{prescriptions_url(patient_id)}/{rx_id}/print"))
    assert "Not valid for dispensing: discontinued" in one(page, "[data-testid=rx-void]").text()
    pdf = client.get(f"{prescriptions_url(patient_id)}/{rx_id}/pdf").content
    assert "NOT VALID FOR DISPENSING: discontinued" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
