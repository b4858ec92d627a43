"""Passwords: argon2id hashes with OWASP's parameters, and the policy.

OWASP's Password Storage Cheat Sheet recommends argon2id with 19 MiB of
memory, 2 iterations and 1 lane as its minimum; we use exactly that, so a
low-end clinic server signs in quickly. Hashes made with other parameters
are rehashed at the next successful sign-in.

A new password must have at least 12 characters, not be built on the
person's email or name, not be (a near copy of) the demo clinic's published
passwords, and be hard to guess by the estimate of zxcvbn, Dropbox's
strength estimator: it knows tens of thousands of common passwords, English
words, names, keyboard rows, dates, repeats and l33t spellings, and is told
the clinic's own words (its name, the person's name and email, "demo").
It must put the password at 10^10 guesses or more, its top score, and also
put its core (digits and symbols at the ends taken off) and the password
without symbols above a common word or number: zxcvbn charges added digits
and symbols more than crackers' rules do. Together these refuse everything
the list of 2,000 common passwords we shipped before refused (checked with
each word padded, capitalised and wrapped in digits and symbols).
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Callable

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from clinic.security.permissions import Role

MIN_LENGTH = 12
MAX_LENGTH = 128
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
# Verified against when the email is unknown, so both answers take as long.
_DUMMY_HASH = HASHER.hash("not a real password, only for timing")
# zxcvbn's top score: an estimated 10^10 guesses or more.
MIN_GUESSES_LOG10 = 10
# ...and what is left once digits and symbols are taken off both ends: more
# than a common word (zxcvbn ranks a word by how common it is).
MIN_CORE_GUESSES_LOG10 = 5
# ...and what is left without any symbols: more than a common word or number
# with digits added ("fish2026").
MIN_WITHOUT_SYMBOLS_GUESSES_LOG10 = 7
# zxcvbn refuses longer input; a password this long is judged by its start.
ESTIMATED_LENGTH = 72
# Published in README and printed by `clinic demo`: refused as anyone's real password.
DEMO_PASSWORD = "demo-{role}-password-2026"
ADVICE = "Add another word or two: a few unrelated words make a strong, memorable password."
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


def demo_password(role: str) -> str:
    return DEMO_PASSWORD.format(role=role)


@lru_cache(maxsize=1)
def _estimator() -> Callable[..., dict]:
    # Imported on first use: about 14 MB and 50 ms that a web process spends
    # only when someone chooses a password.
    from zxcvbn import zxcvbn

    return zxcvbn


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower().translate(_LEET))


def _near_demo_password(password: str) -> bool:
    """A published demo password, whatever its separators, digits, case or l33t."""
    mine = _letters(password)
    if "demo" in mine and "password" in mine:  # the scheme's fixed words, in any order
        return True
    for role in Role:
        published = _letters(demo_password(role.value))
        if published in mine or SequenceMatcher(None, mine, published).ratio() >= 0.8:
            return True
    return False


def _context_words(email: str, name: str, clinic_name: str) -> list[str]:
    words = {"demo", "clinic", "password", *(role.value for role in Role)}
    for text in (email, email.split("@", 1)[0], name, clinic_name):
        text = text.lower().strip()
        if text:
            words.add(text)
            words.update(part for part in re.split(r"[\W_]+", text) if len(part) >= 3)
    return sorted(words)


def _too_easy(password: str, context: list[str]) -> str | None:
    def guesses_log10(text: str) -> float:
        return _estimator()(text[:ESTIMATED_LENGTH], user_inputs=context)["guesses_log10"]

    # zxcvbn charges each added character and each extra piece dearly, so
    # "Lucky!2026!!" and "!!69692025##" score well, while crackers try a common
    # word or number with digits and symbols around it first: the core (without
    # digits and symbols at the ends) and the password without its symbols must
    # not be common on their own.
    def padded() -> bool:
        core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", password)
        without_symbols = re.sub(r"[\W_]+", "", password)
        return bool(core and core != password and guesses_log10(core) < MIN_CORE_GUESSES_LOG10) or (
            without_symbols != password
            and (not without_symbols or guesses_log10(without_symbols) < MIN_WITHOUT_SYMBOLS_GUESSES_LOG10))

    estimate = _estimator()(password[:ESTIMATED_LENGTH], user_inputs=context)
    warning = estimate["feedback"]["warning"]
    strong = estimate["guesses_log10"] >= MIN_GUESSES_LOG10
    if strong or not warning:
        if padded():
            return ("This password would be too easy to guess: digits and symbols added to a common word or "
                    "number are among the first things tried. " + ADVICE)
        if strong:
            return None
    parts = ["This password would be too easy to guess."]
    if warning:
        parts.append(warning.rstrip(".") + ".")
    # The first suggestion is the one that matters most; a list of them reads like a lecture.
    suggestions = estimate["feedback"]["suggestions"]
    parts.append(suggestions[0] if suggestions else ADVICE)
    return " ".join(parts)


def password_problem(password: str, *, email: str = "", name: str = "", clinic_name: str = "") -> str | None:
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
    if _near_demo_password(password):
        return "This is one of the demo clinic's published passwords, or close to one. Choose your own."
    return _too_easy(password, _context_words(email, name, clinic_name))
