"""The one place the app asks what time it is.

``now()`` is always an aware UTC datetime: times are stored in UTC and only
the clinic's locale turns them into wall-clock time. The system clock is read
on every call, never at import time and never cached, so ``time_machine``'s
``travel()`` moves the whole app in tests without patching anything of ours.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc


def now() -> dt.datetime:
    """This instant, aware, in UTC."""
    return dt.datetime.now(UTC)


def today_in(zone: dt.tzinfo | str) -> dt.date:
    """The calendar date it is now in ``zone`` (a tzinfo or a name such as "Europe/London")."""
    if isinstance(zone, str):
        zone = ZoneInfo(zone)
    return now().astimezone(zone).date()


def as_utc(moment: dt.datetime) -> dt.datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already (that is how we store times)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
