"""A provider's private calendar feed: made on their account, revocable, initials and type only."""

from __future__ import annotations

import icalendar

from clinic.audit.services import Actor
from clinic.scheduling import services as scheduling
from tests.factories import local_time, locale, make_appointment_type, post
from tests.helpers import html, one
from tests.reminders.conftest import MONDAY, book


def sign_in_doctor(harness, clinic):
    from tests.factories import open_session

    token = harness.run(open_session, clinic["provider"], harness.app.state.session_policy)
    harness.client.cookies.set("clinic_session", token, domain="testserver.local")


def make_feed(harness) -> str:
    made = post(harness.client, "/account/calendar/new", htmx=True)
    assert made.status_code == 200
    url = one(html(made), "[data-testid=feed-url]").attributes["value"]
    return url[url.index("/calendar/"):]


def test_a_provider_makes_a_feed_with_initials_and_type_only(harness, clinic):
    type_id = harness.run(make_appointment_type, "Check-up", providers=[clinic["provider"]])
    from tests.factories import book_appointment

    kept = harness.run(book_appointment, clinic["patient"], clinic["provider"], local_time(MONDAY, "10:00"), 30,
                       type_id=type_id)
    gone = book(harness, clinic, day=MONDAY, hhmm="11:00")
    harness.run(scheduling.cancel, gone, 1, "Called", Actor(role="test"), locale())
    sign_in_doctor(harness, clinic)
    path = make_feed(harness)
    harness.client.cookies.clear()
    feed = harness.client.get(path)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(event["summary"]) for event in events] == ["A.J. Check-up"]
    assert str(events[0]["uid"]) == f"appointment-{kept}@clinic"
    assert b"Jones" not in feed.content and b"Ann" not in feed.content
    stored = harness.sql("SELECT token_hash FROM calendar_feed")[0]["token_hash"]
    assert stored not in path and len(stored) == 64


def test_a_revoked_or_replaced_feed_is_not_found(harness, clinic):
    sign_in_doctor(harness, clinic)
    first = make_feed(harness)
    second = make_feed(harness)
    post(harness.client, "/account/calendar/revoke")
    harness.client.cookies.clear()
    assert harness.client.get(first).status_code == 404
    assert harness.client.get(second).status_code == 404
    assert harness.client.get("/calendar/not-a-token.ics").status_code == 404
    assert [row["action"] for row in harness.audit("action LIKE {}", "calendar_feed.%", columns="action")] == [
        "calendar_feed.create", "calendar_feed.create", "calendar_feed.revoke"]


def test_the_feed_screen_shows_whether_an_address_is_active(harness, clinic):
    sign_in_doctor(harness, clinic)
    assert "You have no calendar address" in harness.client.get("/account/calendar").text
    make_feed(harness)
    page = harness.client.get("/account/calendar")
    assert "Active" in one(html(page), "#feed").text()
    assert html(page).css("[data-testid=feed-url]") == []  # the address is shown once only
