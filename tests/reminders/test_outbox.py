"""The reminder outbox on SQLite and MariaDB: generation, voiding, quiet hours,
retries, and exactly-once delivery to a local SMTP server and SMS gateway."""

from __future__ import annotations

import asyncio
import datetime as dt

import icalendar
import time_machine

from clinic.audit.services import Actor
from clinic.reminders import outbox as outbox_module
from clinic.reminders import rules, services
from clinic.scheduling import services as scheduling
from tests.factories import local_time, locale, make_patient
from tests.reminders.conftest import MONDAY, TUESDAY, book, outbox

STAFF = Actor(staff_id=None, role="test")


def at(day, hhmm):
    return time_machine.travel(local_time(day, hhmm), tick=False)


def generate(harness):
    return harness.run(services.generate_reminders)


def send(harness, sender=None):
    return harness.run(services.send_reminders, sender=sender)


def test_it_generates_one_row_per_appointment_revision_and_channel_however_often_it_runs(harness, clinic):
    appointment = book(harness, clinic)
    with at(MONDAY, "09:00"):
        assert generate(harness)["created"] == 2
        assert generate(harness)["created"] == 0
    rows = outbox(harness)
    assert sorted((row["appointment"], row["revision"], row["channel"], row["kind"]) for row in rows) == [
        (appointment, 1, "email", "reminder"), (appointment, 1, "sms", "reminder")]
    assert {row["state"] for row in rows} == {"pending"}
    # A day before the appointment, not at once.
    assert {row["next_attempt_at"] for row in rows} == {local_time(MONDAY, "10:00")}


def test_the_unique_key_refuses_a_second_row_for_the_same_revision(harness, clinic):
    from clinic.db.errors import IntegrityViolation
    from clinic.reminders.tables import ReminderMessage

    appointment = book(harness, clinic)
    with at(MONDAY, "09:00"):
        generate(harness)
    row = outbox(harness)[0]
    duplicate = ReminderMessage(appointment=appointment, revision=1, channel=row["channel"], kind="reminder",
                                starts_at=row["starts_at"], provider_id=clinic["provider"],
                                next_attempt_at=row["next_attempt_at"])
    try:
        harness.run(ReminderMessage.insert, duplicate)
    except IntegrityViolation:
        pass
    else:
        raise AssertionError("a second row for one appointment, revision and channel was stored")


def test_it_leaves_appointments_beyond_the_lead_time_and_patients_without_addresses(harness, clinic):
    book(harness, clinic, day=MONDAY + dt.timedelta(days=3))
    quiet = harness.run(make_patient, first_name="No", last_name="Contact", phone="", email="")
    book(harness, clinic, hhmm="11:00", patient=quiet)
    with at(MONDAY, "09:00"):
        assert generate(harness)["created"] == 0


def test_cancelling_the_appointment_voids_its_waiting_reminders(harness, clinic):
    appointment = book(harness, clinic)
    with at(MONDAY, "09:00"):
        generate(harness)
        harness.run(scheduling.cancel, appointment, 1, "Patient called", STAFF, locale())
        assert generate(harness)["voided"] == 2
    assert {(row["state"], row["last_error"]) for row in outbox(harness)} == {("cancelled", "appointment cancelled")}


def test_moving_the_appointment_voids_the_old_reminder_and_prepares_one_for_the_new_time(harness, clinic):
    appointment = book(harness, clinic)
    with at(MONDAY, "09:00"):
        generate(harness)
        harness.run(scheduling.move, appointment, 1, starts_at=local_time(TUESDAY, "14:00"), minutes=30,
                    provider_id=clinic["provider"], room_id=None, actor=STAFF, locale=locale())
        result = generate(harness)
    assert (result["created"], result["voided"]) == (2, 2)
    states = {(row["revision"], row["channel"]): (row["state"], row["last_error"]) for row in outbox(harness)}
    assert states[(1, "email")] == ("cancelled", "appointment moved")
    assert states[(2, "email")] == ("pending", "")


def test_a_confirmation_changes_the_revision_but_sends_no_second_reminder(harness, clinic, mailbox):
    appointment = book(harness, clinic)
    with at(MONDAY, "10:00"):
        generate(harness)
        send(harness)
        harness.run(scheduling.set_status, appointment, 1, "confirmed", STAFF, locale())
        assert generate(harness)["created"] == 0
        send(harness)
    assert len(mailbox.messages) == 1


