"""The appointment book in a real browser: book from an empty slot, a conflict shown inline,
move by dragging and by the form, cancel with a reason, and the day as a list on a phone."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser.flows import sign_in
from tests.factories import (
    book_appointment,
    local_time,
    make_appointment_type,
    make_patient,
    make_staff,
    set_working_hours,
)

pytestmark = pytest.mark.browser

DAY = dt.date(2031, 3, 3)  # a Monday
BOOK = f"/book/{DAY.isoformat()}"


@pytest.fixture
def front_desk(browser_page, live_server):
    page = browser_page.page
    page.goto(live_server.url + "/signin")  # the clinic's profile comes from the environment (New York)
    doctor = live_server.run(make_staff, "doctor", name="Lena Okafor")
    live_server.run(set_working_hours, doctor["id"])
    live_server.run(make_appointment_type, "Check-up", minutes=30, colour="indigo")
    ann = live_server.run(make_patient, first_name="Ann", last_name="Quincey")
    bob = live_server.run(make_patient, first_name="Bob", last_name="Smith")
    receptionist = live_server.run(make_staff, "receptionist")
    return {"page": page, "doctor": doctor["id"], "ann": ann, "bob": bob, "receptionist": receptionist,
            "errors": browser_page.console_errors}


def card(page, appointment_id):
    return page.locator(f".appt[data-appointment-id='{appointment_id}']")


def test_book_from_an_empty_slot_in_the_day_view(front_desk, live_server):
    page = front_desk["page"]
    sign_in(page, live_server.url, front_desk["receptionist"]["email"], next_path=BOOK)
    page.click(f".slot[data-provider-id='{front_desk['doctor']}'][data-time='10:00']")
    page.wait_for_url(re.compile(r".*/appointments/new\?.*time=10:00"))
    page.fill("#f-patient_q", "quincey")
    page.wait_for_selector(f"#f-patient-{front_desk['ann']}")
    page.check(f"#f-patient-{front_desk['ann']}")
    page.select_option("#f-type_id", label="Check-up (30 min)")
    assert page.input_value("#f-minutes") == "30"  # the length follows the type
    page.fill("#f-notes", "First visit")
    page.click("#booking-form button[type=submit]:has-text('Book appointment')")
    page.wait_for_url(re.compile(rf".*{BOOK}$"))
    booked = page.locator(".appt", has_text="Quincey, Ann")
    assert booked.get_attribute("data-time") == "10:00"
    assert "Booked for" in page.locator("#alerts .alert-ok").inner_text()
    assert front_desk["errors"] == []


def test_a_conflict_comes_back_inline_and_the_form_keeps_what_was_typed(front_desk, live_server):
    page = front_desk["page"]
    live_server.run(book_appointment, front_desk["bob"], front_desk["doctor"], local_time(DAY, "10:00"), 30)
    sign_in(page, live_server.url, front_desk["receptionist"]["email"],
            next_path=f"/appointments/new/patient/{front_desk['ann']}")
    page.select_option("#f-provider_id", str(front_desk["doctor"]))
    page.fill("#f-day", DAY.isoformat())
    page.fill("#f-time", "10:15")
    page.fill("#f-notes", "Kept after the conflict")
    page.click("#booking-form button[type=submit]:has-text('Book appointment')")
    page.wait_for_selector("#conflicts")
    assert "Bob Smith" in page.locator("#conflicts").inner_text()
    assert page.input_value("#f-notes") == "Kept after the conflict"
    page.check("#f-overbook")
    page.fill("#f-overbook_reason", "Urgent: fever")
    page.click("#booking-form button[type=submit]:has-text('Book appointment')")
    page.wait_for_url(re.compile(rf".*{BOOK}$"))
    assert "Urgent: fever" in page.locator(".appt.is-overbooked").inner_text()


def test_move_by_dragging_and_by_the_form(front_desk, live_server):
    page = front_desk["page"]
    appointment = live_server.run(book_appointment, front_desk["ann"], front_desk["doctor"], local_time(DAY, "09:00"), 30)
    sign_in(page, live_server.url, front_desk["receptionist"]["email"], next_path=BOOK)
    page.drag_and_drop(f".appt[data-appointment-id='{appointment}']",
                       f".slot[data-provider-id='{front_desk['doctor']}'][data-time='14:00']")
    page.wait_for_selector(f".appt[data-appointment-id='{appointment}'][data-time='14:00']")
    assert "Appointment moved." in page.locator("#alerts").inner_text()
    assert page.url.endswith(BOOK)

    # The keyboard way: the appointment's own page.
    card(page, appointment).click()
    page.wait_for_url(re.compile(rf".*/appointments/{appointment}$"))
    page.fill("#f-time", "15:00")
    page.fill("#f-minutes", "45")
    page.click("form[action$='/move'] button[type=submit]")
    page.wait_for_selector("#alerts .alert-ok")
    assert "3:00 PM–3:45 PM" in page.locator("#appointment .facts").inner_text()
    assert page.locator(".history [data-what=moved]").count() == 2


def test_cancel_with_a_reason(front_desk, live_server):
    page = front_desk["page"]
    appointment = live_server.run(book_appointment, front_desk["ann"], front_desk["doctor"], local_time(DAY, "11:00"), 30)
    sign_in(page, live_server.url, front_desk["receptionist"]["email"], next_path=f"/appointments/{appointment}")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#appointment details summary")
    page.click("form[action$='/cancel'] button[type=submit]")
    page.wait_for_selector("#e-cancel_reason")  # a reason is needed
    page.fill("#f-cancel_reason", "Patient called: unwell")
    page.click("form[action$='/cancel'] button[type=submit]")
    page.wait_for_selector("[data-testid=status]:has-text('Cancelled')")
    page.goto(live_server.url + BOOK)
    assert card(page, appointment).count() == 0


def test_the_day_is_a_list_per_provider_on_a_phone(front_desk, live_server):
    page = front_desk["page"]
    live_server.run(book_appointment, front_desk["ann"], front_desk["doctor"], local_time(DAY, "09:00"), 30)
    live_server.run(book_appointment, front_desk["bob"], front_desk["doctor"], local_time(DAY, "14:00"), 30)
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server.url, front_desk["receptionist"]["email"], next_path=BOOK)
    assert page.evaluate("getComputedStyle(document.querySelector('.book-grid')).display") == "block"
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    boxes = [page.locator(".appt").nth(n).bounding_box() for n in range(2)]
    assert boxes[0]["x"] == boxes[1]["x"] and boxes[1]["y"] > boxes[0]["y"]  # one under the other
    assert page.locator(".slot").first.is_hidden()
    assert page.locator(".col-actions a").first.is_visible()


def test_the_desktop_grid_puts_providers_side_by_side(front_desk, live_server):
    page = front_desk["page"]
    live_server.run(make_staff, "nurse", name="Sam Baker")
    sign_in(page, live_server.url, front_desk["receptionist"]["email"], next_path=BOOK)
    columns = [page.locator(".book-col").nth(n).bounding_box() for n in range(2)]
    assert columns[1]["x"] > columns[0]["x"] and columns[0]["height"] > 300
    nine, ten = (page.locator(f".slot[data-time='{t}']").first.bounding_box() for t in ("09:00", "10:00"))
    assert ten["y"] > nine["y"]
