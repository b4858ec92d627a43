"""Recording and verifying the audit trail.

``record()`` writes inside the caller's transaction, so an entry exists if and
only if the change it describes was committed. An entry recorded outside any
transaction (a read) is committed together with the others waiting at that
moment (group_commit.py) and ``record()`` returns once it is durable. Writers lock the chain head
(``SELECT ... FOR UPDATE`` on MySQL; SQLite's write lock), which serialises
them: every entry's ``prev_mac`` is the MAC of the entry before it, and
concurrent requests never fork the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from functools import partial
from typing import Callable, Iterable

from piccolo.querystring import QueryString

from clinic.audit.group_commit import AuditWriter, writer_for
from clinic.audit.tables import AuditChainHead, AuditEvent, AuditEventPatient
from clinic.core import clock
from clinic.db.transactions import for_update, in_transaction

UTC = dt.timezone.utc
FIELDS = (
    "occurred_at", "staff_id", "role", "action", "entity_type", "entity_id", "patient_id",
    "client_address", "user_agent", "outcome", "detail",
)
# Keys derived from CLINIC_AUDIT_KEY, one per purpose, so a chain MAC can
# never pass for a checkpoint's signature or the other way round.
_keys: dict[str, bytes] = {}
PURPOSES = ("chain", "checkpoint")


def configure(audit_key: str) -> None:
    """Set the trail's keys (from CLINIC_AUDIT_KEY); they never go to the database."""
    for purpose in PURPOSES:
        _keys[purpose] = hashlib.sha256(f"clinic-audit-{purpose}|".encode() + audit_key.encode()).digest()


def key_for(purpose: str) -> bytes:
    if purpose not in _keys:
        raise RuntimeError("the audit trail has no key: call clinic.audit.services.configure()")
    return _keys[purpose]


def _chain_key() -> bytes:
    return key_for("chain")


@dataclass(frozen=True)
class Actor:
    """Who is acting, and from where (ids and network facts only)."""

    staff_id: int | None = None
    role: str = ""
    client_address: str = ""
    user_agent: str = ""

    @classmethod
    def system(cls, name: str = "system") -> "Actor":
        return cls(role=name)


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def compute_mac(entry: dict, prev_mac: str) -> str:
    parts = []
    for name in FIELDS:
        value = entry.get(name)
        if name == "occurred_at":
            value = _timestamp(value)
        parts.append("" if value is None else str(value))
    if entry.get("patients"):
        # Added later: only entries that name several patients carry it, so
        # every entry written before keeps its MAC.
        parts.append("patients=" + entry["patients"])
    message = "\x1f".join(parts) + "\x1e" + prev_mac
    return hmac.new(_chain_key(), message.encode("utf-8"), hashlib.sha256).hexdigest()


async def record(
    action: str,
    actor: Actor,
    *,
    entity_type: str = "",
    entity_id: int | str | None = None,
    patient_id: int | None = None,
    outcome: str = "success",
    detail: str = "",
    patient_ids: Iterable[int] = (),
) -> int:
    """Append one entry; returns its id once durable. Joins the caller's transaction if there is one.

    ``patient_ids``: every patient the action showed (a list page, search
    results), indexed so each patient's access report finds the entry.
    """
    engine = AuditEvent._meta.db
    shown = sorted(set(patient_ids))
    entry = {
        "occurred_at": clock.now(),
        "staff_id": actor.staff_id,
        "role": actor.role[:20],
        "action": action[:60],
        "entity_type": entity_type[:40],
        "entity_id": "" if entity_id is None else str(entity_id)[:40],
        "patient_id": patient_id,
        "client_address": actor.client_address[:64],
        "user_agent": actor.user_agent[:200],
        "outcome": outcome[:20],
        "detail": detail[:200],
        "patients": ",".join(str(i) for i in shown),
    }
    if in_transaction(engine):
        return (await _append(engine, [(entry, shown)]))[0]
    # On its own (a read, a refusal, a sign-in): written with whatever else is
    # waiting, in one commit; this returns once that commit is durable.
    return await read_writer(engine).append((entry, shown))


def read_writer(engine) -> AuditWriter:
    """The engine's group-commit writer for entries recorded outside a transaction."""
    return writer_for(engine, partial(_append, engine))


async def _append(engine, entries: list[tuple[dict, list[int]]]) -> list[int]:
    """Chain ``entries`` in order after the head, in one transaction (the caller's, if any)."""
    event_ids = []
    async with engine.transaction():
        head = await for_update(
            AuditChainHead.select(AuditChainHead.last_mac).where(AuditChainHead.id == 1)
        ).first()
        mac = head["last_mac"] if head else ""
        for entry, shown in entries:
            prev_mac = mac
            mac = compute_mac(entry, prev_mac)
            inserted = await AuditEvent.insert(AuditEvent(**entry, prev_mac=prev_mac, mac=mac))
            event_id = inserted[0]["id"]
            event_ids.append(event_id)
            # Plain statements for the rest: a list of twenty patients as twenty Table
            # objects cost more than the database did (every page view writes this).
            if shown:
                await engine.run_querystring(QueryString(
                    f'INSERT INTO "{AuditEventPatient._meta.tablename}" ("event_id", "patient_id") VALUES '
                    + ", ".join(["({}, {})"] * len(shown)),
                    *[value for patient in shown for value in (event_id, patient)]))
        await engine.run_querystring(QueryString(
            f'UPDATE "{AuditChainHead._meta.tablename}" SET "last_event_id" = {{}}, "last_mac" = {{}} WHERE "id" = 1',
            event_ids[-1], mac))
    return event_ids


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_at: int | None = None
    problem: str = ""


async def verify_chain(batch_size: int = 1000,
                       on_entry: Callable[[dict, int], None] | None = None) -> Verification:
    """Walk the whole chain; report the first entry that does not check out.

    ``on_entry(row, position)`` sees each entry that checked out, with how
    many entries the chain has up to and including it (checkpoints use it).
    """
    previous_mac = ""
    last_id = 0
    checked = 0
    while True:
        rows = await (
            AuditEvent.select().where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch_size)
        )
        if not rows:
            break
        for row in rows:
            if row["prev_mac"] != previous_mac:
                return Verification(False, checked, row["id"], "does not follow the entry before it (a row was removed or inserted)")
            if not hmac.compare_digest(compute_mac(row, row["prev_mac"]), row["mac"]):
                return Verification(False, checked, row["id"], "its contents were changed after it was written")
            previous_mac = row["mac"]
            last_id = row["id"]
            checked += 1
            if on_entry is not None:
                on_entry(row, checked)
    head = await AuditChainHead.select().where(AuditChainHead.id == 1).first()
    if head and (head["last_mac"] != previous_mac or head["last_event_id"] != last_id):
        return Verification(False, checked, last_id or None, "the newest entries are missing (the chain head points further)")
    return Verification(True, checked)