def test_it_sends_each_reminder_once_with_an_invitation_that_parses(harness, clinic, mailbox):
    appointment = book(harness, clinic)
    with at(MONDAY, "09:00"):
        generate(harness)
        assert send(harness)["sent"] == 0  # due at 10:00, a day ahead
    with at(MONDAY, "10:00"):
        assert send(harness)["sent"] == 1
        assert send(harness)["sent"] == 0
        generate(harness)
        send(harness)
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["To"] == "ann@example.org"
    assert message["From"] == "Riverside Clinic <reminders@riverside.test>"
    assert message["Message-ID"] == f"<reminder.{appointment}.1.email.reminder@riverside.test>"
    text = message.get_body(("plain",)).get_content()
    assert "Riverside Clinic" in text and "Lena" in text and "10:00 AM" in text
    assert "Jones" not in text and "Ann" not in text  # no name, no clinical detail
    attachment = next(part for part in message.iter_attachments() if part.get_content_type() == "text/calendar")
    event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == local_time(TUESDAY, "10:00")
    assert event.decoded("dtend") == local_time(TUESDAY, "10:30")
    sent = [row for row in outbox(harness) if row["channel"] == "email"][0]
    assert sent["state"] == "sent" and sent["attempts"] == 1 and sent["sent_at"] is not None


def test_a_cancelled_appointment_is_never_reminded_even_between_generation_and_sending(harness, clinic, mailbox):
    appointment = book(harness, clinic)
    with at(MONDAY, "10:00"):
        generate(harness)
        harness.run(scheduling.cancel, appointment, 1, "Patient called", STAFF, locale())
        send(harness)  # no void pass in between: the sender re-checks
    assert mailbox.messages == []
    assert [row["state"] for row in outbox(harness) if row["channel"] == "email"] == ["cancelled"]


def test_quiet_hours_defer_a_reminder_to_the_morning_without_dropping_it(harness, clinic, mailbox):
    book(harness, clinic, day=TUESDAY, hhmm="09:00")
    with at(MONDAY, "21:00"):
        generate(harness)
        assert {row["next_attempt_at"] for row in outbox(harness)} == {local_time(TUESDAY, "08:00")}
        send(harness)
    with at(TUESDAY, "07:59"):
        send(harness)
    assert mailbox.messages == []
    with at(TUESDAY, "08:00"):
        send(harness)
    assert len(mailbox.messages) == 1


def test_a_failed_delivery_is_retried_after_a_growing_pause(harness, clinic, mailbox):
    book(harness, clinic)
    mailbox.refuse = 2
    with at(MONDAY, "10:00"):
        generate(harness)
        send(harness)
    email_row = [row for row in outbox(harness) if row["channel"] == "email"][0]
    assert email_row["state"] == "pending" and email_row["attempts"] == 1
    assert email_row["last_error"] == "SMTPDataError"
    assert email_row["next_attempt_at"] == local_time(MONDAY, "10:01")
    with at(MONDAY, "10:01"):
        send(harness)
    email_row = [row for row in outbox(harness) if row["channel"] == "email"][0]
    assert email_row["next_attempt_at"] == local_time(MONDAY, "10:03")  # 1, then 2 minutes
    with at(MONDAY, "10:02"):
        send(harness)
    assert mailbox.messages == []
    with at(MONDAY, "10:03"):
        send(harness)
    assert len(mailbox.messages) == 1
    assert [row for row in outbox(harness) if row["channel"] == "email"][0]["state"] == "sent"


def test_it_gives_up_after_the_last_attempt(harness, clinic, mailbox):
    book(harness, clinic)
    mailbox.refuse = rules.MAX_ATTEMPTS
    moment = local_time(MONDAY, "10:00")
    with at(MONDAY, "10:00"):
        generate(harness)
    for _ in range(rules.MAX_ATTEMPTS):
        with time_machine.travel(moment, tick=False):
            send(harness)
        moment += rules.LONGEST_RETRY
    row = [row for row in outbox(harness) if row["channel"] == "email"][0]
    assert (row["state"], row["attempts"]) == ("failed", rules.MAX_ATTEMPTS)
    assert mailbox.messages == []


def test_two_senders_racing_deliver_each_reminder_exactly_once(harness, clinic, mailbox):
    appointments = [book(harness, clinic, hhmm=f"{hour}:00") for hour in (9, 10, 11, 13, 14, 15)]
    with at(MONDAY, "16:00"):
        generate(harness)

        async def race():
            return await asyncio.gather(*(services.send_reminders(sender=f"sender-{n}") for n in range(4)))

        results = harness.run(race)
    assert sum(result["sent"] for result in results) == len(appointments)
    ids = sorted(message["Message-ID"] for message in mailbox.messages)
    assert len(ids) == len(set(ids)) == len(appointments)
    assert {row["state"] for row in outbox(harness) if row["channel"] == "email"} == {"sent"}


