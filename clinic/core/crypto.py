"""Field encryption: AES-256-GCM with a key ring, and keyed blind indexes.

A value is stored as ``enc1:<key id>:<base64(nonce | ciphertext | tag)>``.
Each value gets a fresh random 96-bit nonce. The associated data binds it to
where it belongs (``table.column.row-id``) and to its key id, so a value
copied to another row or column, or relabelled with another key id, fails to
decrypt instead of showing the wrong patient's data.

Keys come from CLINIC_ENCRYPTION_KEYS, ``id:base64key`` pairs separated by
commas: the first encrypts, all decrypt, so a new key can be put in front and
``clinic rotate-keys`` re-encrypts everything under it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc1"
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class KeyError_(ValueError):
    """A key setting is malformed (raised while loading settings)."""


class DecryptionFailed(Exception):
    """The value was tampered with, moved, or its key is not in the ring.

    ``key_id`` names the key the value says it is under and ``context`` where
    it belongs (``table.column.row-id``): enough to log, never the value.
    """

    def __init__(self, message: str, *, key_id: str = "", context: str = ""):
        super().__init__(message)
        self.key_id = key_id
        self.context = context


class KeyNotInRing(DecryptionFailed):
    """The value is under a key that CLINIC_ENCRYPTION_KEYS does not hold (removed too early)."""


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key_setting(key_id: str) -> str:
    return f"{key_id}:{_b64encode(os.urandom(32))}"


@dataclass(frozen=True)
class Keyring:
    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, setting: str, name: str = "CLINIC_ENCRYPTION_KEYS") -> "Keyring":
        keys: list[tuple[str, bytes]] = []
        for item in [part.strip() for part in setting.split(",") if part.strip()]:
            if ":" not in item:
                raise KeyError_(f"{name}: each key is id:base64key (e.g. 2026a:{new_key_setting('x')[2:12]}...)")
            key_id, encoded = item.split(":", 1)
            if not KEY_ID.match(key_id):
                raise KeyError_(f"{name}: key id {key_id!r} must be 1-16 letters, digits, - or _")
            try:
                key = _b64decode(encoded)
            except (binascii.Error, ValueError):
                raise KeyError_(f"{name}: key {key_id!r} is not valid base64") from None
            if len(key) != 32:
                raise KeyError_(f"{name}: key {key_id!r} must be 32 bytes (256 bits), got {len(key)}")
            if key_id in dict(keys):
                raise KeyError_(f"{name}: key id {key_id!r} appears twice")
            keys.append((key_id, key))
        if not keys:
            raise KeyError_(f"{name} has no keys")
        return cls(tuple(keys))

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def has(self, key_id: str) -> bool:
        return any(candidate == key_id for candidate, _ in self.keys)

    def _key(self, key_id: str, context: str) -> bytes:
        for candidate, key in self.keys:
            if candidate == key_id:
                return key
        raise KeyNotInRing(f"key {key_id!r} is not in the key ring", key_id=key_id, context=context)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        key_id, key = self.keys[0]
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), f"{key_id}|{context}".encode())
        return f"{PREFIX}:{key_id}:{_b64encode(nonce + sealed)}"

    def decrypt(self, token: str, *, context: str) -> str:
        try:
            prefix, key_id, body = token.split(":", 2)
            raw = _b64decode(body)
        except (ValueError, binascii.Error):
            raise DecryptionFailed("not an encrypted value", context=context) from None
        if prefix != PREFIX or len(raw) < 12 + 16:
            raise DecryptionFailed("not an encrypted value", context=context)
        try:
            plain = AESGCM(self._key(key_id, context)).decrypt(raw[:12], raw[12:], f"{key_id}|{context}".encode())
        except InvalidTag:
            raise DecryptionFailed("the value does not belong here or was altered", key_id=key_id,
                                   context=context) from None
        return plain.decode("utf-8")

    def key_id_of(self, token: str) -> str | None:
        parts = token.split(":", 2)
        return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


def is_encrypted(value: str | None) -> bool:
    return bool(value) and value.startswith(PREFIX + ":")


def keyed_digest(key: bytes, *parts: str) -> str:
    """HMAC-SHA-256 over parts (for blind indexes and one-time codes)."""
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def derive_key(secret: str, purpose: str) -> bytes:
    """A separate key per purpose from one secret (HKDF-style, HMAC-SHA-256)."""
    return hmac.new(secret.encode("utf-8"), f"clinic:{purpose}".encode(), hashlib.sha256).digest()
