"""A visit in a real browser: open it from the chart, type the note (autosaved), add a diagnosis by
searching as you type, sign; and a failed autosave keeps the text and says so."""

from __future__ import annotations

import re

import pytest

from tests.browser.flows import sign_in
from tests.factories import make_patient, make_staff
from tests.visits.visit_factories import load_sample_codes

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 360, "height": 740}],
                         ids=["desktop", "phone"])
def test_open_a_visit_from_the_chart_type_a_note_and_sign_it(browser_page, live_server, screenshots, viewport):
    doctor = live_server.run(make_staff, "doctor")
    patient_id = live_server.run(make_patient)
    live_server.run(load_sample_codes)
    page = browser_page.page
    page.set_viewport_size(viewport)
    page.on("dialog", lambda dialog: dialog.accept())  # "Sign this note?"
    sign_in(page, live_server.url, doctor["email"], next_path=f"/patients/{patient_id}")
    page.click("#section-visits a:has-text('New visit')")
    page.fill("#f-reason", "Sore throat")
    page.click("#new-visit button[type=submit]")
    page.wait_for_url(re.compile(r".*/visits/\d+$"))
    visit_url = page.url

    page.fill("#text-subjective", "Sore throat for three days, no fever.")
    page.wait_for_selector("#status-subjective.saved:has-text('Saved at')", timeout=10_000)
    page.fill("#text-assessment", "Viral pharyngitis.")
    page.wait_for_selector("#status-assessment.saved:has-text('Saved at')", timeout=10_000)

    page.fill("#f-code-query", "pharyngitis")
    page.wait_for_selector("#code-results button[value='J02.9']")
    page.click("#code-results button[value='J02.9']")
    page.wait_for_selector("#visit-diagnoses [data-diagnosis-code='J02.9']")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    page.screenshot(path=str(screenshots / f"visit-draft-{viewport['width']}.png"), full_page=True)

    # The text typed survives a reload: it was saved, not just shown.
    page.goto(visit_url)
    assert page.input_value("#text-subjective") == "Sore throat for three days, no fever."
    page.click("form[action$='/sign'] button")
    page.wait_for_selector("[data-testid=signature]")
    assert page.locator("[data-testid=visit-state]").inner_text() == "Signed"
    assert page.locator("textarea[name^=text_]").count() == 0
    assert "Viral pharyngitis." in page.locator("[data-section-key=assessment]").inner_text()
    page.screenshot(path=str(screenshots / f"visit-signed-{viewport['width']}.png"), full_page=True)

    page.goto(f"{live_server.url}/patients/{patient_id}")
    row = page.locator("#section-visits tr[data-visit-id]")
    assert "J02.9" in row.inner_text() and "Signed" in row.inner_text()


def test_a_failed_autosave_keeps_the_text_and_says_so(browser_page, live_server):
    doctor = live_server.run(make_staff, "doctor")
    patient_id = live_server.run(make_patient)
    page = browser_page.page
    sign_in(page, live_server.url, doctor["email"], next_path=f"/patients/{patient_id}/visits/new")
    page.click("#new-visit button[type=submit]")
    page.wait_for_url(re.compile(r".*/visits/\d+$"))
    page.route(re.compile(r".*/sections/plan$"), lambda route: route.abort())
    page.fill("#text-plan", "Rest and fluids.")
    page.wait_for_selector("#status-plan.unsaved", timeout=10_000)
    assert page.locator("#status-plan").inner_text().startswith("Not saved — your text is kept.")
    assert page.input_value("#text-plan") == "Rest and fluids."
    page.unroute(re.compile(r".*/sections/plan$"))
    page.type("#text-plan", " Review in a week.")
    page.wait_for_selector("#status-plan.saved:has-text('Saved at')", timeout=10_000)
