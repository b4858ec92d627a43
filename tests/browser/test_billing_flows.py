"""Billing in a real browser: a signed visit becomes an invoice, is issued, paid by card, and its
receipt is printed (Chromium's print to PDF, read back with pypdf)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.billing.billing_factories import fee, insured_patient, visit_with_services
from tests.browser.flows import sign_in
from tests.factories import make_staff

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 360, "height": 740}],
                         ids=["desktop", "phone"])
def test_a_signed_visit_is_invoiced_paid_by_card_and_its_receipt_printed(browser_page, live_server, screenshots,
                                                                          viewport):
    biller = live_server.run(make_staff, "billing")
    patient_id, _ = live_server.run(insured_patient, copay=2500, coinsurance_percent=0)
    live_server.run(fee, "99213", 12500)
    live_server.run(visit_with_services, patient_id, ("99213", "Office visit", 1))
    page = browser_page.page
    page.set_viewport_size(viewport)
    sign_in(page, live_server.url, biller["email"], next_path=f"/patients/{patient_id}")
    page.click("#chart-billing a")
    page.wait_for_url(re.compile(r".*/billing$"))
    page.select_option("#f-visit_id", index=1)
    page.click("#new-invoice button[type=submit]")
    page.wait_for_url(re.compile(r".*/billing/invoices/\d+$"))
    assert "Office visit" in page.locator("#invoice-lines").inner_text()

    # An empty payment first: the error shows beside the amount, nothing is recorded.
    page.click("button:has-text('Issue invoice')")
    page.wait_for_selector("#f-amount-pay")
    page.fill("#f-amount-pay", "")
    page.click("#invoice-actions button:has-text('Record payment')")
    page.wait_for_selector("#e-amount-pay")
    page.fill("#f-amount-pay", "25.00")
    page.select_option("#f-method-pay", "card")
    page.click("#invoice-actions button:has-text('Record payment')")
    page.wait_for_url(re.compile(r".*/receipt$"))
    assert page.locator("[data-amount]").inner_text() == "$25.00"
    assert page.locator(".alert-ok[role=status]").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    page.screenshot(path=str(screenshots / f"billing-receipt-{viewport['width']}.png"), full_page=True)

    printed = page.pdf(format="A4")
    text = "".join(part.extract_text() for part in PdfReader(io.BytesIO(printed)).pages)
    assert "Receipt" in text and "$25.00" in text and "Card" in text
    assert "Open PDF" not in text  # print CSS hides the page's controls

    page.goto(f"{live_server.url}/patients/{patient_id}/billing")
    assert page.locator('[data-balance="insurance"]').inner_text() == "$100.00"
    assert page.locator('[data-balance="patient"]').inner_text() == "$0.00"
    # The refused payment's 422 is the only thing the console reports.
    assert [error for error in browser_page.console_errors if "status of 422" not in error] == []
