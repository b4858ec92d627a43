"""Signing in for real: an administrator through MFA enrolment, a receptionist, the idle warning."""

from __future__ import annotations

import pyotp
import pytest

from tests.browser.chromium import require_chromium
from tests.browser.flows import sign_in
from tests.conftest import settings_for
from tests.factories import make_staff
from tests.live import live_server as start_live_server

pytestmark = pytest.mark.browser


def test_an_administrator_signs_in_through_mfa_enrolment(browser_page, live_server, screenshots):
    admin = live_server.run(make_staff, "admin", name="Alex Admin")
    page = browser_page.page
    sign_in(page, live_server.url, admin["email"], next_path="/admin/staff")
    assert page.url.startswith(live_server.url + "/account/mfa/setup")
    assert page.locator("[data-testid=mfa-qr] svg").count() == 1
    page.screenshot(path=str(screenshots / "mfa-setup.png"))
    secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
    page.fill("#f-code", pyotp.TOTP(secret).now())
    page.click("form[action='/account/mfa/setup'] button[type=submit]")
    codes = page.locator("[data-testid=recovery-codes] code").all_inner_texts()
    assert len(codes) == 10
    page.click("text=I have saved them")
    page.wait_for_load_state("networkidle")
    assert page.url == live_server.url + "/admin/staff"
    assert page.locator("h1").inner_text() == "Staff"
    assert page.locator("tr[data-staff-id]").count() == 1
    # Search as you type narrows the list without a page load.
    page.fill("#f-q", "nobody-here")
    page.wait_for_selector("#staff-rows .empty")
    assert browser_page.console_errors == []


def test_a_receptionist_signs_in_and_out(browser_page, live_server):
    staff = live_server.run(make_staff, "receptionist")
    page = browser_page.page
    sign_in(page, live_server.url, staff["email"])
    assert page.url.endswith("/book")  # the front desk lands in the appointment book
    assert [link.inner_text() for link in page.locator("nav.nav a").all()] == ["Today", "Book", "Next free", "Waitlist", "Patients"]
    page.click("header button:has-text('Sign out')")
    page.wait_for_load_state("networkidle")
    assert "/signin" in page.url and "You have signed out." in page.content()
    page.goto(live_server.url + "/")
    assert "/signin" in page.url
    assert browser_page.console_errors == []


@pytest.fixture(scope="module")
def quick_idle_server(browser_database_url, data_dir):
    """Two minutes idle, with the warning shown 115 s before: it appears within seconds."""
    require_chromium()
    settings = settings_for(browser_database_url, data_dir, CLINIC_SESSION_IDLE_MINUTES="2",
                            CLINIC_SESSION_WARNING_SECONDS="115")
    with start_live_server(settings) as server:
        yield server


def test_the_idle_warning_appears_and_stay_signed_in_works(browser, quick_idle_server, screenshots):
    from tests.conftest import empty_tables

    quick_idle_server.run(empty_tables, quick_idle_server.app.state.engine)
    staff = quick_idle_server.run(make_staff, "nurse")
    context = browser.new_context(viewport={"width": 1024, "height": 700})
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, quick_idle_server.url, staff["email"])
    dialog = page.locator("#idle-warning")
    dialog.wait_for(state="visible", timeout=20000)
    assert "signed out in" in dialog.inner_text()
    page.screenshot(path=str(screenshots / "idle-warning.png"))
    page.click("#idle-stay")
    dialog.wait_for(state="hidden", timeout=5000)
    assert page.locator("h1").inner_text() == "Today"
    context.close()
    assert errors == []
