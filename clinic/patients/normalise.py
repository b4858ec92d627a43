"""Turning what people type into what we store and search on.

- Name keys: lower-case ASCII (``anyascii``: "José Ñúñez" -> "jose nunez"),
  maintained by the service layer and indexed, so a prefix search is a range
  query on an ordinary index on both backends ("jos" <= key < "jot").
- Phone numbers: parsed for the clinic's country with ``phonenumbers`` and
  stored as E.164; their digits are also stored reversed, so "the last four
  digits" is a prefix range query too.
- Dates in the clinic's usual order (MDY in the US), or ISO.

Parsing and showing dates and phone numbers belong to the clinic's locale
(``clinic.core.locale``); they are imported here so callers keep one import.
"""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers
from anyascii import anyascii

from clinic.core.locale import (  # noqa: F401  (re-exported for the patients screens)
    PhoneError,
    date_hint,
    format_date,
    format_phone,
    parse_date,
    parse_phone,
)

_NOT_KEY = re.compile(r"[^a-z0-9 ]+")


def name_key(value: str) -> str:
    """Case- and accent-insensitive key: 'O'Brien-Smith, José' -> 'obrien smith jose'."""
    ascii_text = anyascii(value or "").lower().replace("'", "").replace("-", " ")
    return " ".join(_NOT_KEY.sub(" ", ascii_text).split())


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """[low, high) such that key >= low and key < high means key starts with prefix."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def digits(value: str) -> str:
    """The ASCII digits in ``value`` (not "²" or "٣", which str.isdigit and \\d take)."""
    return re.sub(r"[^0-9]", "", value or "")


def national_digits(text: str, country: str) -> str:
    """The digits to look for at the end of stored numbers: a whole number typed
    for ``country`` or with its country code gives its national significant
    digits ("020 7946 0958" in Britain, "+1 415 555 0123": as stored), anything
    else the digits typed ("0123")."""
    typed = digits(text)
    try:
        number = phonenumbers.parse(text, country or None)
    except phonenumbers.NumberParseException:
        return typed
    return str(number.national_number) if phonenumbers.is_valid_number(number) else typed


def phone_search_key(e164: str) -> str:
    """National significant digits, reversed: suffix search becomes prefix search."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
        national = str(number.national_number)
    except phonenumbers.NumberParseException:
        national = digits(e164)
    return national[::-1]


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def age_label(birth: dt.date, today: dt.date) -> str:
    years = age_on(birth, today)
    if years >= 2:
        return f"{years}y"
    months = (today.year - birth.year) * 12 + today.month - birth.month - (today.day < birth.day)
    return f"{months}m" if months >= 1 else f"{(today - birth).days}d"


class IdentifierError(ValueError):
    pass


def normalise_national_id(value: str, country: str) -> str:
    """US: a well-formed SSN (9 digits, no 000/666/9xx area, no 00 group, no 0000 serial)."""
    value = (value or "").strip()
    if not value:
        return ""
    if country == "US":
        number = digits(value)
        if len(number) != 9 or re.sub(r"[0-9\s-]", "", value):
            raise IdentifierError("Enter the 9-digit Social Security number, e.g. 123-45-6789.")
        area, group, serial = number[:3], number[3:5], number[5:]
        if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
            raise IdentifierError("This is not a valid Social Security number.")
        return number
    cleaned = re.sub(r"[\s-]", "", value).upper()
    if not re.fullmatch(r"[A-Z0-9]{4,20}", cleaned):
        raise IdentifierError("Use 4 to 20 letters and digits.")
    return cleaned


def mask_identifier(value: str) -> str:
    """Only the last four characters are ever shown without a deliberate reveal."""
    if not value:
        return ""
    return "•" * max(0, min(len(value), 9) - 4) + value[-4:]


def format_national_id(value: str, country: str) -> str:
    if country == "US" and len(value) == 9 and value.isascii() and value.isdigit():
        return f"{value[:3]}-{value[3:5]}-{value[5:]}"
    return value
