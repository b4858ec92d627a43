"""The repeat part of booking a series: the form's fields, reading them into a
``SeriesRule``, and a read-only preview of every date with what stands in its
way (no lock: ``series.book_series`` checks again, all or nothing, when it books)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.core.errors import Invalid
from clinic.core.forms import Field, FormSpec, Reading, check
from clinic.core.locale import Locale
from clinic.scheduling import book_forms, series
from clinic.scheduling.booking import Booking, check_subject
from clinic.scheduling.conflicts import Conflict, load_calendar
from clinic.scheduling.rules import SERIES_MAX_OCCURRENCES, SeriesRule, Span

FREQUENCIES = (
    ("weekly", "Weekly (or every few weeks)"),
    ("monthly_weekday", "Monthly on the same weekday (e.g. the 2nd Tuesday)"),
    ("monthly_date", "Monthly on the same date"),
)
ENDINGS = (("count", "After a number of appointments"), ("until", "On a date"))

REPEAT_FORM = FormSpec((
    Field("frequency", "Repeats", kind="radio", required=True, choices=FREQUENCIES, wide=True,
          missing="Choose how often the appointment repeats."),
    Field("interval", "Every (weeks or months)", kind="integer", required=True, minimum=1, maximum=12, max_length=2,
          hint="1 = every week or month, 2 = every other one."),
    Field("ends", "Ends", kind="radio", required=True, choices=ENDINGS, wide=True,
          missing="End the series after a number of appointments or on a date."),
    Field("count", "Number of appointments", kind="integer", minimum=1, maximum=SERIES_MAX_OCCURRENCES, max_length=3),
    Field("until", "Last date", kind="date", hint="At most two years after the first."),
))

# The booking fields a series uses: overbooking a whole series on purpose is not offered here.
SERIES_BOOKING_FORM = FormSpec(tuple(item for item in book_forms.BOOKING_FORM
                                     if item.name not in ("overbook", "overbook_reason")))


def repeat_defaults() -> dict[str, str]:
    return {"frequency": "weekly", "interval": "1", "ends": "count", "count": "6"}


def read_rule(values: dict, reading: Reading) -> SeriesRule:
    clean, errors = check(REPEAT_FORM, values, reading)
    if clean["ends"] == "count" and clean["count"] is None and "count" not in errors:
        errors["count"] = "Enter how many appointments."
    if clean["ends"] == "until" and clean["until"] is None and "until" not in errors:
        errors["until"] = "Enter the last date."
    if errors:
        raise Invalid(errors)
    rule = SeriesRule(frequency=clean["frequency"], interval=clean["interval"],
                      count=clean["count"] if clean["ends"] == "count" else None,
                      until=clean["until"] if clean["ends"] == "until" else None)
    return rule


def read_series(values: dict, locale: Locale) -> tuple[Booking, SeriesRule]:
    """The first occurrence and the rule, or ``Invalid`` naming every wrong field of both parts."""
    errors: dict[str, str] = {}
    booking = rule = None
    try:
        booking = book_forms.read_booking(SERIES_BOOKING_FORM, values, locale.reading, locale)
    except Invalid as invalid:
        errors.update(invalid.errors)
    try:
        rule = read_rule(values, locale.reading)
    except Invalid as invalid:
        errors.update(invalid.errors)
    if booking is not None and rule is not None:
        try:
            series.preview(booking, rule, locale)
        except Invalid as invalid:
            errors.update({("count" if name == "ends" else name): text for name, text in invalid.errors.items()})
    if errors:
        raise Invalid(errors)
    return booking, rule


@dataclass(frozen=True)
class PlannedDate:
    starts_at: dt.datetime
    minutes: int
    conflicts: list[Conflict]

    @property
    def free(self) -> bool:
        return not self.conflicts


async def planned_dates(booking: Booking, rule: SeriesRule, locale: Locale) -> list[PlannedDate]:
    """Every date the series would have, each with its conflicts as the book stands now."""
    starts = series.preview(booking, rule, locale)
    subject = await check_subject(patient_id=booking.patient_id, provider_id=booking.provider_id,
                                  type_id=booking.type_id, room_id=booking.room_id)
    window = Span(starts[0], starts[-1] + dt.timedelta(minutes=booking.minutes))
    calendar = await load_calendar(locale, window, provider_id=booking.provider_id, patient_id=booking.patient_id,
                                   room_id=booking.room_id)
    conflicting = {date.starts_at: date.conflicts
                   for date in series._judge_all(starts, booking.minutes, calendar, locale, subject)}
    return [PlannedDate(start, booking.minutes, conflicting.get(start, [])) for start in starts]


def refused_dates(starts: list[dt.datetime], minutes: int, refused: series.SeriesRefused) -> list[PlannedDate]:
    by_start = {date.starts_at: date.conflicts for date in refused.dates}
    return [PlannedDate(start, minutes, by_start.get(start, [])) for start in starts]
