"""Putting work on the queue, and reading it back (screens, /health)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Mapping

from clinic.core import clock
from clinic.core.jobs.tables import DEAD, DONE, PENDING, RETRYING, Job
from clinic.db.errors import IntegrityViolation
from clinic.db.pruning import delete_in_batches
from clinic.db.transactions import for_update

UTC = dt.timezone.utc
MAX_JSON_LENGTH = 2000
# Payload strings are identifiers (a key, a period, a kind), never free text:
# names, notes and addresses have no business in a queue that is logged,
# listed on an admin screen and kept for days.
_TOKEN = re.compile(r"[A-Za-z0-9_.:-]{0,100}")
# Workers of this process, told to look again when work is enqueued here.
listeners: list[Any] = []


def now_utc() -> dt.datetime:
    return clock.now()


def wake_workers() -> None:
    """Tell this process's workers to look for due work now, rather than at
    their next poll (call it after the transaction that queued the work)."""
    for listener in list(listeners):
        listener.wake()


def as_json(value: Mapping[str, Any] | None, what: str) -> str:
    """Ids, counts and flags as compact JSON; anything else is refused."""

    def check(item: Any) -> None:
        if isinstance(item, dict):
            for key, inner in item.items():
                if not isinstance(key, str) or not _TOKEN.fullmatch(key):
                    raise ValueError(f"{what} keys must be short identifiers")
                check(inner)
        elif isinstance(item, (list, tuple)):
            for inner in item:
                check(inner)
        elif isinstance(item, str):
            if not _TOKEN.fullmatch(item):
                raise ValueError(f"{what} strings must be identifiers (ids only, never names or notes)")
        elif item is not None and not isinstance(item, (bool, int, float)):
            raise ValueError(f"{what} values must be ids, counts or flags, not {type(item).__name__}")

    value = dict(value or {})
    check(value)
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    if len(text) > MAX_JSON_LENGTH:
        raise ValueError(f"{what} is longer than {MAX_JSON_LENGTH} characters")
    return text


async def enqueue(kind: str, payload: Mapping[str, Any] | None = None, *, key: str | None = None,
                  run_at: dt.datetime | None = None, max_attempts: int = 5) -> int | None:
    """Queue one job; returns its id.

    With a ``key``, enqueuing again while a job with that key exists changes
    nothing and returns the existing job's id (None in the rare case that
    job's transaction has not committed yet). Joins the caller's
    transaction, so work queued with a change is queued only if the change
    commits (an outbox).
    """
    if not 1 <= max_attempts <= 50:
        raise ValueError("max_attempts must be between 1 and 50")
    if key is not None and not 0 < len(key) <= 200:
        raise ValueError("a job key is 1 to 200 characters")
    when = (run_at or now_utc()).astimezone(UTC)
    job = Job(kind=kind, dedup_key=key, payload=as_json(payload, "payload"), state=PENDING, run_at=when,
              due_at=when, max_attempts=max_attempts, created_at=now_utc())
    try:
        rows = await Job.insert(job)
    except IntegrityViolation as violation:
        # Our MySQL engine refuses ON CONFLICT (it means something else
        # there), so a taken key is an ordinary unique violation.
        if key is None or not violation.involves("dedup_key"):
            raise
        existing = await Job.select(Job.id).where(Job.dedup_key == key).first()
        return existing["id"] if existing else None
    if when <= now_utc():
        wake_workers()
    return rows[0]["id"]


async def retry(job_id: int) -> bool:
    """Run a dead (or waiting-to-retry) job again now, with all its attempts.

    False when there is no such job or it is pending, running or done.
    """
    engine = Job._meta.db
    now = now_utc()
    async with engine.transaction():
        row = await for_update(Job.select(Job.state).where(Job.id == job_id)).first()
        if row is None or row["state"] not in (DEAD, RETRYING):
            return False
        await Job.update({
            Job.state: PENDING, Job.attempts: 0, Job.run_at: now, Job.due_at: now, Job.finished_at: None,
            Job.lease_until: None, Job.leased_by: "",
        }).where((Job.id == job_id) & Job.state.is_in([DEAD, RETRYING]))
    wake_workers()
    return True


JOB_COLUMNS = (Job.id, Job.kind, Job.state, Job.attempts, Job.max_attempts, Job.run_at, Job.last_error,
               Job.progress_done, Job.progress_total, Job.result, Job.created_at, Job.started_at, Job.finished_at)


def _with_result(row: dict) -> dict:
    row["result"] = json.loads(row["result"]) if row.get("result") else None
    return row


async def find_job(job_id: int) -> dict | None:
    """One job's state, attempts, progress and result (for a screen that follows it)."""
    row = await Job.select(*JOB_COLUMNS).where(Job.id == job_id).first()
    return _with_result(row) if row else None


async def dead_jobs(limit: int = 50) -> list[dict]:
    rows = await (Job.select(*JOB_COLUMNS).where(Job.state == DEAD)
                  .order_by(Job.finished_at, ascending=False).limit(limit))
    return [_with_result(row) for row in rows]


async def recent_jobs(limit: int = 50) -> list[dict]:
    rows = await Job.select(*JOB_COLUMNS).order_by(Job.id, ascending=False).limit(limit)
    return [_with_result(row) for row in rows]


async def queue_health(now: dt.datetime | None = None) -> dict[str, Any]:
    """For /health: jobs due now, how late the oldest is, how many are dead."""
    now = now or now_utc()
    oldest = await Job.select(Job.due_at).where(Job.due_at <= now).order_by(Job.due_at).first()
    due = await Job.count().where(Job.due_at <= now) if oldest else 0
    dead = await Job.count().where(Job.state == DEAD)
    lag = round((now - oldest["due_at"]).total_seconds(), 1) if oldest else 0.0
    return {"due": due, "oldest_due_seconds": lag, "dead": dead}


async def prune_finished(done_after: dt.timedelta = dt.timedelta(days=7),
                         dead_after: dt.timedelta = dt.timedelta(days=90)) -> int:
    """Forget finished jobs: done ones after a week, dead ones after ninety days."""
    now = now_utc()
    done = await delete_in_batches(Job, (Job.state == DONE) & (Job.finished_at < now - done_after))
    dead = await delete_in_batches(Job, (Job.state == DEAD) & (Job.finished_at < now - dead_after))
    return done + dead



async def forget_finished_jobs(job) -> dict:
    return {"deleted": await prune_finished()}


def register_jobs(registry) -> None:
    """The queue's own housekeeping."""
    registry.add("jobs.prune_finished", forget_finished_jobs, label="Forget old finished jobs",
                 every=dt.timedelta(hours=6))
