"""Reminders' pure rules: quiet hours, back-off, what a template may say."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic.reminders import rules
from clinic.reminders.wording import check_wording

NEW_YORK = ZoneInfo("America/New_York")


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2027, 3, day, hour, minute, tzinfo=NEW_YORK)


def test_quiet_hours_run_from_eight_in_the_evening_to_eight_in_the_morning():
    assert rules.in_quiet_hours(local(1, 20), NEW_YORK)
    assert rules.in_quiet_hours(local(2, 7, 59), NEW_YORK)
    assert not rules.in_quiet_hours(local(2, 8), NEW_YORK)
    assert not rules.in_quiet_hours(local(1, 19, 59), NEW_YORK)


def test_a_message_due_at_night_waits_for_the_morning_in_the_clinic_zone():
    assert rules.after_quiet_hours(local(1, 22), NEW_YORK) == local(2, 8)
    assert rules.after_quiet_hours(local(2, 3), NEW_YORK) == local(2, 8)
    assert rules.after_quiet_hours(local(2, 9), NEW_YORK) == local(2, 9)


def test_the_morning_after_a_clock_change_is_still_eight_local():
    assert rules.after_quiet_hours(local(13, 23), NEW_YORK) == local(14, 8)  # spring forward on the 14th
    assert local(14, 8).utcoffset() == dt.timedelta(hours=-4)


def test_retries_wait_twice_as_long_each_time_up_to_an_hour():
    assert [rules.retry_delay(n).total_seconds() / 60 for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_the_first_attempt_is_a_day_ahead_or_at_once_if_booked_later():
    starts = local(3, 10)
    assert rules.first_attempt(starts, local(1, 9), NEW_YORK) == local(2, 10)
    assert rules.first_attempt(starts, local(2, 15), NEW_YORK) == local(2, 15)


def test_a_template_may_use_only_the_allowed_placeholders():
    assert rules.placeholders_in("See you {date} at {time}, {clinic}") == ["date", "time", "clinic"]
    for bad in ("{reason}", "{patient}", "{date.year}", "{time!r}", "{date:%Y}", "{0}", "{"):
        with pytest.raises(rules.TemplateProblem):
            rules.placeholders_in(bad)


def test_a_template_that_names_clinical_detail_is_refused_beside_its_field():
    errors = check_wording("email", "Your {reason} visit", "Hello {notes}")
    assert set(errors) == {"subject", "body"}
    assert "{reason} is not allowed" in errors["subject"]


def test_a_text_message_is_kept_short():
    assert "body" in check_wording("sms", "", "x" * 481)
    assert check_wording("sms", "", "{clinic}: {date} {time}") == {}


def test_the_message_id_is_derived_from_the_row_key():
    assert rules.message_id(7, 3, "email", "reminder", "x.org") == "<reminder.7.3.email.reminder@x.org>"
