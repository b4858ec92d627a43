"""Reminders' background work: generating (and voiding) the outbox, and sending it.

Both are periodic and idempotent; the outbox rows themselves carry the
exactly-once guarantee (see outbox.py), so an overlapping run of either
job on another instance does no harm.
"""

from __future__ import annotations

import datetime as dt

from clinic.core.jobs import Registry, RunningJob
from clinic.reminders import services


async def generate(job: RunningJob) -> dict:
    return await services.generate_reminders()


async def send(job: RunningJob) -> dict:
    return await services.send_reminders()


def register_jobs(registry: Registry) -> None:
    registry.add("reminders.generate", generate, label="Prepare appointment reminders (and void stale ones)",
                 every=dt.timedelta(minutes=5))
    # A minute after each generation: new rows go out at once. Reminders are a day ahead, so five minutes
    # between runs costs nothing and keeps the job table small (a retry waits for the next run).
    registry.add("reminders.send", send, label="Send due appointment reminders", every=dt.timedelta(minutes=5),
                 offset=dt.timedelta(minutes=1), lease=dt.timedelta(minutes=2), timeout=dt.timedelta(minutes=10))
