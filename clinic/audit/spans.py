"""Verifying the part of the audit chain that covers a period, not the whole trail.

A patient's access report needs proof that the entries of its period are
the ones written then. Each entry's MAC covers the MAC before it, so walking
from the last entry before the period to the first entry after it (or to the
head) proves that no entry of the period was changed, removed or inserted:
a removal at either edge breaks the link to the neighbour outside. The cost
follows the period, not the trail's age (``verify_chain`` reads everything).
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from clinic.audit.services import compute_mac
from clinic.audit.tables import AuditChainHead, AuditEvent

BATCH = 1000


@dataclass(frozen=True)
class SpanVerification:
    ok: bool
    checked: int
    first_id: int | None = None
    last_id: int | None = None
    broken_at: int | None = None
    problem: str = ""


async def _edge_id(condition, *, newest: bool) -> int | None:
    row = await (AuditEvent.select(AuditEvent.id).where(condition)
                 .order_by(AuditEvent.occurred_at, ascending=not newest)
                 .order_by(AuditEvent.id, ascending=not newest).first())
    return row["id"] if row else None


async def verify_period(start: dt.datetime, end: dt.datetime, *, include_ids: tuple[int, int] | None = None
                        ) -> SpanVerification:
    """Verify every entry from just before ``start`` to just after ``end``.

    ``include_ids`` (lowest, highest): entries that must be inside the walk
    whatever their times say (the ones a report shows).
    """
    first = await _edge_id((AuditEvent.occurred_at >= start) & (AuditEvent.occurred_at < end), newest=False)
    last = await _edge_id((AuditEvent.occurred_at >= start) & (AuditEvent.occurred_at < end), newest=True)
    if first is None:
        # An empty period: prove the entry after it still follows the one before it.
        first = last = await _edge_id(AuditEvent.occurred_at >= end, newest=False)
    lows = [i for i in (first, include_ids[0] if include_ids else None) if i is not None]
    highs = [i for i in (last, include_ids[1] if include_ids else None) if i is not None]
    if not lows:
        return await _walk(None, None)
    return await _walk(min(lows), max(highs))


async def _walk(low: int | None, high: int | None) -> SpanVerification:
    """Entries ``low``..``high``, the one before them and the one after (or the head)."""
    head = await AuditChainHead.select().where(AuditChainHead.id == 1).first()
    if low is None:
        # No entry at or after the period: the newest entry must be the head.
        newest = await AuditEvent.select(AuditEvent.id, AuditEvent.mac).order_by(AuditEvent.id, ascending=False).first()
        if head and newest and (head["last_event_id"], head["last_mac"]) != (newest["id"], newest["mac"]):
            return SpanVerification(False, 0, broken_at=newest["id"],
                                    problem="the newest entries are missing (the chain head points further)")
        return SpanVerification(True, 0)
    before = await (AuditEvent.select(AuditEvent.id, AuditEvent.mac).where(AuditEvent.id < low)
                    .order_by(AuditEvent.id, ascending=False).first())
    previous_mac = before["mac"] if before else ""
    last_id = before["id"] if before else 0
    checked = 0
    while True:
        rows = await AuditEvent.select().where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(BATCH)
        if not rows:
            break
        for row in rows:
            if row["prev_mac"] != previous_mac:
                return SpanVerification(False, checked, low, high, row["id"],
                                        "does not follow the entry before it (a row was removed or inserted)")
            if not hmac.compare_digest(compute_mac(row, row["prev_mac"]), row["mac"]):
                return SpanVerification(False, checked, low, high, row["id"],
                                        "its contents were changed after it was written")
            previous_mac, last_id = row["mac"], row["id"]
            checked += 1
            if row["id"] > high:
                return SpanVerification(True, checked, low, high)  # the entry after the span follows it
    if head and (head["last_mac"] != previous_mac or head["last_event_id"] != last_id):
        return SpanVerification(False, checked, low, high, last_id or None,
                                "the newest entries are missing (the chain head points further)")
    return SpanVerification(True, checked, low, high)
