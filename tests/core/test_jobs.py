"""Background jobs: claimed with a lease, retried with back-off, dead-lettered, never run twice at once."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt

import time_machine

from clinic.core.jobs import (
    DEAD,
    DONE,
    PENDING,
    RETRYING,
    Job,
    Registry,
    Worker,
    enqueue,
    find_job,
    retry,
)

UTC = dt.timezone.utc
START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# What a careless exception message might carry; it must never reach the job table.
PHI_MESSAGE = "chart of Jane Doe, born 1961-04-02"


class Ledger:
    """A handler that notes each run and fails its first ``failures`` runs."""

    def __init__(self, failures: int = 0):
        self.failures = failures
        self.runs: list[tuple[int, int]] = []

    async def __call__(self, job) -> dict:
        self.runs.append((job.id, job.attempt))
        if len(self.runs) <= self.failures:
            raise LookupError(PHI_MESSAGE)
        return {"seen": job.payload.get("n", 0)}


def registry_of(handler, kind: str = "test.note", **options) -> Registry:
    registry = Registry()
    registry.add(kind, handler, label="A test job", **options)
    return registry


def job_row(harness, job_id: int) -> dict:
    return harness.sql("SELECT * FROM job WHERE id = {}", job_id)[0]


def test_a_queued_job_runs_once_and_keeps_its_result(harness):
    ledger = Ledger()
    registry = registry_of(ledger)

    async def work():
        job_id = await enqueue("test.note", {"n": 3})
        return job_id, await Worker(registry).run_due(), await Worker(registry).run_due()

    job_id, ran, ran_again = harness.run(work)
    assert (ran, ran_again) == (1, 0)
    assert ledger.runs == [(job_id, 1)]
    job = harness.run(find_job, job_id)
    assert job["state"] == DONE and job["attempts"] == 1 and job["result"] == {"seen": 3}
    row = job_row(harness, job_id)
    assert row["finished_at"] is not None and row["due_at"] is None and row["lease_until"] is None


def test_a_job_for_later_waits_for_its_time(harness):
    ledger = Ledger()
    registry = registry_of(ledger)
    with time_machine.travel(START, tick=False):
        job_id = harness.run(enqueue, "test.note", run_at=START + dt.timedelta(hours=1))
        assert harness.run(Worker(registry).run_due) == 0
    with time_machine.travel(START + dt.timedelta(minutes=59, seconds=59), tick=False):
        assert harness.run(Worker(registry).run_due) == 0
    with time_machine.travel(START + dt.timedelta(hours=1), tick=False):
        assert harness.run(Worker(registry).run_due) == 1
    assert ledger.runs == [(job_id, 1)]


def test_a_key_that_is_taken_makes_no_second_job(harness):
    first = harness.run(enqueue, "test.note", {"n": 1}, key="export:7")
    second = harness.run(enqueue, "test.note", {"n": 2}, key="export:7")
    assert first == second
    assert harness.sql("SELECT COUNT(*) AS n FROM job")[0]["n"] == 1
    assert job_row(harness, first)["payload"] == '{"n":1}'


def test_each_period_gets_one_job_however_many_workers_enqueue_it(harness):
    registry = registry_of(Ledger(), kind="test.tick", every=dt.timedelta(minutes=10))

    async def four_workers_enqueue():
        await asyncio.gather(*(Worker(registry).enqueue_schedules() for _ in range(4)))

    with time_machine.travel(START + dt.timedelta(minutes=3), tick=False):
        harness.run(four_workers_enqueue)
    with time_machine.travel(START + dt.timedelta(minutes=9, seconds=59), tick=False):
        harness.run(four_workers_enqueue)
    with time_machine.travel(START + dt.timedelta(minutes=12), tick=False):
        harness.run(four_workers_enqueue)
    keys = [row["dedup_key"] for row in harness.sql("SELECT dedup_key FROM job ORDER BY id")]
    assert keys == ["test.tick@2026-12-01T09:00", "test.tick@2026-12-01T09:10"]


def test_a_failing_job_waits_longer_before_each_retry(harness):
    ledger = Ledger(failures=2)
    registry = registry_of(ledger, retry_delay=dt.timedelta(seconds=30))
    with time_machine.travel(START, tick=False):
        job_id = harness.run(enqueue, "test.note")
        assert harness.run(Worker(registry).run_due) == 1
    row = job_row(harness, job_id)
    assert (row["state"], row["attempts"], row["last_error"]) == (RETRYING, 1, "LookupError")
    assert row["run_at"] == START + dt.timedelta(seconds=30) and row["due_at"] == row["run_at"]

    with time_machine.travel(START + dt.timedelta(seconds=29), tick=False):
        assert harness.run(Worker(registry).run_due) == 0
    with time_machine.travel(START + dt.timedelta(seconds=30), tick=False):
        assert harness.run(Worker(registry).run_due) == 1
    # Twice as long after the second failure.
    assert job_row(harness, job_id)["run_at"] == START + dt.timedelta(seconds=90)
    with time_machine.travel(START + dt.timedelta(seconds=90), tick=False):
        assert harness.run(Worker(registry).run_due) == 1
    row = job_row(harness, job_id)
    assert (row["state"], row["attempts"], row["last_error"]) == (DONE, 3, "")
    assert ledger.runs == [(job_id, 1), (job_id, 2), (job_id, 3)]


def test_a_job_that_keeps_failing_ends_dead_with_only_its_error_type(harness):
    ledger = Ledger(failures=3)
    registry = registry_of(ledger, retry_delay=dt.timedelta(seconds=10))
    with time_machine.travel(START, tick=False):
        job_id = harness.run(enqueue, "test.note", max_attempts=3)
    for seconds in (0, 10, 30, 1000):
        with time_machine.travel(START + dt.timedelta(seconds=seconds), tick=False):
            harness.run(Worker(registry).run_due)
    row = job_row(harness, job_id)
    assert (row["state"], row["attempts"], row["last_error"]) == (DEAD, 3, "LookupError")
    assert row["due_at"] is None and row["finished_at"] == START + dt.timedelta(seconds=30)
    assert len(ledger.runs) == 3
    assert not any("Jane" in str(value) for value in row.values())

    # An administrator retries it: all its attempts again, at once.
    assert harness.run(retry, job_id) is True
    row = job_row(harness, job_id)
    assert (row["state"], row["attempts"], row["finished_at"]) == (PENDING, 0, None)
    assert harness.run(Worker(registry).run_due) == 1
    assert job_row(harness, job_id)["state"] == DONE
    assert harness.run(retry, job_id) is False  # done: nothing to retry


def test_a_job_whose_worker_vanished_runs_again_once_its_lease_ends(harness):
    ledger = Ledger()
    registry = registry_of(ledger, lease=dt.timedelta(seconds=30))
    vanished = Worker(registry, name="vanished")
    survivor = Worker(registry, name="survivor")
    with time_machine.travel(START, tick=False):
        job_id = harness.run(enqueue, "test.note", {"n": 1})
        claim = harness.run(vanished.claim)  # claimed, then the process died
        assert harness.run(survivor.run_due) == 0
    with time_machine.travel(START + dt.timedelta(seconds=29), tick=False):
        assert harness.run(survivor.run_due) == 0
    with time_machine.travel(START + dt.timedelta(seconds=30), tick=False):
        assert harness.run(survivor.run_due) == 1
    row = job_row(harness, job_id)
    assert (row["state"], row["attempts"], row["leased_by"]) == (DONE, 2, "survivor")
    assert ledger.runs == [(job_id, 2)]

    # The first worker comes back and finishes its stale claim: its outcome is not written.
    with time_machine.travel(START + dt.timedelta(seconds=40), tick=False):
        harness.run(vanished.execute, claim)
    assert ledger.runs == [(job_id, 2), (job_id, 1)]
    again = job_row(harness, job_id)
    assert (again["state"], again["attempts"], again["leased_by"], again["finished_at"]) == (
        DONE, 2, "survivor", row["finished_at"])


def test_a_lease_that_ends_on_the_last_attempt_makes_the_job_dead(harness):
    ledger = Ledger()
    registry = registry_of(ledger, lease=dt.timedelta(seconds=30))
    with time_machine.travel(START, tick=False):
        job_id = harness.run(enqueue, "test.note", max_attempts=1)
        harness.run(Worker(registry).claim)
    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        assert harness.run(Worker(registry).run_due) == 0
    row = job_row(harness, job_id)
    assert (row["state"], row["last_error"], row["due_at"]) == (DEAD, "LeaseExpired", None)
    assert ledger.runs == []


def test_a_long_job_keeps_its_lease_while_it_works(harness):
    async def slow(job):
        await asyncio.sleep(2.5)

    registry = registry_of(slow, lease=dt.timedelta(seconds=3))

    async def work():
        job_id = await enqueue("test.note")
        worker, rival = Worker(registry), Worker(registry)
        running = asyncio.create_task(worker.run_due())
        await asyncio.sleep(1.5)
        leased = (await Job.select(Job.lease_until).where(Job.id == job_id).first())["lease_until"]
        await asyncio.sleep(1.6)  # past the first lease: renewed, so the rival finds nothing
        rival_ran = await rival.run_due()
        return job_id, leased, rival_ran, await running

    job_id, first_lease, rival_ran, ran = harness.run(work)
    row = job_row(harness, job_id)
    assert (ran, rival_ran) == (1, 0)
    assert (row["state"], row["attempts"]) == (DONE, 1)
    assert row["started_at"] + dt.timedelta(seconds=3) < first_lease  # renewed once already at 1.5 s


def test_workers_claim_only_the_kinds_they_know(harness):
    registry = registry_of(Ledger())
    job_id = harness.run(enqueue, "test.unknown_here")
    worker = Worker(registry, poll_seconds=5.0)
    assert harness.run(worker.run_due) == 0
    assert job_row(harness, job_id)["state"] == PENDING
    # ...and it does not poll faster for it either.
    assert harness.run(worker.seconds_until_due) == 5.0


def test_many_workers_at_once_run_every_job_exactly_once(harness):
    runs: list[int] = []

    async def note(job):
        runs.append(job.id)
        await asyncio.sleep(0.001)

    registry = registry_of(note)

    async def work():
        ids = [await enqueue("test.note", {"n": n}) for n in range(60)]
        workers = [Worker(registry, name=f"worker-{n}") for n in range(5)]
        counts = await asyncio.gather(*(worker.run_due() for worker in workers))
        return ids, counts

    ids, counts = harness.run(work)
    assert sum(counts) == 60 and sum(1 for count in counts if count) >= 2
    assert sorted(runs) == sorted(ids) and max(collections.Counter(runs).values()) == 1
    states = harness.sql("SELECT state, attempts, COUNT(*) AS n FROM job GROUP BY state, attempts")
    assert states == [{"state": DONE, "attempts": 1, "n": 60}]


def test_a_handler_reports_its_progress(harness):
    seen = []

    async def export(job):
        await job.progress(1, 3)
        seen.append(await find_job(job.id))
        await job.progress(3, 3)
        return {"files": 1}

    registry = registry_of(export)
    job_id = harness.run(enqueue, "test.note")
    harness.run(Worker(registry).run_due)
    assert (seen[0]["progress_done"], seen[0]["progress_total"], seen[0]["state"]) == (1, 3, "running")
    job = harness.run(find_job, job_id)
    assert (job["progress_done"], job["progress_total"], job["result"]) == (3, 3, {"files": 1})


def test_stopping_lets_the_job_in_hand_finish(harness):
    async def short(job):
        await asyncio.sleep(0.3)

    registry = registry_of(short)

    async def work():
        worker = Worker(registry)
        worker.start()
        job_id = await enqueue("test.note")
        for _ in range(100):
            if (await find_job(job_id))["state"] == "running":
                break
            await asyncio.sleep(0.02)
        await worker.stop(grace_seconds=5)
        return job_id

    assert job_row(harness, harness.run(work))["state"] == DONE


def test_stopping_hands_back_a_job_that_outlasts_the_grace_period(harness):
    started = []

    async def endless(job):
        started.append(job.id)
        await asyncio.sleep(60)

    registry = registry_of(endless)

    async def work():
        worker = Worker(registry)
        worker.start()
        job_id = await enqueue("test.note")
        for _ in range(100):
            if started:
                break
            await asyncio.sleep(0.02)
        await worker.stop(grace_seconds=0.2)
        return job_id

    job_id = harness.run(work)
    row = job_row(harness, job_id)
    assert started == [job_id]
    assert (row["state"], row["attempts"], row["leased_by"], row["lease_until"]) == (PENDING, 0, "", None)
    assert row["due_at"] is not None
