"""Patients in a real browser: register, find, chart, allergy, vitals; and no stored XSS anywhere."""

from __future__ import annotations

import re

import pytest

from clinic.audit.services import Actor
from tests.browser.flows import sign_in
from tests.factories import add_chart_entry, make_patient, make_staff

pytestmark = pytest.mark.browser

XSS = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(2)"


def watch_for_script(page) -> list[str]:
    """Any dialog (alert/confirm/prompt) or a global set by injected script means XSS ran."""
    ran: list[str] = []
    page.on("dialog", lambda dialog: (ran.append(dialog.message), dialog.dismiss()))
    return ran


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 360, "height": 740}],
                         ids=["desktop", "phone"])
def test_register_find_open_chart_add_allergy_and_vitals(browser_page, live_server, screenshots, viewport):
    nurse = live_server.run(make_staff, "nurse")
    page = browser_page.page
    page.set_viewport_size(viewport)
    sign_in(page, live_server.url, nurse["email"], next_path="/patients/new")
    assert page.locator("h1").inner_text() == "Register a patient"
    suffix = viewport["width"]
    page.fill("#f-first_name", "Evelyn")
    page.fill("#f-last_name", f"Okonkwo{suffix}")
    page.fill("#f-date_of_birth", "1988-04-21")
    page.select_option("#f-sex", "female")
    page.fill("#f-phone", "(415) 555-0166")
    page.fill("#f-email", "evelyn.okonkwo-adebayo.family@riverside-clinic.org")  # long: must wrap, not widen
    page.click("#patient-form button[type=submit]:has-text('Register patient')")
    page.wait_for_url(re.compile(r".*/patients/\d+$"))
    assert page.locator("h1").inner_text().startswith(f"Okonkwo{suffix}, Evelyn")

    # Find them again by typing part of the name; arrow keys and Enter open the chart.
    page.goto(live_server.url + "/patients")
    search = page.locator("#patient-search")
    search.fill(f"okonkwo{suffix} ev")
    page.wait_for_selector("#search-results a[data-patient-id]")
    assert search.get_attribute("aria-expanded") == "true"
    search.press("Enter")
    page.wait_for_url(re.compile(r".*/patients/\d+$"))
    page.wait_for_selector("#section-allergies summary")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1

    page.click("#section-allergies summary")
    page.fill("#f-substance-allergies", "Penicillin")
    page.fill("#f-reaction-allergies", "Hives")
    page.select_option("#f-severity-allergies", "severe")
    page.click("#section-allergies details form button[type=submit]")
    page.wait_for_selector("#section-allergies li[data-entry-id]")
    assert "Penicillin" in page.locator("#section-allergies li[data-entry-id]").inner_text()

    page.click("#section-vitals summary")
    page.fill("#f-systolic-vitals", "124")
    page.fill("#f-diastolic-vitals", "79")
    page.fill("#f-weight-vitals", "150")
    page.fill("#f-height-vitals", "65")
    page.click("#section-vitals form button[type=submit]")
    page.wait_for_selector("#section-vitals tr[data-vitals-id]")
    # 150 lb and 65 in are stored as 68.0 kg and 165.1 cm (0.1 precision, like the scales).
    assert page.locator("#section-vitals [data-testid=bmi]").inner_text() == "24.9"
    page.screenshot(path=str(screenshots / f"chart-{suffix}.png"), full_page=True)
    assert browser_page.console_errors == []


async def poisoned_patient(staff_id: int) -> int:
    from clinic.clinical.vitals import add_vitals
    from clinic.patients.services import add_insurance

    text_fields = ("first_name", "last_name", "preferred_name", "address_line1", "address_line2", "city", "region",
                   "preferred_language", "emergency_contact_name", "emergency_contact_relation",
                   "front_desk_notes")
    from clinic.patients.forms import PATIENT_FORM

    values = {name: f"{XSS} {JS_URL}"[:PATIENT_FORM[name].max_length] for name in text_fields}
    values["postal_code"] = XSS[:20]
    patient_id = await make_patient(staff_id, date_of_birth="1970-01-01", **values)
    actor = Actor(staff_id=staff_id, role="doctor")
    await add_insurance(patient_id, {"payer_name": XSS, "plan_name": JS_URL, "member_number": "ABC123",
                                     "priority": "primary", "subscriber_relation": "self"}, actor)
    for key, extra in (("allergies", {"substance": XSS, "reaction": JS_URL}), ("medications", {"name": XSS}),
                       ("problems", {"description": XSS}), ("history", {"kind": "social", "description": XSS}),
                       ("immunizations", {"vaccine": XSS, "given_on": "2024-01-01"})):
        await add_chart_entry(key, patient_id, notes=f"{XSS} {JS_URL}", **extra)
    await add_vitals(patient_id, {"pulse": "70", "notes": XSS}, actor, units="us")
    return patient_id


def test_stored_script_never_runs_on_any_screen(browser_page, live_server):
    doctor = live_server.run(make_staff, "doctor")
    patient_id = live_server.run(poisoned_patient, doctor["id"])
    page = browser_page.page
    ran = watch_for_script(page)
    sign_in(page, live_server.url, doctor["email"])
    screens = [f"/patients/{patient_id}", f"/patients/{patient_id}/edit", "/patients", "/patients?sort=-created",
               f"/patients/{patient_id}/timeline", f"/patients/{patient_id}/insurance",
               f"/patients/{patient_id}/chart/allergies", f"/patients/{patient_id}/vitals"]
    for path in screens:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("img[src=x]").count() == 0, path
    # The poisoned name in search results and in a chart entry's edit form.
    page.goto(live_server.url + "/")
    page.fill("#patient-search", '"><img')
    page.wait_for_timeout(600)
    page.fill("#patient-search", "img src")
    page.wait_for_selector("#search-results a[data-patient-id]")
    page.goto(live_server.url + f"/patients/{patient_id}")
    page.wait_for_selector("#section-allergies li[data-entry-id] button:has-text('Edit')")
    page.click("#section-allergies li[data-entry-id] button:has-text('Edit')")
    editing = page.locator("#section-allergies li.editing input[name=substance]")
    editing.wait_for()
    assert editing.input_value() == XSS
    # Links never carry a javascript: URL from data.
    hrefs = page.eval_on_selector_all("a[href]", "nodes => nodes.map(n => n.getAttribute('href'))")
    assert not [href for href in hrefs if href.lower().startswith("javascript")]
    assert ran == []
