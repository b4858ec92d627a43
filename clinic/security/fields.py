"""Encrypted columns: which they are, sealing and opening values, rotation.

Each domain registers its sensitive columns next to its tables
(``register(Patient, "national_id", index="national_id_index")``). A value is
bound to its table, column and row id (see crypto.py), so it is sealed after
the row exists. Exact-match look-ups go through a keyed HMAC "blind index"
column, never through decrypting every row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import AsyncIterator, Callable

from piccolo.table import Table

from clinic.core.crypto import DecryptionFailed, Keyring, derive_key, is_encrypted, keyed_digest


@dataclass(frozen=True)
class EncryptedField:
    table: type[Table]
    column: str
    index: str | None = None


_registry: list[EncryptedField] = []
_cipher: "FieldCipher | None" = None


def register(table: type[Table], column: str, *, index: str | None = None) -> None:
    entry = EncryptedField(table, column, index)
    if entry not in _registry:
        _registry.append(entry)


def encrypted_fields() -> list[EncryptedField]:
    return list(_registry)


class FieldCipher:
    def __init__(self, keyring: Keyring, index_secret: str):
        self.keyring = keyring
        self._index_key = derive_key(index_secret, "blind-index")

    @staticmethod
    def context(table: type[Table], column: str, row_id: int) -> str:
        return f"{table._meta.tablename}.{column}.{row_id}"

    def seal(self, table: type[Table], column: str, row_id: int, plaintext: str) -> str:
        if not plaintext:
            return ""
        return self.keyring.encrypt(plaintext, context=self.context(table, column, row_id))

    def open(self, table: type[Table], column: str, row_id: int, token: str) -> str:
        if not token:
            return ""
        return self.keyring.decrypt(token, context=self.context(table, column, row_id))

    def blind_index(self, table: type[Table], column: str, normalised_value: str) -> str:
        if not normalised_value:
            return ""
        return keyed_digest(self._index_key, table._meta.tablename, column, normalised_value)


def configure(keyring: Keyring, index_secret: str) -> None:
    global _cipher
    _cipher = FieldCipher(keyring, index_secret)


def cipher() -> FieldCipher:
    if _cipher is None:
        raise RuntimeError("field encryption is not configured: call clinic.security.fields.configure()")
    return _cipher


def column_name(item: EncryptedField) -> str:
    return f"{item.table._meta.tablename}.{item.column}"


async def _stored_values(item: EncryptedField, batch_size: int) -> AsyncIterator[tuple[int, str]]:
    """(row id, stored value) for every non-empty value of a column, in id order, a batch at a time."""
    table, column = item.table, getattr(item.table, item.column)
    last_id = 0
    while True:
        rows = await (
            table.select(table._meta.primary_key, column)
            .where((table._meta.primary_key > last_id) & (column != ""))
            .order_by(table._meta.primary_key)
            .limit(batch_size)
        )
        if not rows:
            return
        for row in rows:
            last_id = row["id"]
            yield row["id"], row[item.column]


async def key_census(batch_size: int = 500) -> dict[str, Counter]:
    """For each registered column: how many values are under each key id."""
    census: dict[str, Counter] = {}
    for item in encrypted_fields():
        counts: Counter = Counter()
        async for _, token in _stored_values(item, batch_size):
            if is_encrypted(token):
                counts[cipher().keyring.key_id_of(token)] += 1
        census[column_name(item)] = counts
    return census


def missing_keys(census: dict[str, Counter], keyring: Keyring) -> dict[str, dict[str, int]]:
    """Key ids that stored values are under but the key ring lacks: {key id: {column: count}}."""
    missing: dict[str, dict[str, int]] = {}
    for name, counts in census.items():
        for key_id, count in counts.items():
            if not keyring.has(key_id):
                missing.setdefault(key_id, {})[name] = count
    return missing


def describe_missing(missing: dict[str, dict[str, int]]) -> str:
    """One line: 'values under key X which is not in CLINIC_ENCRYPTION_KEYS (where: how many)'."""
    return "; ".join(
        f"values under key {key_id} which is not in CLINIC_ENCRYPTION_KEYS ("
        + ", ".join(f"{name}: {count}" for name, count in sorted(columns.items())) + ")"
        for key_id, columns in sorted(missing.items())
    )


class KeysMissing(Exception):
    """Stored values are under keys the ring does not hold; nothing was changed."""

    def __init__(self, missing: dict[str, dict[str, int]]):
        super().__init__(describe_missing(missing))
        self.missing = missing


@dataclass
class Rotation:
    re_encrypted: dict[str, int] = field(default_factory=dict)
    # (column, row id) of values under a key we hold that still do not decrypt: altered or moved.
    unreadable: list[tuple[str, int]] = field(default_factory=list)
    # After the pass: values still not under the current key, per column (written meanwhile by an
    # app that still has the old key first, or unreadable). Empty means done.
    left_behind: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return not self.left_behind


async def rotate_keys(report: Callable[[str], None] = lambda line: None, batch_size: int = 200) -> Rotation:
    """Re-encrypt every value not under the newest key. Safe to run again after an interruption.

    Refuses (KeysMissing) before changing anything if some values are under a
    key the ring no longer holds. Each value is swapped only if it is still
    the one that was read (compare and set), so a concurrent edit is never
    overwritten with stale data. Afterwards every registered column is
    counted again: "done" means no value anywhere is under another key.
    """
    keyring = cipher().keyring
    missing = missing_keys(await key_census(), keyring)
    if missing:
        raise KeysMissing(missing)
    current = keyring.current_id
    rotation = Rotation()
    for item in encrypted_fields():
        table, column, name = item.table, getattr(item.table, item.column), column_name(item)
        done = 0
        async for row_id, token in _stored_values(item, batch_size):
            if not is_encrypted(token) or keyring.key_id_of(token) == current:
                continue
            try:
                plaintext = cipher().open(table, item.column, row_id, token)
            except DecryptionFailed:
                rotation.unreadable.append((name, row_id))
                report(f"{name}: the value in row {row_id} does not decrypt (altered or moved); left as it is")
                continue
            await table.update({column: cipher().seal(table, item.column, row_id, plaintext)}).where(
                (table._meta.primary_key == row_id) & (column == token)
            )
            done += 1
        rotation.re_encrypted[name] = done
        report(f"{name}: {done} value(s) re-encrypted under key {current}")
    for name, counts in (await key_census()).items():
        behind = sum(count for key_id, count in counts.items() if key_id != current)
        if behind:
            rotation.left_behind[name] = behind
    return rotation