def test_a_sender_that_died_after_claiming_is_replaced_and_the_resend_carries_the_same_message_id(
        harness, clinic, mailbox):
    appointment = book(harness, clinic)
    with at(MONDAY, "10:00"):
        generate(harness)
        claim = harness.run(outbox_module.claim_next, "crashed", locale().zone, ("email",))
        assert claim.appointment_id == appointment
        send(harness)  # the row is leased: another sender leaves it
        assert mailbox.messages == []
    with time_machine.travel(local_time(MONDAY, "10:00") + rules.LEASE + dt.timedelta(seconds=1), tick=False):
        send(harness)
        assert harness.run(outbox_module.finish, claim, None, locale().zone) == ""  # its lease is gone
    assert [message["Message-ID"] for message in mailbox.messages] == [
        f"<reminder.{appointment}.1.email.reminder@riverside.test>"]
    row = [row for row in outbox(harness) if row["channel"] == "email"][0]
    assert (row["state"], row["attempts"]) == ("sent", 2)


def test_text_messages_go_to_the_gateway_with_an_idempotency_key(harness, clinic, gateway):
    appointment = book(harness, clinic)
    with at(MONDAY, "10:00"):
        generate(harness)
        send(harness)
    assert len(gateway.received) == 1
    received = gateway.received[0]
    assert received["json"]["to"] == "+14155550123"
    assert "Riverside Clinic" in received["json"]["body"] and "/r/" in received["json"]["body"]
    assert received["key"] == f"<reminder.{appointment}.1.sms.reminder@clinic.invalid>"


def test_a_gateway_error_is_recorded_without_content_and_retried(harness, clinic, gateway):
    book(harness, clinic)
    gateway.status = 503
    with at(MONDAY, "10:00"):
        generate(harness)
        send(harness)
    row = [row for row in outbox(harness) if row["channel"] == "sms"][0]
    assert (row["state"], row["attempts"], row["last_error"]) == ("pending", 1, "refused: HTTP 503")


def test_without_delivery_configured_reminders_stay_visible_as_pending(harness, clinic):
    appointment = book(harness, clinic)
    with at(MONDAY, "10:00"):
        generate(harness)
        send(harness)
    log = harness.run(services.reminder_log, appointment)
    assert [(row["channel"], row["state"], row["waiting_for_setup"]) for row in log] == [
        ("email", "pending", True), ("sms", "pending", True)]


def test_each_occurrence_of_a_series_is_reminded_once_in_its_own_week(harness, clinic, mailbox):
    from clinic.scheduling.booking import Booking
    from clinic.scheduling.rules import SeriesRule
    from clinic.scheduling.series import book_series

    booking = Booking(patient_id=clinic["patient"], provider_id=clinic["provider"], type_id=None,
                      starts_at=local_time(TUESDAY, "10:00"), minutes=30)
    harness.run(book_series, booking, SeriesRule(frequency="weekly", count=3), STAFF, locale())
    for week in range(3):
        with time_machine.travel(local_time(MONDAY, "10:00") + dt.timedelta(weeks=week), tick=False):
            generate(harness)
            send(harness)
            generate(harness)
            send(harness)
    emails = [row for row in outbox(harness) if row["channel"] == "email"]
    assert len(emails) == 3 and {row["state"] for row in emails} == {"sent"}
    assert len({row["appointment"] for row in emails}) == 3
    assert len(mailbox.messages) == 3


def test_a_reminder_still_waiting_when_the_evening_comes_goes_in_the_morning(harness, clinic, mailbox):
    book(harness, clinic)
    with at(MONDAY, "09:00"):
        generate(harness)  # due Monday 10:00, but nothing sends until the evening (workers were down)
    with at(MONDAY, "20:30"):
        assert send(harness)["sent"] == 0
    assert {row["next_attempt_at"] for row in outbox(harness) if row["channel"] == "email"} == {
        local_time(TUESDAY, "08:00")}
    with at(TUESDAY, "08:00"):
        assert send(harness)["sent"] == 1
    assert len(mailbox.messages) == 1


def test_a_retry_that_would_fall_at_night_waits_for_the_morning(harness, clinic, mailbox):
    book(harness, clinic, day=TUESDAY, hhmm="16:00")
    mailbox.refuse = 1
    with at(MONDAY, "19:59"):
        generate(harness)
        send(harness)
    row = [row for row in outbox(harness) if row["channel"] == "email"][0]
    assert (row["attempts"], row["next_attempt_at"]) == (1, local_time(TUESDAY, "08:00"))


def test_a_cancellation_between_the_claim_and_the_hand_over_is_caught_at_the_last_moment(harness, clinic, mailbox,
                                                                                          gateway):
    appointment = book(harness, clinic)
    with at(MONDAY, "10:00"):
        generate(harness)
        claims = [harness.run(outbox_module.claim_next, "sender", locale().zone, ("email", "sms")) for _ in range(2)]
        harness.run(scheduling.cancel, appointment, 1, "Patient called", STAFF, locale())
        profile, clinic_locale = harness.run(services.clinic_locale)
        states = [harness.run(outbox_module.hand_over, claim, profile, clinic_locale) for claim in claims]
    assert states == ["cancelled", "cancelled"]
    assert mailbox.messages == [] and gateway.received == []
    assert {(row["state"], row["last_error"]) for row in outbox(harness)} == {("cancelled", "appointment cancelled")}
