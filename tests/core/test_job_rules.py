"""Rules of the job queue that need no database: periods, back-off, registration, payloads."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.core.jobs import Registry
from clinic.core.jobs.queue import as_json
from clinic.core.jobs.registry import JobKind, Schedule

UTC = dt.timezone.utc


async def nothing(job):
    return None


def test_periods_are_aligned_on_the_clock_so_every_instance_agrees():
    hourly = Schedule("security.prune_sessions", dt.timedelta(hours=1), offset=dt.timedelta(minutes=20))
    at = dt.datetime(2026, 12, 1, 9, 5, 42, tzinfo=UTC)
    assert hourly.period_start(at) == dt.datetime(2026, 12, 1, 8, 20, tzinfo=UTC)
    assert hourly.key(hourly.period_start(at)) == "security.prune_sessions@2026-12-01T08:20"
    daily_at_two = Schedule("ops.backup", dt.timedelta(days=1), offset=dt.timedelta(hours=2))
    assert daily_at_two.period_start(at) == dt.datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    # The same instant written in another zone is the same period.
    elsewhere = at.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    assert daily_at_two.key(daily_at_two.period_start(elsewhere)) == "ops.backup@2026-12-01T02:00"


def test_retries_wait_twice_as_long_each_time_up_to_a_ceiling():
    kind = JobKind("test.note", nothing, "Note", retry_delay=dt.timedelta(seconds=30),
                   max_retry_delay=dt.timedelta(minutes=5))
    waits = [kind.delay_after(attempts).total_seconds() for attempts in range(1, 7)]
    assert waits == [30, 60, 120, 240, 300, 300]


@pytest.mark.parametrize("kind,options,message", [
    ("prune", {}, "must look like 'domain.verb_noun'"),
    ("Security.Prune", {}, "must look like 'domain.verb_noun'"),
    ("test.tick", {"every": dt.timedelta(seconds=30)}, "whole number of minutes"),
    ("test.tick", {"every": dt.timedelta(seconds=90)}, "whole number of minutes"),
    ("test.tick", {"lease": dt.timedelta(seconds=1)}, "lease shorter than three seconds"),
])
def test_a_kind_is_refused_when_it_cannot_work(kind, options, message):
    with pytest.raises(ValueError, match=message):
        Registry().add(kind, nothing, label="x", **options)


def test_a_kind_registered_twice_is_refused():
    registry = Registry()
    registry.add("test.note", nothing, label="Note")
    with pytest.raises(ValueError, match="registered twice"):
        registry.add("test.note", nothing, label="Note again")
    assert registry.label("test.note") == "Note" and registry.label("test.gone") == "test.gone"


def test_payloads_hold_ids_counts_and_flags():
    assert as_json({"patient_id": 12, "period": "2026-12-01T09:00", "ids": [1, 2], "full": True}, "payload") == (
        '{"full":true,"ids":[1,2],"patient_id":12,"period":"2026-12-01T09:00"}')
    assert as_json(None, "payload") == "{}"


@pytest.mark.parametrize("payload", [
    {"name": "Jane Doe"},
    {"email": "jane@example.com"},
    {"note": "allergic to penicillin"},
    {"nested": {"address": "12 Main St"}},
    {"born": dt.date(1961, 4, 2)},
    {"Patient name": 1},
    {"ids": list(range(1000))},
])
def test_payloads_refuse_free_text_and_other_values(payload):
    with pytest.raises(ValueError):
        as_json(payload, "payload")
