"""Signed confirm/cancel links: single-purpose, bound to one appointment's
revision and one action, expiring, used once.

A token is ``base64url(payload) . base64url(HMAC-SHA256(payload))`` with a key
derived from the app's secret for this purpose only. The payload holds the
appointment id, its revision, the action, the expiry and a random nonce; the
SHA-256 of the whole token is its id, stored when it is used (so it works
once). Nothing about the patient is in it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

UTC = dt.timezone.utc
ACTIONS = ("confirm", "cancel")
VERSION = "r1"
_key: dict[str, bytes] = {}


def configure(secret_key: str) -> None:
    _key["links"] = hashlib.sha256(b"clinic-reminder-links|" + secret_key.encode()).digest()


def _secret() -> bytes:
    if "links" not in _key:
        raise RuntimeError("reminder links have no key: call clinic.reminders.services.configure()")
    return _key["links"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class BadLink(Exception):
    """Not a link we made, or altered."""


@dataclass(frozen=True)
class Link:
    appointment_id: int
    revision: int
    action: str
    expires_at: dt.datetime
    token_id: str


def make_token(appointment_id: int, revision: int, action: str, expires_at: dt.datetime) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown link action {action!r}")
    payload = f"{VERSION}|{appointment_id}|{revision}|{action}|{int(expires_at.timestamp())}|{secrets.token_hex(6)}"
    raw = payload.encode()
    return f"{_b64(raw)}.{_b64(hmac.new(_secret(), raw, hashlib.sha256).digest())}"


def read_token(token: str) -> Link:
    """The link's facts, or BadLink. Expiry and use are the caller's to judge."""
    if len(token) > 200 or token.count(".") != 1:
        raise BadLink()
    body, mac = token.split(".")
    try:
        raw, given = _unb64(body), _unb64(mac)
    except (binascii.Error, ValueError):
        raise BadLink() from None
    if not hmac.compare_digest(given, hmac.new(_secret(), raw, hashlib.sha256).digest()):
        raise BadLink()
    try:
        version, appointment_id, revision, action, expires, _nonce = raw.decode().split("|")
        facts = int(appointment_id), int(revision), int(expires)
    except ValueError:
        raise BadLink() from None
    if version != VERSION or action not in ACTIONS:
        raise BadLink()
    return Link(appointment_id=facts[0], revision=facts[1], action=action,
                expires_at=dt.datetime.fromtimestamp(facts[2], UTC),
                token_id=hashlib.sha256(token.encode()).hexdigest()[:40])
