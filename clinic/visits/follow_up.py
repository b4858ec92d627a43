"""Reading "in N weeks" out of a visit's follow-up text, for the "Book follow-up" link.

Only a plain count of days, weeks or months is understood ("in 2 weeks",
"two weeks", "review in 3 wks", "6 months"); anything else leaves the day to
the person booking. The day is counted from the visit's day and never falls
before today.
"""

from __future__ import annotations

import datetime as dt
import re

NUMBERS = {"one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "wk": 7, "wks": 7, "month": 30, "months": 30}
PATTERN = re.compile(r"\b(\d{1,2}|" + "|".join(NUMBERS) + r")\s*(" + "|".join(UNITS) + r")\b", re.IGNORECASE)


def days_ahead(text: str) -> int | None:
    """How many days ahead the follow-up text asks for, or None."""
    match = PATTERN.search(text or "")
    if match is None:
        return None
    count_text, unit = match.group(1).lower(), match.group(2).lower()
    count = int(count_text) if count_text.isdigit() else NUMBERS[count_text]
    if count < 1:
        return None
    return count * UNITS[unit]


def follow_up_day(text: str, visit_day: dt.date, today: dt.date) -> dt.date | None:
    """The day to offer on the booking form, or None when the text names no interval."""
    days = days_ahead(text)
    if days is None:
        return None
    return max(visit_day + dt.timedelta(days=days), today)
