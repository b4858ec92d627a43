"""From arrival to print in a real browser, on the seeded clinic: the patient has arrived, the doctor
opens the visit from Today, types the note, signs it, prescribes from the visit, signs the
prescription and prints it to PDF."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.browser.flows import sign_in
from tests.browser.seeded_clinic import reseed

pytestmark = pytest.mark.browser


def test_an_arrived_patient_from_visit_to_printed_prescription(browser_page, live_server, screenshots):
    clinic = live_server.run(reseed, live_server.app)
    doctor = clinic.walkers["doctor"]
    abbott = clinic.patients["abbott"]
    page = browser_page.page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())  # "Sign this note?"
    sign_in(page, live_server.url, doctor["email"], next_path="/")

    row = page.locator("tr[data-appointment-id]").filter(has_text="Sore throat").filter(
        has=page.locator(".badge-arrived"))
    row.locator("button:has-text('Open visit')").click()
    page.wait_for_url(re.compile(rf".*/patients/{abbott}/visits/\d+$"))
    visit_url = page.url
    assert page.locator("[data-testid=visit-state]").inner_text() == "Draft"

    page.fill("#text-subjective", "Sore throat for three days, no fever.")
    page.wait_for_selector("#status-subjective.saved:has-text('Saved at')", timeout=10_000)
    page.fill("#text-plan", "Symptomatic treatment; antihistamine at night.")
    page.wait_for_selector("#status-plan.saved:has-text('Saved at')", timeout=10_000)
    page.click("form[action$='/sign'] button")
    page.wait_for_selector("[data-testid=signature]")
    assert page.locator("[data-testid=visit-state]").inner_text() == "Signed"

    page.click("[data-testid=prescribe]")
    page.wait_for_url(re.compile(r".*/prescriptions/new\?visit=\d+$"))
    page.fill("#f-drug_name", "Cetirizine")
    page.wait_for_selector("#strength-options option[value='10 mg']", state="attached")
    page.fill("#f-strength", "10 mg")
    page.fill("#f-form", "tablet")
    page.fill("#f-dose_amount", "1")
    page.select_option("#f-dose_unit", "tablet")
    page.select_option("#f-route", "by mouth")
    page.fill("#f-frequency", "once daily at night")
    page.fill("#f-duration", "7 days")
    page.fill("#f-quantity", "7 tablets")
    page.fill("#f-instructions", "May cause drowsiness.")
    page.click("#prescription-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/prescriptions/\d+$"))
    assert page.locator("[data-testid=safety-warnings]").count() == 0
    page.click("#prescription button:has-text('Sign')")
    page.wait_for_selector("[data-testid=prescription-number]")
    number = page.locator("[data-testid=prescription-number]").inner_text()
    assert re.fullmatch(r"RX-\d{6}", number)
    linked = live_server.run(prescription_visit, number)
    assert visit_url.endswith(f"/visits/{linked}")  # prescribed from this visit, and linked to it

    page.click("a:has-text('Printable prescription')")
    page.wait_for_selector("[data-testid=printable-prescription]")
    pdf = page.pdf(format="A4", print_background=True)
    (screenshots / "visit-to-print-A4.pdf").write_bytes(pdf)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for expected in ("Grace Abbott", "Cetirizine 10 mg tablet", number, "MD-48213"):
        assert expected in text, expected
    assert browser_page.console_errors == []


async def prescription_visit(number: str) -> int | None:
    from clinic.prescriptions.tables import Prescription

    row = await Prescription.select(Prescription.visit_id).where(
        Prescription.number == int(number.removeprefix("RX-"))).first()
    return row["visit_id"] if row else None
