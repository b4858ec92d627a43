"""Signed checkpoints of the audit trail, kept outside the database.

The chain proves that no entry was changed, and none removed or inserted
between others. It cannot prove its own end: the head lives in the same
database, so someone who can write there can cut off the newest entries,
point the head at the new last one, and the chain still verifies (even an
emptied trail verifies: "0 entries").

A checkpoint says "the trail had ``count`` entries, the last #``last_id``
with this MAC, at this time", signed with a key derived from
CLINIC_AUDIT_KEY for this purpose alone (a chain MAC cannot pass for a
checkpoint's signature). The periodic job and every ``clinic audit verify``
write one to the structured log (event ``audit.checkpoint``; the platform
keeps logs) and, when CLINIC_AUDIT_CHECKPOINT_URL is set, POST it there.
``clinic audit verify --checkpoint`` then proves the trail still extends each
checkpoint given. The copy kept in the database is shown to administrators
and proves nothing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import structlog

from clinic import __version__
from clinic.audit.services import Verification, key_for, verify_chain
from clinic.audit.tables import AuditChainHead, AuditEvent
from clinic.core import clock
from clinic.core.jobs import enqueue
from clinic.security.store import DatabaseStore

UTC = dt.timezone.utc
PREFIX = "ckpt1"
# Also finds tokens inside log lines (JSON or console), so a file of copied logs works.
TOKEN = re.compile(r"ckpt1\.([A-Za-z0-9_-]{8,600})\.([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")
STAMP = "%Y-%m-%dT%H:%M:%SZ"
SEND_KIND = "audit.send_checkpoint"
SEND_ATTEMPTS = 10  # with the queue's back-off, about three hours of sink outage
SEND_TIMEOUT_SECONDS = 10.0
STORE_KEY = "latest_checkpoint"

logger = structlog.get_logger("clinic.audit")
_store = DatabaseStore("audit")
_sink_url = ""


def configure(sink_url: str) -> None:
    """Where checkpoints are POSTed besides the log (CLINIC_AUDIT_CHECKPOINT_URL); "" for nowhere."""
    global _sink_url
    _sink_url = sink_url


class CheckpointRefused(Exception):
    """A checkpoint that cannot be trusted; the message says why, in one line."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(signed: str) -> bytes:
    return hmac.new(key_for("checkpoint"), signed.encode("ascii"), hashlib.sha256).digest()


@dataclass(frozen=True)
class Checkpoint:
    last_id: int
    last_mac: str
    count: int
    at: dt.datetime

    @property
    def stamp(self) -> str:
        return self.at.astimezone(UTC).strftime(STAMP)

    @property
    def when(self) -> str:
        return self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    def as_payload(self) -> dict:
        """The signed facts: in the token, in a job's payload, in the webhook's body."""
        return {"last_id": self.last_id, "last_mac": self.last_mac, "count": self.count, "at": self.stamp}

    @property
    def token(self) -> str:
        body = json.dumps(self.as_payload(), sort_keys=True, separators=(",", ":")).encode("ascii")
        signed = f"{PREFIX}.{_b64(body)}"
        return f"{signed}.{_b64(_signature(signed))}"

    @classmethod
    def from_payload(cls, payload: dict) -> "Checkpoint":
        try:
            last_id, count, last_mac = payload["last_id"], payload["count"], payload["last_mac"]
            at = dt.datetime.strptime(payload["at"], STAMP).replace(tzinfo=UTC)
        except (KeyError, TypeError, ValueError):
            raise CheckpointRefused("it is not a checkpoint (its contents are malformed)") from None
        numbers_ok = all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (last_id, count))
        if not numbers_ok or not isinstance(last_mac, str) or not re.fullmatch(r"[0-9a-f]{64}|", last_mac):
            raise CheckpointRefused("it is not a checkpoint (its contents are malformed)")
        return cls(last_id=last_id, last_mac=last_mac, count=count, at=at)


def read_token(text: str) -> Checkpoint:
    """The checkpoint in ``text`` (a token, or a log line holding one), once its signature checks out."""
    match = TOKEN.search(text.strip())
    if match is None:
        raise CheckpointRefused(f"it is not a checkpoint token (they start with {PREFIX}.)")
    body, signature = match.group(1), match.group(2)
    try:
        given = _unb64(signature)
    except (binascii.Error, ValueError):
        given = b""
    if not hmac.compare_digest(given, _signature(f"{PREFIX}.{body}")):
        raise CheckpointRefused("its signature does not match: it was altered, forged, or signed with "
                                "another audit key")
    try:
        payload = json.loads(_unb64(body))
    except (binascii.Error, ValueError):
        raise CheckpointRefused("it is not a checkpoint (its contents are malformed)") from None
    return Checkpoint.from_payload(payload if isinstance(payload, dict) else {})


def read_tokens(text: str) -> tuple[list[Checkpoint], list[str]]:
    """Every token in a text (one per line, or log lines): those that check out, and why the others do not."""
    found, refused = [], []
    for match in TOKEN.finditer(text):
        try:
            found.append(read_token(match.group(0)))
        except CheckpointRefused as refusal:
            refused.append(str(refusal))
    return found, refused


