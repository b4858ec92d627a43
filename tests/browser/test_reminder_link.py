"""A patient opens a reminder's cancel link on a phone, without signing in: the page is accessible,
fits 360 px, and the appointment is cancelled only when they press the button."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.axe import overflow, require_axe, serious_violations
from tests.factories import make_patient, make_staff

pytestmark = pytest.mark.browser


async def appointment_in_three_days(patient_id: int, provider_id: int) -> tuple[int, str]:
    from clinic.reminders import links
    from clinic.scheduling.tables import Appointment

    starts = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) + dt.timedelta(days=3)
    rows = await Appointment.insert(Appointment(patient=patient_id, provider=provider_id, starts_at=starts,
                                                ends_at=starts + dt.timedelta(minutes=20)))
    return rows[0]["id"], links.make_token(rows[0]["id"], 1, "cancel", starts)


async def status_of(appointment_id: int) -> str:
    from clinic.scheduling.tables import Appointment

    return (await Appointment.select(Appointment.status).where(Appointment.id == appointment_id).first())["status"]


def test_a_patient_cancels_from_the_link_on_a_phone(browser, live_server, harness_reset):
    require_axe()
    doctor = live_server.run(make_staff, "doctor")
    patient = live_server.run(make_patient, None, first_name="Ann", last_name="Jones")
    appointment, token = live_server.run(appointment_in_three_days, patient, doctor["id"])
    context = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/r/{token}")
        assert page.locator("h1").inner_text() == "Cancel your appointment"
        assert "Jones" not in page.content()
        assert serious_violations(page) == []
        assert overflow(page)["page"] <= 360
        assert live_server.run(status_of, appointment) == "booked"  # opening the link changed nothing
        page.click("button:has-text('Cancel this appointment')")
        page.wait_for_selector(".alert-ok:has-text('Your appointment is cancelled')")
        assert serious_violations(page) == []
        assert live_server.run(status_of, appointment) == "cancelled"
    finally:
        context.close()
