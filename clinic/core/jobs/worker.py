"""The loop that claims due jobs and runs them, in `clinic serve` or `clinic worker`.

A claim is one short transaction: the oldest due row of a kind this worker
knows, locked with ``FOR UPDATE SKIP LOCKED`` on MySQL (so concurrent
claimers take different rows instead of queueing) or under SQLite's
IMMEDIATE write lock, is marked running with a lease in the same
transaction. The handler runs after the commit, with the lease renewed
while it works; a worker that dies stops renewing and its job is claimed
again once the lease ends. Finishing checks the lease is still ours (id,
worker name and attempt number), so a worker that lost its job to another
never overwrites the other's outcome.

Idle, a poll is one indexed read and no lock (when is the next job due?);
the worker sleeps until then, at most ``poll_seconds``, or until work is
enqueued in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import secrets
import socket
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import structlog

from clinic.core.jobs import queue
from clinic.core.jobs.queue import as_json, enqueue, now_utc
from clinic.core.jobs.registry import JobKind, Registry
from clinic.core.jobs.tables import DEAD, DONE, PENDING, RETRYING, RUNNING, Job
from clinic.db.errors import WriteConflict
from clinic.db.transactions import can_skip_locked, for_update, in_transaction

logger = structlog.get_logger("clinic.jobs")
# Never poll faster than this, even when a due job is held by another worker.
MIN_WAIT_SECONDS = 0.5
# After errors (database away, not migrated yet) wait longer each time, up to this.
MAX_PAUSE_SECONDS = 60.0
_BURIED = object()


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def where_it_broke(error: BaseException) -> str:
    """File, line and function of the innermost frames: never the message (it can quote PHI)."""
    return " < ".join(f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} {frame.name}"
                      for frame in reversed(traceback.extract_tb(error.__traceback__)[-4:]))


@dataclass
class Claim:
    """A job this worker holds the lease on; what a handler receives."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    worker: str = field(repr=False)

    def mine(self):
        return ((Job.id == self.id) & (Job.leased_by == self.worker) & (Job.attempts == self.attempt)
                & (Job.state == RUNNING))

    async def progress(self, done: int, total: int | None = None) -> None:
        """Record how far the job has got (a screen following it shows this)."""
        await Job.update({Job.progress_done: done, Job.progress_total: total}).where(self.mine())


