"""Medical record numbers: short, unique, and hard to mistype.

Six random digits and a Luhn check digit ("104237-3" is shown, "1042373"
stored): a transposed or mistyped digit is caught before it finds the wrong
patient, and numbers do not reveal how many patients the clinic has.
"""

from __future__ import annotations

import random
import secrets


def luhn_check_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def new_mrn(rng: random.Random | None = None) -> str:
    body = str((rng.randrange(100000, 1000000)) if rng else secrets.randbelow(900000) + 100000)
    return body + luhn_check_digit(body)


def is_valid_mrn(value: str) -> bool:
    value = value.replace("-", "").replace(" ", "")
    return len(value) == 7 and value.isascii() and value.isdigit() and luhn_check_digit(value[:-1]) == value[-1]


def format_mrn(value: str) -> str:
    return f"{value[:-1]}-{value[-1]}" if len(value) == 7 else value
