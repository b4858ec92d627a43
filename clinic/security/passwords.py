"""Passwords: argon2id hashes with OWASP's parameters, and the policy.

OWASP's Password Storage Cheat Sheet recommends argon2id with 19 MiB of
memory, 2 iterations and 1 lane as its minimum; we use exactly that, so a
low-end clinic server signs in quickly. Hashes made with other parameters
are rehashed at the next successful sign-in.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 128
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
# Verified against when the email is unknown, so both answers take as long.
_DUMMY_HASH = HASHER.hash("not a real password, only for timing")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        _burn(password)
        return False
    try:
        return HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _burn(password: str) -> None:
    try:
        HASHER.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#"))


def _looks_common(password: str) -> bool:
    lowered = password.lower()
    common = common_passwords()
    if lowered in common:
        return True
    core_plain = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lowered)
    core = core_plain.translate(_LEET)
    for candidate in {core, core_plain}:
        if not candidate or candidate in common:
            return True
        # "passwordpassword", "abcabcabcabc": one short unit repeated
        for size in range(1, len(candidate) // 2 + 1):
            if len(candidate) % size == 0 and candidate[:size] * (len(candidate) // size) == candidate:
                return True
    digits = re.sub(r"\D", "", lowered)
    if len(digits) == len(lowered) and (digits in "01234567890123456789" or digits in "98765432109876543210"):
        return True
    return False


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a new password is not acceptable, in words for the form, or None."""
    password = unicodedata.normalize("NFC", password)
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters. A few unrelated words make a strong, memorable password."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    email = email.lower().strip()
    local_part = email.split("@", 1)[0]
    if email and (lowered == email or (len(local_part) >= 4 and local_part in lowered)):
        return "Do not use your email address in your password."
    for part in name.lower().split():
        if len(part) >= 4 and part in lowered and len(lowered) - len(part) < 8:
            return "Do not build your password around your name."
    if _looks_common(password):
        return "This password is too common and would be guessed quickly. Choose something less predictable."
    return None
