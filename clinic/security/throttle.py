"""Counting failed sign-ins per account and per client address.

After five consecutive failures an account is paused for a minute, then two,
four... up to thirty; while paused even the right password is refused. The
same counter runs for an email address nobody has, so the behaviour never
reveals whether an account exists. A client address gets twenty free
failures across all accounts before the same growing pauses apply to it.
"""

from __future__ import annotations

import datetime as dt

from clinic.core import clock
from clinic.db.errors import IntegrityViolation, WriteConflict
from clinic.db.pruning import delete_in_batches
from clinic.db.transactions import for_update
from clinic.security.tables import SignInThrottle

UTC = dt.timezone.utc
ACCOUNT_FREE_FAILURES = 5
# Wrong authenticator/recovery codes, counted per account after the password
# was right (6-digit codes: five guesses, then growing pauses).
CODE_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20
LONGEST_PAUSE = dt.timedelta(minutes=30)
# An address's count starts over after this long without a failure.
ADDRESS_MEMORY = dt.timedelta(minutes=15)
# An account's (or its codes') count is deleted after this long without a failure.
ACCOUNT_MEMORY = dt.timedelta(days=1)


def account_key(email: str) -> str:
    return "account:" + email.strip().lower()[:250]


def code_key(staff_id: int) -> str:
    return f"codes:{staff_id}"


def address_key(address: str) -> str:
    return "address:" + address[:64]


def pause_after(failures: int, free: int) -> dt.timedelta | None:
    if failures < free:
        return None
    return min(dt.timedelta(minutes=2 ** (failures - free)), LONGEST_PAUSE)


async def locked_until(key: str) -> dt.datetime | None:
    row = await SignInThrottle.select(SignInThrottle.locked_until).where(SignInThrottle.key == key).first()
    if row and row["locked_until"] and row["locked_until"] > clock.now():
        return row["locked_until"]
    return None


async def paused_keys(keys: list[str]) -> set[str]:
    """Which of these keys are paused now (one query, for lists)."""
    if not keys:
        return set()
    rows = await SignInThrottle.select(SignInThrottle.key).where(
        SignInThrottle.key.is_in(keys) & (SignInThrottle.locked_until > clock.now()))
    return {row["key"] for row in rows}


async def note_failure(key: str, free: int) -> dt.datetime | None:
    """Count one more failure; returns when the pause it causes ends, if any."""
    now = clock.now()
    engine = SignInThrottle._meta.db
    for _ in range(3):  # a concurrent first failure may insert the row under us (or deadlock on MySQL)
        try:
            async with engine.transaction():
                row = await for_update(SignInThrottle.select().where(SignInThrottle.key == key)).first()
                failures = 1
                if row:
                    stale = key.startswith("address:") and now - row["updated_at"] > ADDRESS_MEMORY
                    failures = 1 if stale else row["failures"] + 1
                pause = pause_after(failures, free)
                until = now + pause if pause else None
                if row:
                    await SignInThrottle.update(
                        {SignInThrottle.failures: failures, SignInThrottle.locked_until: until,
                         SignInThrottle.updated_at: now}
                    ).where(SignInThrottle.id == row["id"])
                else:
                    await SignInThrottle.insert(
                        SignInThrottle(key=key, failures=failures, locked_until=until, updated_at=now)
                    )
                return until
        except (IntegrityViolation, WriteConflict):
            continue
    return None


async def clear(key: str) -> None:
    await SignInThrottle.delete().where(SignInThrottle.key == key)


async def failures(key: str) -> int:
    row = await SignInThrottle.select(SignInThrottle.failures).where(SignInThrottle.key == key).first()
    return row["failures"] if row else 0


async def forget_old_failures(now: dt.datetime | None = None) -> int:
    """Delete counts nobody has added to for a while and that pause nobody (a job, hourly)."""
    now = now or clock.now()
    unlocked = SignInThrottle.locked_until.is_null() | (SignInThrottle.locked_until <= now)
    quiet_addresses = (
        SignInThrottle.key.like("address:%") & (SignInThrottle.updated_at < now - ADDRESS_MEMORY) & unlocked
    )
    quiet_accounts = (SignInThrottle.updated_at < now - ACCOUNT_MEMORY) & unlocked
    return await delete_in_batches(SignInThrottle, quiet_addresses) + await delete_in_batches(
        SignInThrottle, quiet_accounts
    )
