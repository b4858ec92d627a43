"""Two `clinic worker`-like OS processes on one database never run a job twice (SQLite and MariaDB)."""

from __future__ import annotations

import collections
import subprocess
import sys
import time

from clinic.core.jobs import enqueue
from clinic.paths import PROJECT_ROOT

JOBS = 200


def test_two_worker_processes_run_every_job_exactly_once(harness, database_url, tmp_path):
    async def queue_jobs():
        return [await enqueue("test.append", {"n": n}) for n in range(JOBS)]

    ids = harness.run(queue_jobs)
    ledgers = [tmp_path / f"worker-{n}.txt" for n in range(2)]
    start_at = time.time() + 2.0  # both processes imported and connected by then
    processes = [
        subprocess.Popen([sys.executable, "-m", "tests.core.worker_process", database_url, str(ledger), str(start_at)],
                         cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for ledger in ledgers
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs

    ran = [[int(line) for line in ledger.read_text().split()] for ledger in ledgers]
    every_run = collections.Counter(ran[0] + ran[1])
    assert sorted(every_run) == sorted(ids)
    assert max(every_run.values()) == 1, [job for job, runs in every_run.items() if runs > 1]
    assert all(ran), [len(runs) for runs in ran]  # both processes took a share

    rows = harness.sql("SELECT state, attempts, COUNT(*) AS n, COUNT(DISTINCT leased_by) AS workers FROM job "
                       "GROUP BY state, attempts")
    assert rows == [{"state": "done", "attempts": 1, "n": JOBS, "workers": 2}]
