"""Encrypted columns: which they are, sealing and opening values, rotation.

Each domain registers its sensitive columns next to its tables
(``register(Patient, "national_id", index="national_id_index")``). A value is
bound to its table, column and row id (see crypto.py), so it is sealed after
the row exists. Exact-match look-ups go through a keyed HMAC "blind index"
column, never through decrypting every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from piccolo.table import Table

from clinic.core.crypto import Keyring, derive_key, is_encrypted, keyed_digest


@dataclass(frozen=True)
class EncryptedField:
    table: type[Table]
    column: str
    index: str | None = None


_registry: list[EncryptedField] = []
_cipher: "FieldCipher | None" = None


def register(table: type[Table], column: str, *, index: str | None = None) -> None:
    field = EncryptedField(table, column, index)
    if field not in _registry:
        _registry.append(field)


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


async def rotate_keys(report: Callable[[str], None] = lambda line: None, batch_size: int = 200) -> dict[str, int]:
    """Re-encrypt every value not under the newest key. Safe to run again after an interruption.

    Each value is swapped only if it is still the one that was read (compare
    and set), so a concurrent edit is never overwritten with stale data.
    """
    current = cipher().keyring.current_id
    counts: dict[str, int] = {}
    for field in encrypted_fields():
        table, column = field.table, getattr(field.table, field.column)
        name = f"{table._meta.tablename}.{field.column}"
        done = 0
        last_id = 0
        while True:
            rows = await (
                table.select(table._meta.primary_key, column)
                .where((table._meta.primary_key > last_id) & (column != ""))
                .order_by(table._meta.primary_key)
                .limit(batch_size)
            )
            if not rows:
                break
            for row in rows:
                row_id, token = row["id"], row[field.column]
                last_id = row_id
                if not is_encrypted(token) or cipher().keyring.key_id_of(token) == current:
                    continue
                plaintext = cipher().open(table, field.column, row_id, token)
                await table.update({column: cipher().seal(table, field.column, row_id, plaintext)}).where(
                    (table._meta.primary_key == row_id) & (column == token)
                )
                done += 1
        counts[name] = done
        report(f"{name}: {done} value(s) re-encrypted under key {current}")
    return counts
