"""What the book and "My day" keep of today, for when the database goes away.

Each successful render of today's day view or of "My day" leaves a read-only
copy of the rows it showed (clinic/web/degraded.py keeps it in memory under
the session); the error page serves it while the database is down.
"""

from __future__ import annotations

import datetime as dt

from litestar import Request

from clinic.core import clock
from clinic.core.locale import Locale
from clinic.web.context import locale_of
from clinic.web.degraded import DaySheet, SheetRow, keep_day_sheet

BOOK, MY_DAY = "book", "my_day"


def _rows(entries, locale: Locale) -> tuple[SheetRow, ...]:
    return tuple(SheetRow(time=f"{locale.format_time(entry.starts_at)}–{locale.format_time(entry.ends_at)}",
                          patient=entry.patient_name, what=entry.type_name or "Appointment",
                          status=entry.status_label)
                 for entry in sorted(entries, key=lambda entry: entry.starts_at))


def _sheet(title: str, day: dt.date, groups, locale: Locale) -> DaySheet:
    return DaySheet(title=title, day=day, groups=tuple(groups), taken_at=clock.now(),
                    expires_at=locale.day_bounds(day)[1])


def remember_book_day(request: Request, context: dict) -> None:
    """Today's day view, one group per provider column as the user saw it."""
    locale = locale_of(request)
    if context.get("view") != "day" or context["day"] != locale.today():
        return
    groups = [(column.label, _rows(column.entries, locale)) for column in context["grid"].columns]
    keep_day_sheet(request, BOOK, _sheet(f"The book: {locale.long_date(context['day'])}", context["day"], groups,
                                         locale))


def remember_my_day(request: Request, context: dict) -> None:
    locale = locale_of(request)
    today = context["today"]
    groups = [("Today" if day == today else "Tomorrow", _rows(entries, locale)) for day, entries in context["days"]]
    keep_day_sheet(request, MY_DAY, _sheet(f"My day: {locale.long_date(today)}", today, groups, locale))
