"""Which kinds of job exist, who runs them, and which recur.

Core knows no domain: each package that has background work offers a
``register_jobs(registry)`` that adds its kinds, and the app (``clinic/ops``)
builds the one registry its workers use. A worker claims only the kinds its
registry knows, so an older instance never takes a job it cannot run.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Protocol

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


class RunningJob(Protocol):
    """What a handler receives (the worker's ``Claim``)."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int

    async def progress(self, done: int, total: int | None = None) -> None: ...


Handler = Callable[[RunningJob], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class JobKind:
    """How to run one kind of job.

    A handler must be idempotent: after a crash, a lost lease or a retry it
    runs again over work it may already have done. It returns a small
    result (ids and counts, stored as JSON) or None.
    """

    kind: str
    handler: Handler
    label: str
    # The lease is renewed while the handler runs; a worker that dies is
    # replaced after at most this long.
    lease: dt.timedelta = dt.timedelta(minutes=2)
    timeout: dt.timedelta = dt.timedelta(minutes=15)
    # The first retry waits this long, then twice as long each time, up to
    # max_retry_delay. No jitter: a handful of instances cause no herd.
    retry_delay: dt.timedelta = dt.timedelta(seconds=30)
    max_retry_delay: dt.timedelta = dt.timedelta(hours=1)

    def delay_after(self, attempts: int) -> dt.timedelta:
        """How long to wait before the next try after ``attempts`` failed tries."""
        return min(self.retry_delay * 2 ** max(0, attempts - 1), self.max_retry_delay)


@dataclass(frozen=True)
class Schedule:
    """Recurring work: one job of ``kind`` per period, periods aligned on the
    Unix epoch plus ``offset`` (every=1 day, offset=2 hours: daily at 02:00 UTC)."""

    kind: str
    every: dt.timedelta
    offset: dt.timedelta = dt.timedelta(0)
    payload: dict[str, Any] = field(default_factory=dict)
    max_attempts: int = 3

    def period_start(self, now: dt.datetime) -> dt.datetime:
        start = EPOCH + self.offset
        return start + ((now - start) // self.every) * self.every

    def key(self, period_start: dt.datetime) -> str:
        return f"{self.kind}@{period_start.astimezone(UTC):%Y-%m-%dT%H:%M}"


class Registry:
    def __init__(self) -> None:
        self.kinds: dict[str, JobKind] = {}
        self.schedules: list[Schedule] = []

    def add(self, kind: str, handler: Handler, *, label: str, every: dt.timedelta | None = None,
            offset: dt.timedelta = dt.timedelta(0), payload: dict[str, Any] | None = None,
            max_attempts: int = 3, **options: Any) -> JobKind:
        """Register a kind (``"domain.verb_noun"``) and, with ``every``, run it periodically.

        ``options`` are JobKind's: lease, timeout, retry_delay, max_retry_delay.
        """
        if not KIND_PATTERN.fullmatch(kind) or len(kind) > 60:
            raise ValueError(f"job kind {kind!r} must look like 'domain.verb_noun'")
        if kind in self.kinds:
            raise ValueError(f"job kind {kind!r} is registered twice")
        job_kind = JobKind(kind=kind, handler=handler, label=label, **options)
        if job_kind.lease < dt.timedelta(seconds=3):
            raise ValueError("a lease shorter than three seconds cannot be renewed in time")
        self.kinds[kind] = job_kind
        if every is not None:
            if every < dt.timedelta(minutes=1) or every % dt.timedelta(minutes=1):
                raise ValueError("periodic jobs run every whole number of minutes (one key per period)")
            self.schedules.append(Schedule(kind, every, offset, dict(payload or {}), max_attempts))
        return job_kind

    def label(self, kind: str) -> str:
        known = self.kinds.get(kind)
        return known.label if known else kind
