"""The audit package's background work: signed checkpoints, written and sent."""

from __future__ import annotations

import datetime as dt

from clinic.audit import checkpoints
from clinic.core.jobs import Registry, RunningJob

EVERY = dt.timedelta(minutes=5)


async def write_checkpoint(job: RunningJob) -> dict:
    checkpoint = await checkpoints.issue()
    return {"last_id": checkpoint.last_id, "count": checkpoint.count}


async def send_checkpoint(job: RunningJob) -> dict:
    # The payload is the signed facts, so a retry sends the very same token.
    checkpoint = checkpoints.Checkpoint.from_payload(job.payload)
    return {"sent": await checkpoints.send(checkpoint), "last_id": checkpoint.last_id}


def register_jobs(registry: Registry) -> None:
    registry.add("audit.write_checkpoint", write_checkpoint, label="Write a signed audit checkpoint to the log",
                 every=EVERY)
    registry.add(checkpoints.SEND_KIND, send_checkpoint, label="Send an audit checkpoint to the checkpoint address",
                 lease=dt.timedelta(seconds=30), timeout=dt.timedelta(seconds=60))
