"""What a person sees after saving: a confirmation read out, the page around it kept up to date, and
nothing typed lost when the server or the network fails."""

from __future__ import annotations

import pytest

from tests.browser.flows import sign_in
from tests.factories import make_patient, make_staff

pytestmark = pytest.mark.browser


def open_allergy_form(page, live_server, patient_id: int) -> None:
    page.goto(f"{live_server.url}/patients/{patient_id}")
    page.wait_for_load_state("networkidle")
    page.click("#section-allergies summary")
    page.fill("#f-substance-allergies", "Penicillin")
    page.fill("#f-reaction-allergies", "Hives over the chest")
    page.select_option("#f-severity-allergies", "severe")


def test_a_saved_allergy_is_confirmed_aloud_and_the_banner_and_timeline_follow(browser_page, live_server):
    nurse = live_server.run(make_staff, "nurse")
    patient_id = live_server.run(make_patient, nurse["id"])
    page = browser_page.page
    sign_in(page, live_server.url, nurse["email"], next_path=f"/patients/{patient_id}")
    assert page.locator("[data-testid=allergy-banner]").inner_text().strip() == "Allergies not recorded"
    open_allergy_form(page, live_server, patient_id)
    page.click("#section-allergies details form button[type=submit]")
    notice = page.locator("#alerts .alert-ok")
    notice.wait_for()
    assert notice.inner_text().startswith("Allergy added.")
    assert page.locator("#alerts").get_attribute("aria-live") == "polite"
    # The header's alert and the timeline refresh themselves (no reload).
    page.wait_for_function("document.querySelector('[data-testid=allergy-banner]').innerText.includes('Penicillin')")
    assert "Penicillin (severe)" in page.locator("[data-testid=allergy-banner]").inner_text()
    page.wait_for_function("document.querySelector('#timeline').innerText.includes('Allergy recorded')")
    assert browser_page.console_errors == []


@pytest.mark.parametrize("failure", ["server error", "network"])
def test_a_failed_save_says_so_and_keeps_what_was_typed(browser_page, live_server, failure):
    nurse = live_server.run(make_staff, "nurse")
    patient_id = live_server.run(make_patient, nurse["id"])
    page = browser_page.page
    sign_in(page, live_server.url, nurse["email"], next_path=f"/patients/{patient_id}")
    open_allergy_form(page, live_server, patient_id)

    def fail(route):
        if failure == "network":
            route.abort("connectionrefused")
        else:  # what a proxy in front of the app answers when the app is down
            route.fulfill(status=502, content_type="text/html", body="<html><body>Bad gateway</body></html>")

    page.route(f"**/patients/{patient_id}/chart/allergies", fail)
    page.click("#section-allergies details form button[type=submit]")
    problem = page.locator("#alerts .alert-error")
    problem.wait_for()
    assert "what you typed is still here" in problem.inner_text().lower()
    # The form is still there, open, with everything typed.
    assert page.input_value("#f-substance-allergies") == "Penicillin"
    assert page.input_value("#f-reaction-allergies") == "Hives over the chest"
    assert page.input_value("#f-severity-allergies") == "severe"
    # Once the server answers again, the same form saves.
    page.unroute(f"**/patients/{patient_id}/chart/allergies")
    page.click("#section-allergies details form button[type=submit]")
    page.locator("#section-allergies li[data-entry-id]").wait_for()
