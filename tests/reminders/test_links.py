"""The patient's signed confirm/cancel links, opened without signing in."""

from __future__ import annotations

import datetime as dt

import time_machine

from clinic.audit.services import Actor
from clinic.reminders import links
from clinic.scheduling import services as scheduling
from tests.factories import local_time, locale, post
from tests.helpers import html, texts
from tests.reminders.conftest import MONDAY, TUESDAY, book

START = (TUESDAY, "10:00")
FRIDAY = MONDAY + dt.timedelta(days=4)


def token(appointment, action, revision=1, expires=None):
    return links.make_token(appointment, revision, action, expires or local_time(*START))


def status(harness, appointment):
    return harness.sql("SELECT status, revision FROM appointment WHERE id = {}", appointment)[0]


def at(day, hhmm):
    return time_machine.travel(local_time(day, hhmm), tick=False)


def test_opening_a_confirm_link_shows_only_date_time_and_clinic_and_changes_nothing(harness, clinic):
    appointment = book(harness, clinic)
    with at(MONDAY, "09:00"):
        page = harness.client.get(f"/r/{token(appointment, 'confirm')}")
    assert page.status_code == 200
    tree = html(page)
    assert texts(tree, "#reminder-link dd") == ["Tue, Mar 2, 2027", "10:00 AM", "Riverside Clinic"]
    assert "Jones" not in page.text and "Lena" not in page.text
    assert tree.css_first("#reminder-link form button") is not None
    assert page.headers["x-robots-tag"] == "noindex"
    assert status(harness, appointment)["status"] == "booked"


def test_confirming_goes_through_scheduling_with_history_and_an_audit_entry(harness, clinic):
    appointment = book(harness, clinic)
    with at(MONDAY, "09:00"):
        done = post(harness.client, f"/r/{token(appointment, 'confirm')}")
    assert done.status_code == 200
    assert "confirmed" in html(done).css_first("#reminder-link [role=status]").text()
    assert status(harness, appointment) == {"status": "confirmed", "revision": 2}
    change = harness.sql("SELECT what, staff FROM appointment_change WHERE appointment = {} ORDER BY id DESC",
                         appointment)[0]
    assert change == {"what": "status", "staff": None}
    entry = harness.audit("action = {}", "appointment.status", columns="role, entity_id, detail")[-1]
    assert entry["role"] == "patient-link" and entry["detail"] == "booked->confirmed"
    # The patient may still cancel from here: a fresh link for the new revision.
    assert html(done).css_first("#reminder-link a[href^='/r/']") is not None


def test_cancelling_in_time_cancels_the_appointment(harness, clinic):
    appointment = book(harness, clinic, day=FRIDAY)
    link = links.make_token(appointment, 1, "cancel", local_time(FRIDAY, "10:00"))
    with at(MONDAY, "09:00"):
        done = post(harness.client, f"/r/{link}")
    assert "cancelled" in done.text
    row = harness.sql("SELECT status, cancel_reason, late_cancel FROM appointment WHERE id = {}", appointment)[0]
    assert row["status"] == "cancelled" and row["late_cancel"] in (0, False)
    assert harness.audit("action = {}", "appointment.cancel", columns="role")[-1]["role"] == "patient-link"


def test_cancelling_inside_the_cancellation_window_is_refused_online(harness, clinic):
    appointment = book(harness, clinic)
    with at(MONDAY, "11:00"):  # 23 hours before
        page = harness.client.get(f"/r/{token(appointment, 'cancel')}")
        assert "too close" in page.text and html(page).css_first("#reminder-link form") is None
        post(harness.client, f"/r/{token(appointment, 'cancel')}")
    assert status(harness, appointment)["status"] == "booked"


def test_an_expired_link_does_nothing(harness, clinic):
    appointment = book(harness, clinic)
    link = token(appointment, "confirm", expires=local_time(MONDAY, "12:00"))
    with at(MONDAY, "12:00"):
        page = post(harness.client, f"/r/{link}")
    assert "expired" in page.text
    assert status(harness, appointment)["status"] == "booked"


def test_a_tampered_link_is_not_found(harness, clinic):
    appointment = book(harness, clinic)
    good = token(appointment, "confirm")
    body, mac = good.split(".")
    forged = links._b64(links._unb64(body).replace(b"|confirm|", b"|cancel|")) + "." + mac
    with at(MONDAY, "09:00"):
        for bad in (forged, good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "nonsense", "a.b"):
            assert harness.client.get(f"/r/{bad}").status_code == 404
            assert post(harness.client, f"/r/{bad}").status_code == 404
    assert status(harness, appointment)["status"] == "booked"


