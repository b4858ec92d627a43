"""Deleting old rows a few hundred at a time."""

from __future__ import annotations

from piccolo.columns.combination import Combinable
from piccolo.table import Table

BATCH_SIZE = 500


async def delete_in_batches(table: type[Table], condition: Combinable, batch_size: int = BATCH_SIZE) -> int:
    """Delete the rows matching ``condition``; returns how many it found to delete.

    One DELETE over a large backlog would hold its locks (MySQL) or the
    write lock (SQLite) long enough to stall sign-ins; batches by id keep
    each statement short. Safe to run concurrently and to run again.
    """
    primary_key = table._meta.primary_key
    deleted = 0
    while True:
        rows = await table.select(primary_key).where(condition).order_by(primary_key).limit(batch_size)
        ids = [row[primary_key._meta.name] for row in rows]
        if not ids:
            return deleted
        await table.delete().where(primary_key.is_in(ids) & condition)
        deleted += len(ids)
        if len(ids) < batch_size:
            return deleted
