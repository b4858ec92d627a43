"""Litestar's Store on our own database, so every app instance shares it.

Used by the rate limiter on sign-in and MFA: with an in-memory store each
instance would count attempts separately and an attacker would get N times
the allowance.
"""

from __future__ import annotations

import datetime as dt

from litestar.stores.base import NamespacedStore

from clinic.core import clock
from clinic.db.errors import IntegrityViolation
from clinic.db.pruning import delete_in_batches
from clinic.security.tables import StoredValue

UTC = dt.timezone.utc


def _expiry(expires_in: int | dt.timedelta | None) -> dt.datetime | None:
    if expires_in is None:
        return None
    seconds = expires_in.total_seconds() if isinstance(expires_in, dt.timedelta) else expires_in
    return clock.now() + dt.timedelta(seconds=seconds)


class DatabaseStore(NamespacedStore):
    def __init__(self, namespace: str = "litestar"):
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> "DatabaseStore":
        return DatabaseStore(f"{self.namespace}_{namespace}")

    def _where(self, key: str):
        return (StoredValue.namespace == self.namespace) & (StoredValue.key == key[:255])

    async def set(self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None) -> None:
        data = value.encode("utf-8") if isinstance(value, str) else value
        expires_at = _expiry(expires_in)
        for _ in range(2):
            updated = await StoredValue.select(StoredValue.id).where(self._where(key)).first()
            if updated:
                await StoredValue.update({StoredValue.value: data, StoredValue.expires_at: expires_at}).where(
                    StoredValue.id == updated["id"]
                )
                return
            try:
                await StoredValue.insert(StoredValue(namespace=self.namespace, key=key[:255], value=data,
                                                     expires_at=expires_at))
                return
            except IntegrityViolation:
                continue  # another request inserted it first: update instead

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        row = await StoredValue.select(StoredValue.id, StoredValue.value, StoredValue.expires_at).where(
            self._where(key)
        ).first()
        if row is None:
            return None
        if row["expires_at"] is not None and row["expires_at"] <= clock.now():
            await StoredValue.delete().where(StoredValue.id == row["id"])
            return None
        if renew_for is not None and row["expires_at"] is not None:
            await StoredValue.update({StoredValue.expires_at: _expiry(renew_for)}).where(StoredValue.id == row["id"])
        return bytes(row["value"])

    async def increment(self, key: str, expires_in: int | dt.timedelta) -> int:
        """Add one to a counter (created expiring in ``expires_in``) and return it: one read, one write.

        For per-person rate limits: two instances adding at the same moment may
        count one less, which a limit can afford; an extra statement per search could not.
        """
        row = await StoredValue.select(StoredValue.id, StoredValue.value).where(self._where(key)).first()
        if row is not None:
            count = int(bytes(row["value"]) or b"0") + 1
            await StoredValue.update({StoredValue.value: str(count).encode()}).where(StoredValue.id == row["id"])
            return count
        try:
            await StoredValue.insert(StoredValue(namespace=self.namespace, key=key[:255], value=b"1",
                                                 expires_at=_expiry(expires_in)))
        except IntegrityViolation:
            return await self.increment(key, expires_in)  # another request created it just now
        return 1

    async def delete(self, key: str) -> None:
        await StoredValue.delete().where(self._where(key))

    async def delete_all(self) -> None:
        await StoredValue.delete().where(StoredValue.namespace == self.namespace)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = await StoredValue.select(StoredValue.expires_at).where(self._where(key)).first()
        if row is None or row["expires_at"] is None:
            return None
        return max(0, int((row["expires_at"] - clock.now()).total_seconds()))


async def delete_expired_values(now: dt.datetime | None = None) -> int:
    """Delete expired values of every namespace (a job, hourly); ``get`` would
    only delete the ones someone asks for again."""
    return await delete_in_batches(StoredValue, StoredValue.expires_at < (now or clock.now()))
