"""Counting failed password checks: guessing is slow, and nobody can lock others out.

Every wrong password (at sign-in, when confirming identity, when changing it)
adds to three counters, kept for an email address nobody has exactly as for
a real one, so the behaviour never reveals whether an account exists:

- per account *and* client address (``pair:``): five free failures, then
  pauses of 1, 2, 4... up to 30 minutes, during which even the right password
  is refused from that address. This is what slows a guesser, and it pauses
  only the guesser's address: failures from elsewhere never lock out the
  person at their desk.
- per client address across all accounts (``address:``): twenty free failures
  (forgotten after 15 quiet minutes), then the same growing pauses.
- per account from anywhere (``account:``): a ceiling of 100 consecutive
  failures, the most NIST SP 800-63B (5.2.2) allows, against guessing spread
  over many addresses. Reaching it pauses the account for everyone for an
  hour, and for another hour after each failure once that has passed, until
  the right password is given, an administrator unlocks it (staff screen)
  or an operator runs ``clinic unlock EMAIL``.

The right password clears the account's counter and this address's pair;
other addresses stay paused. Wrong authenticator and recovery codes have a
counter of their own per account (``codes:``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from clinic.core import clock
from clinic.db.errors import IntegrityViolation, WriteConflict
from clinic.db.pruning import delete_in_batches
from clinic.db.transactions import for_update
from clinic.security.tables import SignInThrottle

UTC = dt.timezone.utc
PAIR_FREE_FAILURES = 5
# Wrong authenticator/recovery codes, counted per account after the password
# was right (6-digit codes: five guesses, then growing pauses).
CODE_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20
ACCOUNT_CEILING = 100
CEILING_PAUSE = dt.timedelta(hours=1)
LONGEST_PAUSE = dt.timedelta(minutes=30)
# An address's count starts over after this long without a failure.
ADDRESS_MEMORY = dt.timedelta(minutes=15)
# Any other count is deleted after this long without a failure.
ACCOUNT_MEMORY = dt.timedelta(days=1)


def _email(email: str) -> str:
    return email.strip().lower()


def account_key(email: str) -> str:
    return "account:" + _email(email)[:250]


def address_key(address: str) -> str:
    return "address:" + address[:64]


def _pair_prefix(email: str) -> str:
    # A digest, not the email: the key stays within its column with any
    # address, and an account's pairs are found with LIKE on a prefix that has
    # no wildcard characters in it (emails may contain "_").
    return "pair:" + hashlib.sha256(_email(email).encode("utf-8")).hexdigest()[:32] + ":"


def pair_key(email: str, address: str) -> str:
    return _pair_prefix(email) + address[:64]


def code_key(staff_id: int) -> str:
    return f"codes:{staff_id}"


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


async def note_failure(key: str, free: int, *, fixed_pause: dt.timedelta | None = None) -> dt.datetime | None:
    """Count one more failure; returns when the pause it causes ends, if any.

    Past ``free`` failures the pauses grow, or are ``fixed_pause`` long when given.
    """
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
                if fixed_pause is not None:
                    pause = fixed_pause if failures >= free else None
                else:
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


# -- passwords: the three counters together -------------------------------------


def password_keys(email: str, address: str) -> list[str]:
    return [pair_key(email, address), address_key(address), account_key(email)]


async def password_paused(email: str, address: str) -> bool:
    """Is a password check for this account from this address paused now?"""
    return bool(await paused_keys(password_keys(email, address)))


async def note_wrong_password(email: str, address: str) -> bool:
    """Count a wrong password; True when it paused further checks."""
    paused = await note_failure(pair_key(email, address), PAIR_FREE_FAILURES)
    paused = await note_failure(address_key(address), ADDRESS_FREE_FAILURES) or paused
    paused = await note_failure(account_key(email), ACCOUNT_CEILING, fixed_pause=CEILING_PAUSE) or paused
    return paused is not None


async def note_right_password(email: str, address: str) -> None:
    await SignInThrottle.delete().where(
        SignInThrottle.key.is_in([pair_key(email, address), account_key(email)]))


async def unlock_account(email: str) -> int:
    """Clear the account's ceiling and every address's pause on it; how many counters went."""
    condition = (SignInThrottle.key == account_key(email)) | SignInThrottle.key.like(_pair_prefix(email) + "%")
    gone = await SignInThrottle.count().where(condition)
    await SignInThrottle.delete().where(condition)
    return gone


@dataclass(frozen=True)
class AccountPause:
    """What is paused for one account: for everyone (the ceiling), or at some addresses."""

    everywhere: bool = False
    addresses: int = 0

    def __bool__(self) -> bool:
        return self.everywhere or self.addresses > 0


async def pauses_of(emails: list[str]) -> dict[str, AccountPause]:
    """The pauses on these accounts now, by lower-cased email (two queries, for lists)."""
    if not emails:
        return {}
    now = clock.now()
    everywhere = await paused_keys([account_key(email) for email in emails])
    prefixes = {_pair_prefix(email): _email(email) for email in emails}
    condition = None
    for prefix in prefixes:
        like = SignInThrottle.key.like(prefix + "%")
        condition = like if condition is None else condition | like
    rows = await SignInThrottle.select(SignInThrottle.key).where((SignInThrottle.locked_until > now) & condition)
    addresses: dict[str, int] = {}
    for row in rows:
        key = row["key"]
        email = prefixes.get(key[:key.index(":", len("pair:")) + 1])  # addresses may hold ":" (IPv6)
        if email is not None:
            addresses[email] = addresses.get(email, 0) + 1
    return {_email(email): AccountPause(account_key(email) in everywhere, addresses.get(_email(email), 0))
            for email in emails}


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
