"""Prescribing in a real browser: from the chart, the allergy warning, an override, signing, printing to PDF."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.browser.flows import sign_in
from tests.factories import add_chart_entry, make_patient, make_staff

pytestmark = pytest.mark.browser


async def prescriber_and_patient() -> tuple[dict, int]:
    from clinic.security.tables import Staff

    doctor = await make_staff("doctor", name="Amara Okafor")
    await Staff.update({Staff.licence_number: "MD-48213"}).where(Staff.id == doctor["id"])
    patient_id = await make_patient(doctor["id"], first_name="Maria", last_name="Garcia", date_of_birth="1980-03-15")
    await add_chart_entry("allergies", patient_id, substance="Penicillin", severity="severe")
    return doctor, patient_id


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 360, "height": 740}],
                         ids=["desktop", "phone"])
def test_prescribe_see_the_allergy_override_sign_and_print_to_pdf(browser_page, live_server, screenshots, viewport):
    doctor, patient_id = live_server.run(prescriber_and_patient)
    page = browser_page.page
    page.set_viewport_size(viewport)
    sign_in(page, live_server.url, doctor["email"], next_path=f"/patients/{patient_id}")
    page.click("#section-prescriptions a:has-text('New prescription')")
    page.wait_for_url(re.compile(r".*/prescriptions/new$"))

    # Search as you type: the list suggests, and knows the strengths of the drug chosen.
    page.locator("#f-drug_name").press_sequentially("amox", delay=30)
    page.wait_for_selector("#drug-options option[value='Amoxicillin and clavulanate']", state="attached")
    page.fill("#f-drug_name", "Amoxicillin")
    page.wait_for_selector("#strength-options option[value='500 mg']", state="attached")
    assert "Penicillins" in page.locator("#drug-info").inner_text()
    page.fill("#f-strength", "500 mg")
    page.fill("#f-form", "capsule")
    page.fill("#f-dose_amount", "1")
    page.select_option("#f-dose_unit", "capsule")
    page.select_option("#f-route", "by mouth")
    page.fill("#f-frequency", "three times daily")
    page.fill("#f-duration", "7 days")
    page.fill("#f-quantity", "21 capsules")
    page.fill("#f-instructions", "Take with food until finished.")
    page.click("#prescription-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/prescriptions/\d+$"))
    assert page.locator("[role=status]").filter(has_text="Draft prescription saved.").count() == 1

    warning = page.locator("[data-testid=safety-warnings]")
    assert "Allergy on file: Penicillin (severe). Amoxicillin is one of the penicillins." in warning.inner_text()
    page.click("#prescription button:has-text('Sign despite the warnings')")
    page.wait_for_selector("#e-override_reason")  # no reason, no signature
    assert page.locator("[data-testid=prescription-status]").inner_text() == "Draft"
    page.fill("#f-override_reason", "Childhood rash only; tolerated amoxicillin in 2023.")
    page.click("#prescription button:has-text('Sign despite the warnings')")
    page.wait_for_selector("[data-testid=prescription-number]")
    assert page.locator("[data-testid=prescription-number]").inner_text() == "RX-000001"
    assert "Childhood rash only" in page.locator("[data-testid=overrides]").inner_text()
    page.screenshot(path=str(screenshots / f"prescription-{viewport['width']}.png"), full_page=True)

    page.click("a:has-text('Printable prescription')")
    page.wait_for_selector("[data-testid=printable-prescription]")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    page.screenshot(path=str(screenshots / f"printable-{viewport['width']}.png"), full_page=True)
    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper, print_background=True)
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1, paper  # one sheet on either paper
        text = reader.pages[0].extract_text()
        for expected in ("Maria Garcia", "Amoxicillin 500 mg capsule", "RX-000001", "Amara Okafor", "MD-48213"):
            assert expected in text, (paper, expected)
        assert "Print" not in text.split("Prescription")[0]  # no buttons or navigation on paper
        (screenshots / f"prescription-{paper}-{viewport['width']}.pdf").write_bytes(pdf)

    page.goto(f"{live_server.url}/patients/{patient_id}")
    assert "Amoxicillin 500 mg" in page.locator("#section-medications").inner_text()
    # The one refusal the flow asked for (signing without a reason) is the only failed request.
    assert all("422" in error for error in browser_page.console_errors)
    assert len(browser_page.console_errors) <= 1


def test_attach_a_scan_and_see_its_thumbnail(browser_page, live_server, tmp_path):
    from PIL import Image

    doctor, patient_id = live_server.run(prescriber_and_patient)
    scan = tmp_path / "referral.pdf"  # named .pdf, but a PNG: kept as the PNG it is
    Image.new("RGB", (300, 200), (30, 90, 200)).save(scan, "PNG")
    page = browser_page.page
    sign_in(page, live_server.url, doctor["email"], next_path=f"/patients/{patient_id}")
    page.click("#section-documents summary")
    page.fill("#f-title-document", "Cardiology referral")
    page.select_option("#f-category-document", "referral")
    page.set_input_files("#f-file-document", str(scan))
    page.click("#section-documents form button:has-text('Attach')")
    page.wait_for_selector("#section-documents li[data-document-id] img.document-thumb")
    assert "PNG image" in page.locator("#section-documents li[data-document-id]").inner_text()
    assert page.locator("#alerts [role=status]").filter(has_text="Document attached.").count() == 1
    assert browser_page.console_errors == []


def test_an_attached_pdf_opens_in_the_browsers_viewer(browser_page, live_server, tmp_path, screenshots):
    """Opened in a new tab, shown by the browser's viewer: not saved as a download (which closes the tab)."""
    from fpdf import FPDF

    doctor, patient_id = live_server.run(prescriber_and_patient)
    letter = FPDF()
    letter.add_page()
    letter.set_font("helvetica", size=20)
    letter.cell(0, 20, "Referral letter for Maria Garcia")
    path = tmp_path / "letter.pdf"
    letter.output(str(path))
    page = browser_page.page
    sign_in(page, live_server.url, doctor["email"], next_path=f"/patients/{patient_id}")
    page.click("#section-documents summary")
    page.fill("#f-title-document", "Referral letter")
    page.select_option("#f-category-document", "referral")
    page.set_input_files("#f-file-document", str(path))
    page.click("#section-documents form button:has-text('Attach')")
    opener = page.locator("#section-documents a[target=_blank]").filter(has_text="Referral letter")
    opener.wait_for()
    with page.context.expect_page() as opened:
        opener.click()
    viewer = opened.value
    viewer.wait_for_load_state("load", timeout=15_000)
    assert viewer.evaluate("document.contentType") == "application/pdf"
    viewer.wait_for_timeout(1000)  # the viewer draws the page
    viewer.screenshot(path=str(screenshots / "document-pdf-viewer.png"))
    viewer.close()
    assert browser_page.console_errors == []
