"""What a screen needs to know about the clinic's ways: dates, times, units."""

from __future__ import annotations

import datetime as dt

from litestar import Request

from clinic.core.forms import Reading
from clinic.patients.normalise import date_hint, parse_date


def reading_for(request: Request) -> Reading:
    """How this clinic types dates, and what "today" is here."""
    settings = request.app.state.settings
    order = settings.date_order
    return Reading(parse_date=lambda text: parse_date(text, order), date_hint=date_hint(order),
                   today=dt.datetime.now(settings.tz).date())
