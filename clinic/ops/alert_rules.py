"""The administrators' alerts as plain rules: when a reading is bad, when it is good again, and what to send.

Hysteresis, so one incident sends one alert and one recovery:
- a rule fires once its reading has been bad for its whole ``hold`` (the
  database: unreachable for over a minute), and then stays firing;
- it recovers only when the reading is good, below a lower line than the
  one that fired it (p95 over 2 s fires, under 1.5 s recovers): a reading in
  between changes nothing, so a value wavering at the line sends nothing more;
- an unknown reading (too few requests to judge, no memory limit set)
  changes nothing either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Callable

BAD, GOOD, BETWEEN = "bad", "good", "between"
FIRED, RECOVERED = "fired", "recovered"
# p95 and the error rate mean little over a handful of requests.
MIN_REQUESTS = 20


@dataclass(frozen=True)
class Reading:
    verdict: str | None  # BAD, GOOD, BETWEEN or None (cannot tell)
    text: str = ""  # what was measured, for the message: "p95 2.4 s"


@dataclass(frozen=True)
class Condition:
    """Where one alert stands (a row of alert_state)."""

    firing: bool = False
    bad_since: dt.datetime | None = None
    incident: int = 0
    changed_at: dt.datetime | None = None


def step(condition: Condition, verdict: str | None, now: dt.datetime,
         hold: dt.timedelta = dt.timedelta(0)) -> tuple[Condition, str | None]:
    """The next condition after one reading, and FIRED / RECOVERED when that changed."""
    if verdict is None:
        return condition, None
    if verdict == BAD:
        since = condition.bad_since or now
        if not condition.firing and now - since >= hold:
            return Condition(True, since, condition.incident + 1, now), FIRED
        return replace(condition, bad_since=since), None
    if verdict == GOOD and condition.firing:
        return Condition(False, None, condition.incident, now), RECOVERED
    # Good while quiet, or in the band between the lines: a bad spell that had not
    # lasted its hold is over; a firing alert stays firing until the reading is good.
    return replace(condition, bad_since=None if not condition.firing else condition.bad_since), None


def banded(value: float | None, fires_above: float, recovers_below: float) -> str | None:
    if value is None:
        return None
    if value > fires_above:
        return BAD
    if value < recovers_below:
        return GOOD
    return BETWEEN


@dataclass(frozen=True)
class Facts:
    """What the rules read (from clinic.ops.monitoring's snapshot)."""

    database_up: bool
    requests: int
    server_errors: int
    p95_seconds: float | None
    memory_rss_bytes: int
    memory_limit_bytes: int
    backup_age_seconds: float | None


def database_reading(facts: Facts) -> Reading:
    return Reading(GOOD if facts.database_up else BAD, "reachable" if facts.database_up else "not answering")


def latency_reading(facts: Facts) -> Reading:
    if facts.requests < MIN_REQUESTS or facts.p95_seconds is None:
        return Reading(None)
    return Reading(banded(facts.p95_seconds, 2.0, 1.5), f"95% of requests within {facts.p95_seconds:.2f} s")


def error_reading(facts: Facts) -> Reading:
    if facts.requests < MIN_REQUESTS:
        return Reading(None)
    rate = facts.server_errors / facts.requests
    return Reading(banded(rate, 0.02, 0.01), f"{rate:.1%} server errors ({facts.server_errors} of {facts.requests})")


def memory_reading(facts: Facts) -> Reading:
    if not facts.memory_limit_bytes:
        return Reading(None)
    share = facts.memory_rss_bytes / facts.memory_limit_bytes
    return Reading(banded(share, 0.80, 0.70),
                   f"{share:.0%} of the memory limit ({facts.memory_rss_bytes // 1048576} MB)")


STALE_BACKUP_HOURS = 26


def backup_reading(facts: Facts) -> Reading:
    if facts.backup_age_seconds is None:
        return Reading(BAD, "no verified backup")
    hours = facts.backup_age_seconds / 3600
    return Reading(BAD if hours > STALE_BACKUP_HOURS else GOOD, f"last good backup {hours:.0f} hours old")


@dataclass(frozen=True)
class Rule:
    name: str
    title: str
    read: Callable[[Facts], Reading]
    hold: dt.timedelta = dt.timedelta(0)


RULES = (
    Rule("database", "Database unreachable", database_reading, hold=dt.timedelta(minutes=1)),
    Rule("latency", "Responses slower than 2 seconds (p95)", latency_reading),
    Rule("errors", "Server errors above 2%", error_reading),
    Rule("memory", "Memory above 80% of the limit", memory_reading),
    # A new clinic has no backup until its first daily run; give that a little time.
    Rule("backup", "Last good backup older than 26 hours", backup_reading, hold=dt.timedelta(minutes=30)),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}
