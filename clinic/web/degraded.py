"""Today's book while the database is down: the last day sheet each session saw.

When the book or "My day" renders today's appointments, the rows it showed
are kept here, in this process's memory only (never sent to the device to
keep, never written anywhere), under the session token's digest: during an
outage the session cannot be looked up, so the token the browser still
carries is what proves this is the same person who saw that page. A sheet
holds exactly what that user was allowed to see, is marked with the time it
was taken, and expires at the end of the clinic day. After a restart, or on
another instance, there is simply no sheet and the usual 503 page is shown.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

from litestar import Request

from clinic.core import clock
from clinic.security.sessions import cookie_name, token_digest

# One sheet per session and view; a clinic has tens of sessions, this bounds a flood.
MOST_SHEETS = 2000


@dataclass(frozen=True)
class SheetRow:
    time: str
    patient: str
    what: str
    status: str


@dataclass(frozen=True)
class DaySheet:
    """What a user saw of one day: headed groups (a provider, or "Today") of rows."""

    title: str
    day: dt.date
    groups: tuple[tuple[str, tuple[SheetRow, ...]], ...]
    taken_at: dt.datetime  # UTC
    expires_at: dt.datetime  # UTC: the end of that clinic day


class DaySheets:
    """The kept sheets of one process, by (session digest, view, day)."""

    def __init__(self, most: int = MOST_SHEETS):
        self._most = most
        self._sheets: OrderedDict[tuple[str, str, dt.date], DaySheet] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, session: str, view: str, sheet: DaySheet) -> None:
        key = (session, view, sheet.day)
        now = clock.now()
        with self._lock:
            self._sheets.pop(key, None)
            self._sheets[key] = sheet
            for old_key in [k for k, kept in self._sheets.items() if kept.expires_at <= now]:
                del self._sheets[old_key]
            while len(self._sheets) > self._most:
                self._sheets.popitem(last=False)

    def find(self, session: str, view: str, day: dt.date) -> DaySheet | None:
        with self._lock:
            sheet = self._sheets.get((session, view, day))
            if sheet is not None and sheet.expires_at <= clock.now():
                del self._sheets[(session, view, day)]
                return None
            return sheet

    def forget_session(self, session: str) -> None:
        with self._lock:
            for key in [k for k in self._sheets if k[0] == session]:
                del self._sheets[key]

    def __len__(self) -> int:
        return len(self._sheets)


def session_of(request: Request) -> str | None:
    """The digest of the session token the request carries (read without the database)."""
    token = request.cookies.get(cookie_name(request.app.state.settings.is_production))
    return token_digest(token) if token else None


def keep_day_sheet(request: Request, view: str, sheet: DaySheet) -> None:
    session = session_of(request)
    if session:
        request.app.state.day_sheets.keep(session, view, sheet)


def kept_day_sheet(request: Request, view: str, day: dt.date) -> DaySheet | None:
    session = session_of(request)
    sheets: DaySheets | None = getattr(request.app.state, "day_sheets", None)
    if not session or sheets is None:
        return None
    return sheets.find(session, view, day)


def forget_day_sheets(request: Request) -> None:
    session = session_of(request)
    sheets: DaySheets | None = getattr(request.app.state, "day_sheets", None)
    if session and sheets is not None:
        sheets.forget_session(session)
