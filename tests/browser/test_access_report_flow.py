"""A doctor produces a patient's access report in a real browser: from the chart, a wrong period, the page, its PDF."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.browser.flows import sign_in
from tests.factories import make_patient, make_staff

pytestmark = pytest.mark.browser


async def doctor_and_patient() -> tuple[dict, int]:
    doctor = await make_staff("doctor", name="Amara Okafor")
    patient_id = await make_patient(doctor["id"], first_name="Maria", last_name="Garcia", date_of_birth="1980-03-15")
    return doctor, patient_id


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 360, "height": 740}],
                         ids=["desktop", "phone"])
def test_produce_the_access_report_from_the_chart_and_download_its_pdf(browser_page, live_server, screenshots,
                                                                        viewport):
    doctor, patient_id = live_server.run(doctor_and_patient)
    page = browser_page.page
    page.set_viewport_size(viewport)
    sign_in(page, live_server.url, doctor["email"], next_path=f"/patients/{patient_id}")
    page.click("[data-testid=access-report-link]")
    page.wait_for_url(re.compile(r".*/access-report$"))
    assert "?" not in page.url

    # A period that ends before it starts: refused beside the field, the dates kept.
    page.fill("#f-date_from", "2026-05-10")
    page.fill("#f-date_to", "2026-05-01")
    page.click("#access-report-form button:has-text('Show the report')")
    page.wait_for_selector("#e-date_to")
    assert page.input_value("#f-date_from") == "2026-05-10"
    page.screenshot(path=str(screenshots / f"access-report-error-{viewport['width']}.png"), full_page=True)

    page.fill("#f-date_from", "2020-01-01")
    today = page.evaluate("new Date().toISOString().slice(0, 10)")
    page.fill("#f-date_to", today)
    page.click("#access-report-form button:has-text('Show the report')")
    page.wait_for_selector("[data-testid=access-report]")
    rows = page.locator("tr[data-access-id]")
    assert rows.count() >= 2  # registering the patient, the chart read, the form
    text = page.locator("[data-testid=access-report]").inner_text()
    assert "Amara Okafor" in text and "Viewed the chart" in text and "Registered the patient" in text
    assert "was verified" in page.locator("[data-testid=verification]").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    page.screenshot(path=str(screenshots / f"access-report-{viewport['width']}.png"), full_page=True)
    printed = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    paper = " ".join(printed.pages[0].extract_text().split())
    assert "Who accessed your record" in paper and "Download PDF" not in paper  # no buttons on paper

    with page.expect_download() as download:
        page.click(".access-tools button:has-text('Download PDF')")
    body = open(download.value.path(), "rb").read()
    words = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages).split())
    assert "Maria Garcia" in words and "Amara Okafor" in words and "verified" in words
    assert all("422" in error for error in browser_page.console_errors)
