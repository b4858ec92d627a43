"""Server-side sessions, stored in the database so app instances share them.

Litestar's server-side session backend accepts whatever id a cookie carries,
even one it never issued (session fixation), so we do not use it. Here:

- a session token is 256 random bits; the database keeps only its SHA-256,
  so a copy of the database holds no usable session;
- a cookie with a token we did not issue, or one that has ended, is ignored
  (and cleared);
- the token changes at sign-in, at MFA completion and whenever the user's
  privileges change (role changes and deactivation end all their sessions);
- sessions end after an idle period (15 minutes by default) and after an
  absolute lifetime (12 hours), whatever the activity.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field

from clinic.core import clock
from clinic.db.pruning import delete_in_batches
from clinic.security.permissions import permissions_of
from clinic.security.tables import StaffSession

UTC = dt.timezone.utc
ACTIVE = "active"
# Steps a session may still owe before it is fully signed in.
STAGE_MFA = "mfa"
STAGE_MFA_ENROL = "mfa_enrol"
STAGE_PASSWORD = "password_change"
# Don't write last_seen_at on every request; idle accuracy of a few seconds is plenty.
TOUCH_EVERY = dt.timedelta(seconds=20)
# A session that has passed the password but still owes a step (a code, a new
# password, enrolment) must finish it soon: it cannot be kept alive for hours
# while someone guesses codes.
STEP_LIFETIME = dt.timedelta(minutes=10)
# Sessions are deleted this long after their absolute expiry (every session,
# signed out or not, expires at most CLINIC_SESSION_MAX_HOURS after it
# began): a browser back after a long weekend still hears it was signed out.
KEPT_AFTER_EXPIRY = dt.timedelta(days=7)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def cookie_name(production: bool) -> str:
    return "__Host-clinic_session" if production else "clinic_session"


@dataclass(frozen=True)
class SessionPolicy:
    idle: dt.timedelta
    lifetime: dt.timedelta
    reauth: dt.timedelta


@dataclass
class CurrentUser:
    """The signed-in member of staff, as the request sees them."""

    id: int
    email: str
    full_name: str
    display_name: str
    role: str
    mfa_enabled: bool
    session_id: int
    stage: str
    confirmed_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    started_at: dt.datetime
    permissions: frozenset[str] = field(default_factory=frozenset)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def name(self) -> str:
        return self.display_name or self.full_name


async def start_session(staff_id: int, *, stage: str, policy: SessionPolicy, client_address: str,
                        user_agent: str) -> str:
    """A new session (a new token): used at every sign-in."""
    now = clock.now()
    token = new_token()
    await StaffSession.insert(
        StaffSession(
            token_hash=token_digest(token),
            staff=staff_id,
            stage=stage,
            created_at=now,
            last_seen_at=now,
            confirmed_at=now,
            expires_at=now + policy.lifetime,
            client_address=client_address[:64],
            user_agent=user_agent[:200],
        )
    )
    return token


async def rotate(session_id: int, *, stage: str | None = None, confirmed: bool = False) -> str:
    """Give a live session a new token (and maybe a new stage); the old token stops working."""
    token = new_token()
    changes: dict = {StaffSession.token_hash: token_digest(token)}
    if stage is not None:
        changes[StaffSession.stage] = stage
    if confirmed:
        changes[StaffSession.confirmed_at] = clock.now()
    await StaffSession.update(changes).where(StaffSession.id == session_id)
    return token


# Every request reads its session: the statement Piccolo would build for this select with a
# join to staff, written once. Building it cost more than running it (the join's columns
# alone took a millisecond of Piccolo's attribute look-ups on every request).
SESSION_BY_TOKEN = (
    'SELECT s."id", s."stage", s."last_seen_at", s."expires_at", s."confirmed_at", s."ended_at", s."created_at", '
    'st."id" AS "staff_id", st."email", st."full_name", st."display_name", st."role", st."active", '
    'st."mfa_enabled" FROM "staff_session" s LEFT JOIN "staff" st ON st."id" = s."staff" '
    'WHERE s."token_hash" = {} LIMIT 1'
)


async def load(token: str, policy: SessionPolicy) -> tuple[CurrentUser | None, str]:
    """The user behind a cookie token, or (None, why): unknown, idle, expired, inactive."""
    rows = await StaffSession.raw(SESSION_BY_TOKEN, token_digest(token))
    row = rows[0] if rows else None
    if row is None or row["ended_at"] is not None:
        return None, "unknown"
    now = clock.now()
    reason = ""
    if not row["active"]:
        reason = "deactivated"
    elif now >= row["expires_at"]:
        reason = "expired"
    elif now - row["last_seen_at"] >= policy.idle:
        reason = "idle"
    elif row["stage"] != ACTIVE and now - row["created_at"] >= STEP_LIFETIME:
        reason = "step not finished"
    if reason:
        await end(row["id"], reason)
        return None, reason
    user = CurrentUser(
        id=row["staff_id"],
        email=row["email"],
        full_name=row["full_name"],
        display_name=row["display_name"],
        role=row["role"],
        mfa_enabled=row["mfa_enabled"],
        session_id=row["id"],
        stage=row["stage"],
        confirmed_at=row["confirmed_at"],
        last_seen_at=row["last_seen_at"],
        expires_at=row["expires_at"],
        started_at=row["created_at"],
        permissions=permissions_of(row["role"]) if row["stage"] == ACTIVE else frozenset(),
    )
    return user, ""


async def touch(user: CurrentUser, *, force: bool = False) -> None:
    now = clock.now()
    if force or now - user.last_seen_at >= TOUCH_EVERY:
        await StaffSession.update({StaffSession.last_seen_at: now}).where(StaffSession.id == user.session_id)
        user.last_seen_at = now


async def confirm(session_id: int) -> None:
    await StaffSession.update({StaffSession.confirmed_at: clock.now()}).where(StaffSession.id == session_id)


async def end(session_id: int, reason: str) -> None:
    await StaffSession.update({StaffSession.ended_at: clock.now(), StaffSession.end_reason: reason}).where(
        (StaffSession.id == session_id) & StaffSession.ended_at.is_null()
    )


async def end_all(staff_id: int, reason: str, *, except_session: int | None = None) -> None:
    condition = (StaffSession.staff == staff_id) & StaffSession.ended_at.is_null()
    if except_session is not None:
        condition &= StaffSession.id != except_session
    await StaffSession.update({StaffSession.ended_at: clock.now(), StaffSession.end_reason: reason}).where(
        condition
    )


async def live_sessions(staff_id: int, policy: SessionPolicy) -> list[dict]:
    now = clock.now()
    rows = await (
        StaffSession.select(
            StaffSession.id, StaffSession.created_at, StaffSession.last_seen_at, StaffSession.expires_at,
            StaffSession.client_address, StaffSession.user_agent, StaffSession.stage,
        )
        .where((StaffSession.staff == staff_id) & StaffSession.ended_at.is_null())
        .order_by(StaffSession.last_seen_at, ascending=False)
    )
    return [row for row in rows if row["expires_at"] > now and now - row["last_seen_at"] < policy.idle]


async def delete_old_sessions(now: dt.datetime | None = None) -> int:
    """Delete sessions that expired more than KEPT_AFTER_EXPIRY ago (a job, hourly)."""
    cutoff = (now or clock.now()) - KEPT_AFTER_EXPIRY
    return await delete_in_batches(StaffSession, StaffSession.expires_at < cutoff)
