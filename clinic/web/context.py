"""What a screen needs to know about the clinic's ways: dates, times, units, money.

The app keeps one ``Locale`` in its state (built from the environment, then
from the clinic's own settings once they are read), so a change on the
settings screen applies to the next page without a restart.
"""

from __future__ import annotations

from litestar import Request

from clinic.core.forms import Reading
from clinic.core.locale import Locale


def locale_of(request: Request) -> Locale:
    return request.app.state.locale


def reading_for(request: Request) -> Reading:
    """How this clinic types dates, and what "today" is here."""
    return locale_of(request).reading
