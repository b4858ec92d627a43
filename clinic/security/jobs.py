"""The security package's background work: forgetting what has expired."""

from __future__ import annotations

import datetime as dt

from clinic.core.jobs import Registry, RunningJob
from clinic.security import sessions, store, throttle

HOURLY = dt.timedelta(hours=1)


async def prune_sessions(job: RunningJob) -> dict:
    return {"deleted": await sessions.delete_old_sessions()}


async def prune_rate_limits(job: RunningJob) -> dict:
    return {"deleted": await store.delete_expired_values()}


async def prune_sign_in_failures(job: RunningJob) -> dict:
    return {"deleted": await throttle.forget_old_failures()}


def register_jobs(registry: Registry) -> None:
    # Spread over the hour: three small deletes, never all at once.
    registry.add("security.prune_sessions", prune_sessions, label="Delete expired sessions", every=HOURLY)
    registry.add("security.prune_rate_limits", prune_rate_limits, label="Delete expired rate-limit counters",
                 every=HOURLY, offset=dt.timedelta(minutes=20))
    registry.add("security.prune_sign_in_failures", prune_sign_in_failures, label="Forget old failed sign-ins",
                 every=HOURLY, offset=dt.timedelta(minutes=40))
