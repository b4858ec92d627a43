"""The app in a real browser: loads clean, no console errors, works at 360 px and by keyboard."""

from __future__ import annotations

import pytest

from tests.browser.flows import sign_in
from tests.factories import make_staff

pytestmark = pytest.mark.browser


def test_the_app_loads_without_console_errors(browser_page, live_server, screenshots):
    page = browser_page.page
    response = page.goto(live_server.url + "/")
    assert response.status == 200 and page.url.startswith(live_server.url + "/signin")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Sign in"
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("htmx.config.historyCacheSize") == 0
    assert page.evaluate("htmx.config.selfRequestsOnly") is True
    page.screenshot(path=str(screenshots / "signin.png"), full_page=True)
    assert (screenshots / "signin.png").stat().st_size > 1000
    assert browser_page.console_errors == []


def test_it_fits_a_360px_phone_and_the_skip_link_works(browser_page, live_server, screenshots):
    staff = live_server.run(make_staff, "receptionist")
    page = browser_page.page
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server.url, staff["email"], next_path="/patients")
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Today"
    # Nothing wider than the screen: no sideways scrolling of the whole page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.screenshot(path=str(screenshots / "today-phone.png"))
    assert browser_page.console_errors == []


def test_an_htmx_error_lands_in_the_alert_area(browser_page, live_server):
    staff = live_server.run(make_staff, "receptionist")
    page = browser_page.page
    sign_in(page, live_server.url, staff["email"], next_path="/patients")
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    page.evaluate("htmx.ajax('GET', '/no-such-fragment', {target: '#visits'})")
    page.wait_for_selector("#alerts [role=alert]")
    assert page.locator("#alerts strong").inner_text() == "Not found"
    # A 404 is expected here; Chromium logs failed requests as console errors.
    assert all("404" in error for error in browser_page.console_errors)