def test_a_link_works_once(harness, clinic):
    appointment = book(harness, clinic, day=FRIDAY)
    link = links.make_token(appointment, 1, "confirm", local_time(FRIDAY, "10:00"))
    with at(MONDAY, "09:00"):
        post(harness.client, f"/r/{link}")
        again = post(harness.client, f"/r/{link}")
    assert "already been used" in again.text
    assert harness.sql("SELECT COUNT(*) AS n FROM appointment_change WHERE appointment = {} AND what = 'status'",
                       appointment)[0]["n"] == 1


def test_a_link_for_an_earlier_revision_does_nothing(harness, clinic):
    appointment = book(harness, clinic, day=FRIDAY)
    link = links.make_token(appointment, 1, "cancel", local_time(FRIDAY, "10:00"))
    harness.run(scheduling.move, appointment, 1, starts_at=local_time(FRIDAY, "14:00"), minutes=30,
                provider_id=clinic["provider"], room_id=None, actor=Actor(role="test"), locale=locale())
    with at(MONDAY, "09:00"):
        page = post(harness.client, f"/r/{link}")
    assert "changed" in page.text
    assert status(harness, appointment)["status"] == "booked"


def test_the_action_needs_the_page_csrf_token(harness, clinic):
    appointment = book(harness, clinic)
    with at(MONDAY, "09:00"):
        refused = harness.client.post(f"/r/{token(appointment, 'confirm')}", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert status(harness, appointment)["status"] == "booked"


def test_link_pages_are_rate_limited_per_client(harness, clinic):
    appointment = book(harness, clinic)
    link = token(appointment, "confirm")
    answers = [harness.client.get(f"/r/{link}").status_code for _ in range(25)]
    assert answers[0] == 200 and answers[-1] == 429


def test_two_clicks_at_once_change_the_appointment_once(harness, clinic):
    import asyncio

    from clinic.reminders import services

    appointment = book(harness, clinic, day=FRIDAY)
    link = links.make_token(appointment, 1, "confirm", local_time(FRIDAY, "10:00"))

    async def both():
        return await asyncio.gather(*(services.use_link(link, services.patient_actor()) for _ in range(2)),
                                    return_exceptions=True)

    with at(MONDAY, "09:00"):
        pages = harness.run(both)
    assert not [page for page in pages if isinstance(page, Exception)], pages
    messages = sorted(page.message for page in pages)
    assert messages[0].startswith("Thank you") and ("already been used" in messages[1] or "changed" in messages[1])
    assert status(harness, appointment) == {"status": "confirmed", "revision": 2}
    assert harness.sql("SELECT COUNT(*) AS n FROM reminder_link_use")[0]["n"] == 1


def test_spent_link_ids_are_forgotten_after_a_month(harness, clinic):
    from clinic.reminders import services

    appointment = book(harness, clinic, day=FRIDAY)
    link = links.make_token(appointment, 1, "confirm", local_time(FRIDAY, "10:00"))
    with at(MONDAY, "09:00"):
        harness.run(services.use_link, link, services.patient_actor())
    with at(MONDAY + dt.timedelta(days=29), "09:00"):
        assert harness.run(services.generate_reminders)["forgotten_links"] == 0
    with at(MONDAY + dt.timedelta(days=31), "09:00"):
        assert harness.run(services.generate_reminders)["forgotten_links"] == 1
        assert "expired" in harness.run(services.open_link, link).message


def test_a_link_to_an_appointment_cancelled_or_confirmed_at_the_desk_says_so(harness, clinic):
    confirmed = book(harness, clinic, day=FRIDAY)
    cancelled = book(harness, clinic, day=FRIDAY, hhmm="14:00")
    harness.run(scheduling.set_status, confirmed, 1, "confirmed", Actor(role="test"), locale())
    harness.run(scheduling.cancel, cancelled, 1, "Called the desk", Actor(role="test"), locale())
    with at(MONDAY, "09:00"):
        first = harness.client.get(f"/r/{links.make_token(confirmed, 1, 'confirm', local_time(FRIDAY, '10:00'))}")
        second = harness.client.get(f"/r/{links.make_token(cancelled, 1, 'confirm', local_time(FRIDAY, '14:00'))}")
    assert "already confirmed" in first.text and "is cancelled" in second.text
