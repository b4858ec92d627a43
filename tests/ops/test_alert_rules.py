"""The alert rules' hysteresis, as plain functions: one alert and one recovery per incident."""

from __future__ import annotations

import datetime as dt

from clinic.ops.alert_rules import (
    BAD,
    BETWEEN,
    FIRED,
    GOOD,
    RECOVERED,
    RULES_BY_NAME,
    Condition,
    Facts,
    banded,
    step,
)

T0 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.timezone.utc)
MINUTE = dt.timedelta(minutes=1)


def run(verdicts, hold=dt.timedelta(0), every=dt.timedelta(seconds=15)):
    """The events a series of readings sends, in order."""
    condition, events = Condition(), []
    for number, verdict in enumerate(verdicts):
        condition, event = step(condition, verdict, T0 + number * every, hold)
        if event:
            events.append(event)
    return condition, events


def facts(**changes) -> Facts:
    values = dict(database_up=True, requests=100, server_errors=0, p95_seconds=0.2, memory_rss_bytes=100_000_000,
                  memory_limit_bytes=512 * 1024 * 1024, backup_age_seconds=3600.0)
    return Facts(**{**values, **changes})


def test_a_long_incident_sends_one_alert_and_one_recovery():
    condition, events = run([GOOD, BAD, BAD, BAD, BAD, BAD, GOOD, GOOD])
    assert events == [FIRED, RECOVERED]
    assert condition.incident == 1 and not condition.firing


def test_a_reading_wavering_between_the_lines_sends_nothing_more():
    _, events = run([BAD, BETWEEN, BAD, BETWEEN, BAD, BETWEEN, GOOD, BETWEEN, GOOD])
    assert events == [FIRED, RECOVERED]


def test_an_unknown_reading_changes_nothing():
    condition, events = run([BAD, None, None, BAD])
    assert events == [FIRED] and condition.firing


def test_two_incidents_are_numbered_and_each_alerted_once():
    condition, events = run([BAD, GOOD, BAD, BAD, GOOD])
    assert events == [FIRED, RECOVERED, FIRED, RECOVERED] and condition.incident == 2


def test_the_database_alert_waits_for_a_whole_minute_unreachable():
    hold = RULES_BY_NAME["database"].hold
    assert hold == MINUTE
    # 45 s down (four probes 15 s apart), then back: no alert at all.
    _, events = run([BAD, BAD, BAD, BAD, GOOD], hold=hold)
    assert events == []
    # A blip does not count towards the minute: the clock starts again.
    _, events = run([BAD, BAD, BAD, GOOD, BAD, BAD, BAD, BAD], hold=hold)
    assert events == []
    condition, events = run([BAD] * 5 + [GOOD], hold=hold)
    assert events == [FIRED, RECOVERED]
    assert condition.changed_at == T0 + 5 * dt.timedelta(seconds=15)


def test_the_firing_moment_keeps_when_the_bad_spell_began():
    condition, _ = run([GOOD, BAD, BAD, BAD, BAD, BAD, BAD], hold=MINUTE)
    assert condition.firing and condition.bad_since == T0 + dt.timedelta(seconds=15)


def test_banded_readings_fire_above_one_line_and_recover_below_another():
    assert [banded(value, 2.0, 1.5) for value in (None, 2.01, 2.0, 1.6, 1.5, 1.49)] == [
        None, BAD, BETWEEN, BETWEEN, BETWEEN, GOOD]


def test_latency_fires_over_two_seconds_and_recovers_under_one_and_a_half():
    read = RULES_BY_NAME["latency"].read
    assert read(facts(p95_seconds=2.4)).verdict == BAD and "2.40 s" in read(facts(p95_seconds=2.4)).text
    assert read(facts(p95_seconds=1.8)).verdict == BETWEEN
    assert read(facts(p95_seconds=0.3)).verdict == GOOD
    assert read(facts(p95_seconds=9.0, requests=5)).verdict is None  # too few requests to judge


def test_errors_fire_over_two_percent():
    read = RULES_BY_NAME["errors"].read
    assert read(facts(requests=200, server_errors=5)).verdict == BAD  # 2.5%
    assert read(facts(requests=200, server_errors=4)).verdict == BETWEEN  # 2%
    assert read(facts(requests=200, server_errors=1)).verdict == GOOD
    assert read(facts(requests=10, server_errors=10)).verdict is None


def test_memory_fires_over_eighty_percent_of_the_limit_and_is_silent_without_one():
    read = RULES_BY_NAME["memory"].read
    limit = 1000 * 1024 * 1024
    assert read(facts(memory_rss_bytes=int(limit * 0.85), memory_limit_bytes=limit)).verdict == BAD
    assert read(facts(memory_rss_bytes=int(limit * 0.75), memory_limit_bytes=limit)).verdict == BETWEEN
    assert read(facts(memory_rss_bytes=int(limit * 0.5), memory_limit_bytes=limit)).verdict == GOOD
    assert read(facts(memory_limit_bytes=0)).verdict is None


def test_a_backup_older_than_26_hours_or_none_at_all_is_bad():
    read = RULES_BY_NAME["backup"].read
    assert read(facts(backup_age_seconds=27 * 3600)).verdict == BAD
    assert read(facts(backup_age_seconds=25 * 3600)).verdict == GOOD
    assert read(facts(backup_age_seconds=None)).verdict == BAD


def test_the_database_reading_follows_reachability():
    read = RULES_BY_NAME["database"].read
    assert read(facts(database_up=False)).verdict == BAD and read(facts()).verdict == GOOD
