"""Reports in a real browser, at desktop and phone widths: the dashboard, the financial report
filtered by provider (and a period that ends before it starts), and the day sheet balancing."""

from __future__ import annotations

import re

import pytest

from tests.browser.flows import sign_in
from tests.factories import make_staff
from tests.reports.report_factories import DAY_ONE, DAY_TWO, build_money_clinic

pytestmark = pytest.mark.browser


def fits(page, viewport) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 360, "height": 740}],
                         ids=["desktop", "phone"])
def test_the_dashboard_and_two_reports_read_at_both_widths(browser_page, live_server, screenshots, viewport):
    clinic = build_money_clinic(live_server)
    doctor = live_server.run(make_staff, "doctor")  # administrators must set up two-step sign-in first
    page = browser_page.page
    page.set_viewport_size(viewport)
    sign_in(page, live_server.url, doctor["email"], next_path="/reports")
    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.locator('[data-figure="insurance-pending"]').inner_text() == "$30.00"
    assert fits(page, viewport)
    page.screenshot(path=str(screenshots / f"reports-dashboard-{viewport['width']}.png"), full_page=True)

    page.click(".report-menu a:has-text('Financial')")
    page.wait_for_url(re.compile(r".*/reports/financial$"))
    page.fill("#f-from", DAY_TWO.isoformat())
    page.fill("#f-to", DAY_ONE.isoformat())
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#e-to")
    assert page.locator("#f-from").input_value() == DAY_TWO.isoformat()
    page.fill("#f-from", DAY_ONE.isoformat())
    page.fill("#f-to", DAY_TWO.isoformat())
    page.select_option("#f-provider", str(clinic.dr_b["id"]))
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(rf".*provider={clinic.dr_b['id']}.*"))
    assert "name" not in page.url and "patient" not in page.url
    received = page.locator('table[data-table="revenue"] tfoot td[data-column="received"]').inner_text()
    assert received == "$120.00"
    chart = page.locator("#table-revenue svg[role=img]")
    assert chart.is_visible() and chart.bounding_box()["width"] <= viewport["width"]
    assert fits(page, viewport)
    page.screenshot(path=str(screenshots / f"reports-financial-{viewport['width']}.png"), full_page=True)

    page.click(".report-menu a:has-text('Day sheet')")
    page.wait_for_url(re.compile(r".*/reports/day-sheet$"))
    page.fill("#f-day", DAY_ONE.isoformat())
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r".*day=2026-03-09.*"))
    assert page.locator('[data-check="balances"]').count() == 2
    assert fits(page, viewport)
    page.screenshot(path=str(screenshots / f"reports-day-sheet-{viewport['width']}.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#table-methods a[download]")
    assert download.value.suggested_filename == "day_sheet-methods-2026-03-09_2026-03-09.csv"
    # The wrong period's 422 is the only thing the console reports.
    assert all("422" in error for error in browser_page.console_errors), browser_page.console_errors
