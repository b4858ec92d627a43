"""One worker process for test_worker_processes.py: runs the job loop against a
database until every ``test.append`` job is done, noting each job it ran in a file.

    python -m tests.core.worker_process DATABASE_URL LEDGER_FILE START_AT
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from clinic.core.jobs import DONE, Job, Registry, Worker
from clinic.db import engine_for
from clinic.db.urls import parse_database_url
from clinic.piccolo_app import bind_tables

KIND = "test.append"
GIVE_UP_SECONDS = 90


async def main(url: str, ledger_path: str, start_at: float) -> int:
    engine = engine_for(parse_database_url(url, Path(".")))
    bind_tables(engine)
    await engine.start_connection_pool()
    with open(ledger_path, "a", buffering=1) as ledger:

        async def append(job) -> None:
            ledger.write(f"{job.id}\n")
            await asyncio.sleep(0.002)  # a little work, so both processes get a share

        registry = Registry()
        registry.add(KIND, append, label="Note the job in a file")
        worker = Worker(registry, poll_seconds=0.2)
        # Both processes start claiming at the same moment.
        await asyncio.sleep(max(0.0, start_at - time.time()))
        worker.start()
        deadline = time.monotonic() + GIVE_UP_SECONDS
        try:
            while time.monotonic() < deadline:
                if await Job.count().where((Job.kind == KIND) & (Job.state != DONE)) == 0:
                    return 0
                await asyncio.sleep(0.1)
            return 1
        finally:
            await worker.stop()
            await engine.close_connection_pool()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]))))
