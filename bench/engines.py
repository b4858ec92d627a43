"""Query latency: Piccolo's SQLite engine (a connection per query) against ours (pooled).

Measures one primary-key SELECT, the most common query an app makes, run
outside a transaction, and memory after many of them.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path

from piccolo.columns import Varchar
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from clinic.db.sqlite import ClinicSQLiteEngine

QUERIES = 2000


class Thing(Table):
    name = Varchar(length=50)


async def measure(engine, label: str) -> None:
    Thing._meta.db = engine
    await engine.start_connection_pool() if isinstance(engine, ClinicSQLiteEngine) else None
    await Thing.create_table(if_not_exists=True)
    await Thing.insert(*[Thing(name=f"thing {n}") for n in range(100)])
    latencies = []
    started = time.perf_counter()
    for n in range(QUERIES):
        t0 = time.perf_counter()
        await Thing.select().where(Thing.id == (n % 100) + 1).first()
        latencies.append((time.perf_counter() - t0) * 1000)
    seconds = time.perf_counter() - started
    latencies.sort()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<34} p50={statistics.median(latencies):.3f} ms  p95={latencies[int(QUERIES * .95)]:.3f} ms  "
          f"{QUERIES / seconds:8.0f} queries/s  peak RSS {rss:.0f} MiB")
    if isinstance(engine, ClinicSQLiteEngine):
        await engine.close_connection_pool()


async def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await measure(SQLiteEngine(path=str(Path(tmp) / "piccolo.db")), "Piccolo SQLiteEngine (per query)")
        await measure(ClinicSQLiteEngine(str(Path(tmp) / "ours.db"), create=True), "ClinicSQLiteEngine (pooled)")


def main() -> None:
    asyncio.run(run())
