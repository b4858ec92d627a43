"""What each request costs, counted as it ends: for /metrics, the System page and alerts.

Per request: one counter increment, one histogram observation and two
appends to bounded in-memory windows (the service runs on a quarter of a
CPU). Everything else (percentiles, rates, gauges) is worked out when
someone asks. Labels are the route *template* and the status, never a raw
path (it holds ids), and an error is kept as its class name, never its
message (messages can quote form values).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

# A "_created" timestamp beside every series doubles what a scrape carries and tells nothing here.
disable_created_metrics()

# Seconds; 2 s is the alert threshold, so the buckets around it are finer.
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)
# Requests remembered for p95 and the error rate (the last few minutes of a small clinic).
WINDOW_REQUESTS = 5000
RECENT_ERRORS = 25


@dataclass(frozen=True)
class RecentError:
    at: dt.datetime
    method: str
    route: str
    status: int
    error: str  # the exception's class name, or "" when a handler answered 5xx itself


@dataclass(frozen=True)
class Window:
    """Requests that ended in the last ``seconds``."""

    requests: int
    server_errors: int
    p95_seconds: float | None

    @property
    def error_rate(self) -> float:
        return self.server_errors / self.requests if self.requests else 0.0


class RequestMetrics:
    """One per app: its own registry, so several apps in one process (tests) never share counts."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("clinic_requests", "Requests answered, by route template, method and status.",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("clinic_request_duration_seconds", "Time to answer a request.",
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self._window: deque[tuple[float, float, bool]] = deque(maxlen=WINDOW_REQUESTS)
        self.errors: deque[RecentError] = deque(maxlen=RECENT_ERRORS)

    def observe(self, method: str, route: str, status: int, seconds: float, error: str = "") -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.observe(seconds)
        failed = status >= 500
        self._window.append((time.monotonic(), seconds, failed))
        if failed:
            self.errors.append(RecentError(dt.datetime.now(dt.timezone.utc), method, route, status, error))

    def window(self, seconds: float = 300.0) -> Window:
        since = time.monotonic() - seconds
        recent = [(took, failed) for at, took, failed in list(self._window) if at >= since]
        durations = sorted(took for took, _ in recent)
        return Window(requests=len(recent), server_errors=sum(1 for _, failed in recent if failed),
                      p95_seconds=percentile(durations, 0.95))

    def recent_errors(self, limit: int = 10) -> list[RecentError]:
        return list(reversed(self.errors))[:limit]


def percentile(ordered: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an ascending list (None for no values)."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil without floats drifting
    return ordered[int(rank) - 1]