class Worker:
    def __init__(self, registry: Registry, *, name: str | None = None, poll_seconds: float = 5.0):
        self.registry = registry
        self.name = name or worker_name()
        self.poll_seconds = poll_seconds
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._scheduled: dict[str, dt.datetime] = {}
        self._next_due: dt.datetime | None = None
        self._warned_no_skip_locked = False

    # -- running and stopping ------------------------------------------------------

    def start(self) -> asyncio.Task:
        """Run the loop as a task of the running event loop (inside `clinic serve`)."""
        self._task = asyncio.get_running_loop().create_task(self.run(), name=f"job worker {self.name}")
        return self._task

    def request_stop(self) -> None:
        """Stop after the job in hand (call from the worker's event loop)."""
        self._stopping.set()
        self._wake.set()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop between jobs; a job still running after the grace period is
        interrupted and handed back to the queue without counting the try."""
        self.request_stop()
        if self._task is None or self._task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_seconds)
        except asyncio.TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        """Look for due work now (work was enqueued); safe from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            same_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        """Claim and run due jobs until ``request_stop()``."""
        self._loop = asyncio.get_running_loop()
        queue.listeners.append(self)
        failures, last_error = 0, ""
        logger.info("job worker started", worker=self.name, kinds=len(self.registry.kinds))
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                try:
                    await self.enqueue_schedules()
                    await self.run_due()
                    wait = self.wait_seconds(self._next_due)
                    failures, last_error = 0, ""
                except Exception as error:
                    # The database is away or not migrated yet: say so once, then wait longer each time.
                    failures += 1
                    wait = min(self.poll_seconds * 2 ** failures, MAX_PAUSE_SECONDS)
                    if type(error).__name__ != last_error:
                        last_error = type(error).__name__
                        logger.warning("job worker paused", error=last_error, retry_in_seconds=wait,
                                       stack=where_it_broke(error))
                if self._stopping.is_set():
                    break
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
        finally:
            queue.listeners.remove(self)
            logger.info("job worker stopped", worker=self.name)

    async def run_due(self, limit: int | None = None) -> int:
        """Claim and run due jobs one at a time until none is left (or ``limit``); returns how many ran."""
        if in_transaction(Job._meta.db):
            raise RuntimeError("run jobs outside any transaction: each claim commits on its own")
        ran = 0
        while not self._stopping.is_set() and (limit is None or ran < limit):
            # A plain indexed read first: an idle poll takes no lock (SQLite's
            # write lock would queue the web requests behind it).
            self._next_due = await self.next_due_at()
            if self._next_due is None or self._next_due > now_utc():
                break
            claim = await self.claim()
            if claim is None:
                break  # another worker holds it
            await self.execute(claim)
            ran += 1
        return ran

    async def next_due_at(self) -> dt.datetime | None:
        """When the earliest job of a kind we know is (or was) due."""
        if not self.registry.kinds:
            return None
        row = await (Job.select(Job.due_at).where(Job.due_at.is_not_null() & Job.kind.is_in(self.known_kinds()))
                     .order_by(Job.due_at).first())
        return row["due_at"] if row else None

    async def seconds_until_due(self) -> float:
        return self.wait_seconds(await self.next_due_at())

    def wait_seconds(self, next_due: dt.datetime | None) -> float:
        """How long the loop may sleep: until the next job or period, at most poll_seconds."""
        now = now_utc()
        wait = self.poll_seconds
        if next_due is not None:
            wait = min(wait, (next_due - now).total_seconds())
        for schedule in self.registry.schedules:
            next_period = schedule.period_start(now) + schedule.every
            wait = min(wait, (next_period - now).total_seconds())
        return max(wait, MIN_WAIT_SECONDS)

    def known_kinds(self) -> list[str]:
        return sorted(self.registry.kinds)

    # -- periodic work -------------------------------------------------------------

    async def enqueue_schedules(self, now: dt.datetime | None = None) -> None:
        """Enqueue this period's job of each schedule, once per period per worker;
        the period's key makes every other instance's attempt a no-op."""
        now = now or now_utc()
        for schedule in self.registry.schedules:
            start = schedule.period_start(now)
            if self._scheduled.get(schedule.kind) == start:
                continue
            await enqueue(schedule.kind, schedule.payload, key=schedule.key(start), run_at=now,
                          max_attempts=schedule.max_attempts)
            self._scheduled[schedule.kind] = start

    # -- one job -------------------------------------------------------------------

    async def claim(self) -> Claim | None:
        """Take the oldest due job (of a kind we know), or None."""
        while True:
            try:
                outcome = await self._claim_one()
            except WriteConflict:
                return None  # MySQL chose this claim as a deadlock victim: look again shortly
            if outcome is not _BURIED:
                return outcome  # type: ignore[return-value]

    async def _claim_one(self) -> Claim | None | object:
        if not self.registry.kinds:
            return None
        engine = Job._meta.db
        now = now_utc()
        async with engine.transaction():
            skip_locked = can_skip_locked(engine)
            if not skip_locked and not self._warned_no_skip_locked:
                self._warned_no_skip_locked = True
                logger.warning("this MySQL server has no SKIP LOCKED (MariaDB 10.6+, MySQL 8.0.1+): "
                               "workers will wait for each other's claims")
            query = (Job.select(Job.id, Job.kind, Job.payload, Job.state, Job.attempts, Job.max_attempts)
                     .where((Job.due_at <= now) & Job.kind.is_in(self.known_kinds()))
                     .order_by(Job.due_at))
            row = await for_update(query, skip_locked=skip_locked).first()
            if row is None:
                return None
            # A running job that is due has outlived its lease: its worker died or stalled.
            lease_lost = row["state"] == RUNNING
            if lease_lost and row["attempts"] >= row["max_attempts"]:
                await Job.update({Job.state: DEAD, Job.due_at: None, Job.lease_until: None, Job.finished_at: now,
                                  Job.last_error: "LeaseExpired"}).where(Job.id == row["id"])
                logger.error("job dead", job_id=row["id"], kind=row["kind"], attempt=row["attempts"],
                             error="LeaseExpired")
                return _BURIED
            kind = self.registry.kinds[row["kind"]]
            until = now + kind.lease
            changes: dict = {Job.state: RUNNING, Job.attempts: row["attempts"] + 1, Job.lease_until: until,
                             Job.due_at: until, Job.leased_by: self.name, Job.started_at: now}
            if lease_lost:
                changes[Job.last_error] = "LeaseExpired"
            await Job.update(changes).where(Job.id == row["id"])
        return Claim(id=row["id"], kind=row["kind"], payload=json.loads(row["payload"] or "{}"),
                     attempt=row["attempts"] + 1, max_attempts=row["max_attempts"], worker=self.name)

    async def execute(self, claim: Claim) -> None:
        """Run a claimed job's handler and record how it went."""
        kind = self.registry.kinds[claim.kind]
        started = time.monotonic()
        heartbeat = asyncio.create_task(self._keep_lease(claim, kind))
        try:
            result = await asyncio.wait_for(kind.handler(claim), kind.timeout.total_seconds())
            result_json = as_json(result, "result") if result else ""
        except asyncio.CancelledError:
            heartbeat.cancel()
            await self._give_back(claim)
            raise
        except Exception as error:
            heartbeat.cancel()
            await self._failed(claim, kind, error)
            return
        finally:
            heartbeat.cancel()
        now = now_utc()
        if await self._settle(claim, {Job.state: DONE, Job.finished_at: now, Job.due_at: None, Job.lease_until: None,
                                      Job.result: result_json, Job.last_error: ""}):
            logger.info("job done", job_id=claim.id, kind=claim.kind, attempt=claim.attempt,
                        seconds=round(time.monotonic() - started, 3))

    async def _failed(self, claim: Claim, kind: JobKind, error: Exception) -> None:
        now = now_utc()
        error_name = type(error).__name__[:80]
        if claim.attempt >= claim.max_attempts:
            changes = {Job.state: DEAD, Job.finished_at: now, Job.due_at: None}
        else:
            retry_at = now + kind.delay_after(claim.attempt)
            changes = {Job.state: RETRYING, Job.run_at: retry_at, Job.due_at: retry_at}
        changes.update({Job.lease_until: None, Job.last_error: error_name})
        if await self._settle(claim, changes):
            dead = changes[Job.state] == DEAD
            (logger.error if dead else logger.warning)(
                "job dead" if dead else "job failed, will retry", job_id=claim.id, kind=claim.kind,
                attempt=claim.attempt, error=error_name, stack=where_it_broke(error))

    async def _settle(self, claim: Claim, changes: dict) -> bool:
        """Write the outcome if the lease is still ours."""
        for attempt in range(1, 4):
            try:
                async with Job._meta.db.transaction():
                    row = await for_update(Job.select(Job.id).where(claim.mine())).first()
                    if row is None:
                        logger.warning("job lease lost before it finished", job_id=claim.id, kind=claim.kind,
                                       attempt=claim.attempt)
                        return False
                    await Job.update(changes).where(Job.id == claim.id)
                return True
            except WriteConflict:
                if attempt == 3:
                    raise  # the lease runs out and the job runs again: handlers are idempotent
                await asyncio.sleep(0.05 * attempt)
        return False

    async def _keep_lease(self, claim: Claim, kind: JobKind) -> None:
        while True:
            await asyncio.sleep(kind.lease.total_seconds() / 3)
            until = now_utc() + kind.lease
            try:
                await Job.update({Job.lease_until: until, Job.due_at: until}).where(claim.mine())
            except Exception as error:  # keep trying until the job ends: the lease has slack
                logger.warning("job lease not renewed", job_id=claim.id, error=type(error).__name__)

    async def _give_back(self, claim: Claim) -> None:
        """Interrupted by shutdown: queue the job again now, without counting this try."""
        now = now_utc()
        try:
            await asyncio.wait_for(
                Job.update({Job.state: PENDING if claim.attempt == 1 else RETRYING, Job.attempts: claim.attempt - 1,
                            Job.run_at: now, Job.due_at: now, Job.lease_until: None, Job.leased_by: ""})
                .where(claim.mine()).run(),
                3.0,
            )
        except Exception as error:  # its lease will run out and another worker will take it
            logger.warning("job not handed back", job_id=claim.id, error=type(error).__name__)