def gather(values: list[str]) -> tuple[list[Checkpoint], list[str]]:
    """Every valid checkpoint given on the command line, as tokens or in files of
    tokens or log lines ("-" is stdin), and warnings about refused ones in files.
    A refused token, or a file without a valid one, raises CheckpointRefused."""
    found, warnings = [], []
    for value in values:
        if value.strip().startswith(PREFIX + "."):
            try:
                found.append(read_token(value))
            except CheckpointRefused as refusal:
                raise CheckpointRefused(f"checkpoint refused: {refusal}") from None
            continue
        try:
            text = sys.stdin.read() if value == "-" else Path(value).read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            raise CheckpointRefused(f"--checkpoint {value}: neither a checkpoint token nor a readable file "
                                    f"({error.strerror})") from None
        valid, refused = read_tokens(text)
        if refused:
            warnings.append(f"{len(refused)} checkpoint(s) in {value} refused: {refused[0]}")
        if not valid:
            raise CheckpointRefused(f"no valid checkpoint in {value}")
        found.extend(valid)
    return found, warnings


# -- writing checkpoints ---------------------------------------------------------


async def current() -> Checkpoint:
    """The trail as its head describes it now."""
    head = await AuditChainHead.select().where(AuditChainHead.id == 1).first()
    last_id, last_mac = (head["last_event_id"], head["last_mac"]) if head else (0, "")
    # Entries up to the head are committed and never change (writers hold the
    # head's lock while they insert), so this count needs no transaction.
    count = await AuditEvent.count().where(AuditEvent.id <= last_id) if last_id else 0
    return Checkpoint(last_id=last_id, last_mac=last_mac, count=count, at=clock.now().replace(microsecond=0))


async def issue(*, always_send: bool = False) -> Checkpoint:
    """Write a checkpoint of the trail to the log, keep it for display, and queue it for the sink.

    The periodic job sends only when the trail moved since the last one (a
    webhook into a chat should not hear the same thing every five minutes);
    a verify always sends.
    """
    checkpoint = await current()
    previous, _ = await latest()
    logger.info("audit.checkpoint", token=checkpoint.token, last_id=checkpoint.last_id, count=checkpoint.count,
                at=checkpoint.stamp)
    await _store.set(STORE_KEY, checkpoint.token)
    moved = previous is None or (previous.last_id, previous.last_mac) != (checkpoint.last_id, checkpoint.last_mac)
    if _sink_url and (always_send or moved):
        # Its own job: a sink that is down is retried with back-off and blocks nothing.
        await enqueue(SEND_KIND, checkpoint.as_payload(), key=f"{SEND_KIND}:{checkpoint.last_id}:{checkpoint.stamp}",
                      max_attempts=SEND_ATTEMPTS)
    return checkpoint


async def latest() -> tuple[Checkpoint | None, str]:
    """The checkpoint this app issued last, for display only (it lives in the
    database, so it proves nothing); and why the stored one is refused, if it is."""
    stored = await _store.get(STORE_KEY)
    if stored is None:
        return None, ""
    try:
        return read_token(stored.decode("ascii", "replace")), ""
    except CheckpointRefused as refusal:
        return None, str(refusal)


def webhook_body(checkpoint: Checkpoint) -> dict:
    text = (f"Audit checkpoint of {checkpoint.when}: {checkpoint.count} entries up to #{checkpoint.last_id}. "
            f"Keep it: {checkpoint.token}")
    # "text" makes the same POST readable in a chat webhook (Slack, Mattermost).
    return {"event": "audit.checkpoint", "token": checkpoint.token, **checkpoint.as_payload(), "text": text}


def _post(url: str, body: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": f"clinic/{__version__}"})
    with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) only (settings)
        return response.status


async def send(checkpoint: Checkpoint) -> bool:
    """POST one checkpoint to the sink; raises when it does not answer 2xx (the job retries)."""
    if not _sink_url:
        return False
    status = await asyncio.to_thread(_post, _sink_url, webhook_body(checkpoint))
    if not 200 <= status < 300:
        raise ConnectionError(f"the checkpoint sink answered {status}")
    return True


# -- proving the trail extends checkpoints ----------------------------------------


@dataclass(frozen=True)
class Finding:
    checkpoint: Checkpoint
    problem: str = ""  # empty: the trail extends this checkpoint


def _compare(checkpoint: Checkpoint, seen: tuple[str, int] | None, total: int) -> str:
    saw = f"the checkpoint of {checkpoint.when} saw {checkpoint.count} up to #{checkpoint.last_id}"
    if checkpoint.last_id == 0:
        return "" if checkpoint.count == 0 else f"{saw}, which cannot be"
    if seen is None:
        return f"the trail has {total} entries; {saw}: entries were removed (#{checkpoint.last_id} is gone)"
    mac, position = seen
    if not hmac.compare_digest(mac, checkpoint.last_mac):
        return (f"the trail has {total} entries; {saw}: entries were removed or replaced "
                f"(#{checkpoint.last_id} is not the entry it saw)")
    if position != checkpoint.count:
        change = "removed" if position < checkpoint.count else "inserted"
        return f"the trail has {position} entries up to #{checkpoint.last_id}; {saw}: entries were {change}"
    return ""


async def verify_against(checkpoints: Iterable[Checkpoint]) -> tuple[Verification, list[Finding]]:
    """Walk the chain once, from its first entry to its head, and say for each
    checkpoint whether the trail still holds everything it saw.

    Every checkpoint is compared, not only the newest: one written after a cut
    (the job keeps writing them) describes the cut trail and would bless it.
    """
    checkpoints = sorted(checkpoints, key=lambda c: (c.at, c.last_id))
    wanted = {checkpoint.last_id for checkpoint in checkpoints}
    seen: dict[int, tuple[str, int]] = {}

    def note(row: dict, position: int) -> None:
        if row["id"] in wanted:
            seen[row["id"]] = (row["mac"], position)

    chain = await verify_chain(on_entry=note)
    if not chain.ok:
        return chain, []  # the break is the finding; entries past it were not read
    return chain, [Finding(c, _compare(c, seen.get(c.last_id), chain.checked)) for c in checkpoints]
