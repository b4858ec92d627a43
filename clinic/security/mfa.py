"""TOTP (RFC 6238) with pyotp, single-use codes, and recovery codes.

pyotp's ``verify`` accepts the same code again for as long as it is valid.
We find the time step a code belongs to (30 s steps, one step either side for
clock drift) and accept it only if it is later than the last step accepted for
that user; the check and the update happen under a row lock, so two parallel
submissions of one code cannot both succeed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
import segno

from clinic.core import clock
from clinic.core.crypto import Keyring, keyed_digest
from clinic.db.transactions import for_update
from clinic.security.fields import FieldCipher
from clinic.security.tables import RecoveryCode, Staff

STEP_SECONDS = 30
DRIFT_STEPS = 1
ISSUER = "Clinic"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def new_secret() -> str:
    """160 random bits, base32 (what authenticator apps expect)."""
    return pyotp.random_base32(32)


def enrolment_secret(key: bytes, session_token: str) -> str:
    """The secret offered while enrolling: 160 bits derived from this browser's session token.

    Nothing is stored until a code proves the app has it, so showing the
    setup page changes nothing, and showing it again offers the same secret
    (a code from an app that scanned the first page still works). The token
    is known only to the browser (the database keeps its hash) and changes
    when enrolment succeeds, so a later enrolment gets a new secret.
    """
    digest = hmac.new(key, session_token.encode("ascii", "replace"), hashlib.sha256).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


def secret_context(staff_id: int) -> str:
    # The same binding as every registered column, so key rotation can re-encrypt it.
    return FieldCipher.context(Staff, "totp_secret", staff_id)


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG (no external service, nothing to fetch)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#1c2430", light="#ffffff", omitsize=False,
                                                 title="Scan with your authenticator app")


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    code = "".join(ch for ch in code if ch in "0123456789")  # "١٢٣" is isdigit() but not a code
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int((time.time() if at is None else at) // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def code_for(secret: str, at: float | None = None) -> str:
    return pyotp.TOTP(secret, interval=STEP_SECONDS).at(time.time() if at is None else at)


async def accept_code(staff_id: int, code: str, keyring: Keyring) -> bool:
    """True once per code: verify it and record its time step atomically."""
    engine = Staff._meta.db
    async with engine.transaction():
        row = await for_update(
            Staff.select(Staff.totp_secret, Staff.totp_last_step, Staff.mfa_enabled).where(Staff.id == staff_id)
        ).first()
        if not row or not row["mfa_enabled"] or not row["totp_secret"]:
            return False
        secret = keyring.decrypt(row["totp_secret"], context=secret_context(staff_id))
        step = matching_step(secret, code)
        if step is None or (row["totp_last_step"] is not None and step <= row["totp_last_step"]):
            return False
        await Staff.update({Staff.totp_last_step: step}).where(Staff.id == staff_id)
        return True


async def enable(staff_id: int, secret: str, first_step: int, keyring: Keyring) -> None:
    await Staff.update(
        {
            Staff.totp_secret: keyring.encrypt(secret, context=secret_context(staff_id)),
            Staff.mfa_enabled: True,
            Staff.totp_last_step: first_step,
        }
    ).where(Staff.id == staff_id)


async def disable(staff_id: int) -> None:
    await Staff.update({Staff.totp_secret: "", Staff.mfa_enabled: False, Staff.totp_last_step: None}).where(
        Staff.id == staff_id
    )
    await RecoveryCode.delete().where(RecoveryCode.staff == staff_id)


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


async def replace_recovery_codes(staff_id: int, key: bytes) -> list[str]:
    """Ten new single-use codes (shown once); only their keyed hashes are kept."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    await RecoveryCode.delete().where(RecoveryCode.staff == staff_id)
    await RecoveryCode.insert(
        *[RecoveryCode(staff=staff_id, code_hash=keyed_digest(key, str(staff_id), normalise_recovery_code(code)))
          for code in codes]
    )
    return codes


async def use_recovery_code(staff_id: int, code: str, key: bytes) -> bool:

    digest = keyed_digest(key, str(staff_id), normalise_recovery_code(code))
    engine = RecoveryCode._meta.db
    async with engine.transaction():
        row = await for_update(
            RecoveryCode.select(RecoveryCode.id).where(
                (RecoveryCode.staff == staff_id) & (RecoveryCode.code_hash == digest) & RecoveryCode.used_at.is_null()
            )
        ).first()
        if not row:
            return False
        await RecoveryCode.update({RecoveryCode.used_at: clock.now()}).where(
            RecoveryCode.id == row["id"]
        )
        return True


async def recovery_codes_left(staff_id: int) -> int:
    return await RecoveryCode.count().where((RecoveryCode.staff == staff_id) & RecoveryCode.used_at.is_null())
