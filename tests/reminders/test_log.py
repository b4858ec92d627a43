"""An appointment's reminder log: the service and the partial the book's appointment detail includes."""

from __future__ import annotations

import time_machine

from clinic.ops.background import clinic_jobs
from clinic.reminders import services
from tests.factories import local_time
from tests.helpers import HTMLParser
from tests.reminders.conftest import MONDAY, book


def test_the_log_partial_shows_each_message_its_state_and_why_it_waits(harness, clinic, mailbox):
    appointment = book(harness, clinic)
    with time_machine.travel(local_time(MONDAY, "10:00"), tick=False):
        harness.run(services.generate_reminders)
        harness.run(services.send_reminders)
        log = harness.run(services.reminder_log, appointment)
    partial = harness.app.template_engine.get_template("reminders/_log.html")
    tree = HTMLParser(partial.render(reminder_log=log))
    rows = tree.css("#reminder-log tr[data-reminder-id]")
    assert [row.attributes["data-state"] for row in rows] == ["sent", "pending"]
    assert "Sent 03/01/2027 10:00 AM" in rows[0].text()
    assert "not set up for sending" in rows[1].text()  # no SMS gateway in this test


def test_an_appointment_without_reminders_says_when_they_come(harness, clinic):
    partial = harness.app.template_engine.get_template("reminders/_log.html")
    assert "two days ahead" in partial.render(reminder_log=[])


def test_the_app_runs_both_reminder_jobs_periodically():
    registry = clinic_jobs()
    assert {"reminders.generate", "reminders.send"} <= set(registry.kinds)
    assert {schedule.kind for schedule in registry.schedules} >= {"reminders.generate", "reminders.send"}


def test_the_log_is_a_page_and_a_fragment_for_anyone_who_sees_the_schedule(harness, clinic):
    from tests.factories import sign_in_as
    from tests.helpers import html, is_fragment

    appointment = book(harness, clinic)
    with time_machine.travel(local_time(MONDAY, "10:00"), tick=False):
        harness.run(services.generate_reminders)
    sign_in_as(harness, "receptionist")
    page = harness.client.get(f"/reminders/appointments/{appointment}")
    assert page.status_code == 200 and not is_fragment(page)
    fragment = harness.client.get(f"/reminders/appointments/{appointment}", headers={"HX-Request": "true"})
    assert is_fragment(fragment)
    assert len(html(fragment).css("#reminder-log tr[data-reminder-id]")) == 2
    assert harness.client.get("/reminders/appointments/999999").status_code == 404


def test_the_jobs_prepare_and_send_through_the_queue(harness, clinic, mailbox):
    from clinic.core.jobs import Worker, enqueue

    book(harness, clinic)
    worker = Worker(clinic_jobs())
    with time_machine.travel(local_time(MONDAY, "10:00"), tick=False):
        for kind in ("reminders.generate", "reminders.send"):
            harness.run(enqueue, kind, key=f"test-{kind}")
            claim = harness.run(worker.claim)
            assert claim.kind == kind
            harness.run(worker.execute, claim)
    results = harness.sql("SELECT kind, state, result FROM job ORDER BY id")
    assert [(row["kind"], row["state"]) for row in results] == [("reminders.generate", "done"),
                                                                 ("reminders.send", "done")]
    assert '"sent":1' in results[1]["result"]
    assert len(mailbox.messages) == 1
