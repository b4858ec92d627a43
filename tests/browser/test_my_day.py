"""My day on a phone (360 px): a provider marks a patient arrived, then completed, without a page load."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.flows import sign_in
from tests.factories import make_patient, make_staff

pytestmark = pytest.mark.browser


async def appointment_soon(patient_id: int, provider_id: int) -> int:
    from clinic.scheduling.tables import Appointment

    starts = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) + dt.timedelta(minutes=5)
    rows = await Appointment.insert(Appointment(patient=patient_id, provider=provider_id, starts_at=starts,
                                                ends_at=starts + dt.timedelta(minutes=20)))
    return rows[0]["id"]


def test_a_provider_marks_arrived_then_completed_on_a_phone(browser_page, live_server, screenshots):
    doctor = live_server.run(make_staff, "doctor", name="Lena Okafor")
    patient = live_server.run(make_patient, None, first_name="Ann", last_name="Jones")
    appointment = live_server.run(appointment_soon, patient, doctor["id"])
    page = browser_page.page
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server.url, doctor["email"], next_path="/my-day")
    item = page.locator(f"li[data-appointment-id='{appointment}']")
    assert "Jones, Ann" in item.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 361

    page.evaluate("window.__samePage = true")  # gone if the browser loads a new page
    item.locator("button:has-text('Arrived')").click()
    page.wait_for_selector(f"li[data-appointment-id='{appointment}'][data-status='arrived']")
    page.wait_for_selector("#alerts .alert-ok:has-text('Marked arrived.')")
    page.locator(f"li[data-appointment-id='{appointment}'] button:has-text('Completed')").click()
    page.wait_for_selector(f"li[data-appointment-id='{appointment}'][data-status='completed']")
    assert page.evaluate("window.__samePage === true")
    assert page.locator(f"li[data-appointment-id='{appointment}'] button").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    page.screenshot(path=str(screenshots / "my-day-360.png"), full_page=True)
    assert browser_page.console_errors == []
