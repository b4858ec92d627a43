"""The administrators' reminder wording screen."""

from __future__ import annotations

from tests.factories import post, sign_in_as
from tests.helpers import html, is_fragment, one


def test_it_shows_the_built_in_wording_and_what_is_set_up(harness):
    sign_in_as(harness, "admin")
    page = harness.client.get("/admin/reminders")
    assert page.status_code == 200
    tree = html(page)
    assert "{date}" in one(tree, "#f-subject-email").attributes["value"]
    assert "Not set up" in one(tree, "#delivery-title").parent.text()


def test_saving_wording_keeps_it_and_is_audited(harness):
    sign_in_as(harness, "admin")
    saved = post(harness.client, "/admin/reminders/sms", {"body": "{clinic}: see you {date} {time}"}, htmx=True)
    assert saved.status_code == 200 and is_fragment(saved)
    assert one(html(saved), "#wording-sms textarea").text() == "{clinic}: see you {date} {time}"
    assert harness.sql("SELECT body FROM reminder_template WHERE channel = 'sms'")[0]["body"].startswith("{clinic}")
    assert harness.audit("action = {}", "reminders.template", columns="entity_id")[-1]["entity_id"] == "sms.reminder"


def test_a_placeholder_outside_the_list_is_refused_beside_its_field_with_the_input_kept(harness):
    sign_in_as(harness, "admin")
    refused = post(harness.client, "/admin/reminders/email",
                   {"subject": "Your {reason} visit", "body": "Hello"}, htmx=True)
    assert refused.status_code == 422
    tree = html(refused)
    assert "{reason} is not allowed" in one(tree, "#e-subject-email").text()
    assert one(tree, "#f-subject-email").attributes["value"] == "Your {reason} visit"
    assert harness.sql("SELECT COUNT(*) AS n FROM reminder_template")[0]["n"] == 0


def test_resetting_brings_back_the_built_in_wording(harness):
    sign_in_as(harness, "admin")
    post(harness.client, "/admin/reminders/sms", {"body": "{clinic} {date}"})
    back = post(harness.client, "/admin/reminders/sms/reset", htmx=True)
    assert "{confirm_link}" in one(html(back), "#wording-sms textarea").text()
    assert harness.sql("SELECT COUNT(*) AS n FROM reminder_template")[0]["n"] == 0


def test_other_roles_may_not_change_the_wording(harness):
    sign_in_as(harness, "doctor")
    assert post(harness.client, "/admin/reminders/sms", {"body": "x {date}"}).status_code == 403


def test_messages_that_gave_up_are_listed_without_names(harness):
    import datetime as dt

    from clinic.reminders.tables import ReminderMessage
    from tests.factories import book_appointment, local_time, make_patient, make_staff, set_working_hours

    doctor = harness.run(make_staff, "doctor")
    harness.run(set_working_hours, doctor["id"])
    patient = harness.run(make_patient, first_name="Ann", last_name="Jones")
    starts = local_time(dt.date(2027, 3, 2), "10:00")
    appointment = harness.run(book_appointment, patient, doctor["id"], starts)
    harness.run(ReminderMessage.insert, ReminderMessage(
        appointment=appointment, revision=1, channel="sms", kind="reminder", state="failed", starts_at=starts,
        provider_id=doctor["id"], attempts=6, next_attempt_at=starts, last_error="refused: HTTP 500"))
    sign_in_as(harness, "admin")
    page = html(harness.client.get("/admin/reminders"))
    row = one(page, "tr[data-reminder-id]")
    assert "refused: HTTP 500" in row.text() and "Text message" in row.text()
    assert one(row, "a").attributes["href"] == f"/reminders/appointments/{appointment}"
    assert "Jones" not in page.html


def test_the_screen_shows_each_wording_filled_in_with_an_example(harness):
    sign_in_as(harness, "admin")
    post(harness.client, "/admin/reminders/sms", {"body": "{clinic}: {date} at {time}"})
    page = html(harness.client.get("/admin/reminders"))
    assert one(page, "#wording-sms .message-preview").text() == "Riverside Clinic: Tue, Mar 2, 2027 at 10:00 AM"
