"""Read entries written together: one transaction and one commit for all that wait.

A read entry (a chart view, a list, a search) is written on its own, outside
any change's transaction, and with ``synchronous=FULL`` each commit is an
fsync (about 5 ms on our disks): one commit per request capped audited screens
near 200 requests a second. Here requests hand their entry to the engine's
writer and wait; whoever finds no write under way starts one, which takes
every entry waiting (entries that arrive meanwhile go in the next), writes
them in order in ONE transaction that locks the chain head, commits once and
then wakes each request with its entry's id. If the write fails, every request
in it gets the error (a lost database is the usual 503) and the rollback
leaves no part of the batch in the chain.

Nothing is acknowledged early: a request resumes only after the commit that
made its entry durable, so a response never goes out for a read that could be
missing from the trail. Several processes on one database still chain
correctly: each batch reads and locks the chain head inside its transaction,
exactly as a single entry does.
"""

from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

# A batch holds the database's write lock while it runs; a bound keeps that short.
MOST_PER_BATCH = 200

WriteBatch = Callable[[list[Any]], Awaitable[list[int]]]


@dataclass
class _Waiting:
    entry: Any
    done: asyncio.Future
    # The request's context: the batch it leads runs in it, so the request
    # that started a commit is the one whose counts (X-Transaction-Count) show it.
    context: contextvars.Context


@dataclass
class AuditWriter:
    """One engine's queue of read entries, on one event loop."""

    engine: Any
    loop: asyncio.AbstractEventLoop
    write_batch: WriteBatch
    waiting: list[_Waiting] = field(default_factory=list)
    writing: asyncio.Task | None = None
    batches: int = 0
    entries: int = 0

    async def append(self, entry: Any) -> int:
        """Queue ``entry``; return its id once the transaction holding it has committed."""
        waiting = _Waiting(entry, self.loop.create_future(), contextvars.copy_context())
        self.waiting.append(waiting)
        if self.writing is None:
            self._start()
        # A request that goes away (client closed) does not take the batch
        # with it: the write runs in its own task and still completes.
        return await asyncio.shield(waiting.done)

    def _start(self) -> None:
        self.writing = self.loop.create_task(self._write_waiting(), context=self.waiting[0].context)

    async def _write_waiting(self) -> None:
        batch, self.waiting = self.waiting[:MOST_PER_BATCH], self.waiting[MOST_PER_BATCH:]
        try:
            ids = await self.write_batch([waiting.entry for waiting in batch])
        except BaseException as error:  # every waiter learns of it, whatever it is
            failure = error if isinstance(error, Exception) else RuntimeError("the audit write was interrupted")
            for waiting in batch:
                if not waiting.done.done():
                    waiting.done.set_exception(failure)
            if not isinstance(error, Exception):
                raise
        else:
            self.batches += 1
            self.entries += len(batch)
            for waiting, event_id in zip(batch, ids):
                if not waiting.done.done():
                    waiting.done.set_result(event_id)
        finally:
            self.writing = None
            if self.waiting:
                self._start()


# By id: engines use __slots__ and are not hashable. An app has one engine; tests make a few.
_writers: dict[int, AuditWriter] = {}


def writer_for(engine: Any, write_batch: WriteBatch) -> AuditWriter:
    """The engine's writer on the running loop (a test's or a command's new loop gets a new one)."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(id(engine))
    if writer is None or writer.engine is not engine or writer.loop is not loop:
        writer = _writers[id(engine)] = AuditWriter(engine=engine, loop=loop, write_batch=write_batch)
    return writer
