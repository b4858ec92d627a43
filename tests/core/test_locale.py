"""The clinic's locale: wall clocks across daylight-saving changes, days and weeks,
dates typed and shown in every order, 12/24-hour clocks, phones and units."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import time_machine

from clinic.core.locale import Locale, PhoneError, WallTime
from clinic.settings import Settings

UTC = dt.timezone.utc
HOUR = dt.timedelta(hours=1)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


NEW_YORK = Locale.for_country("US", "America/New_York")
LONDON = Locale.for_country("GB", "Europe/London")
SYDNEY = Locale.for_country("AU", "Australia/Sydney")
KOLKATA = Locale.for_country("IN", "Asia/Kolkata")
SANTIAGO = Locale.for_country("CL", "America/Santiago")


# Wall-clock times to UTC, with the rule for skipped and repeated times

@pytest.mark.parametrize("locale,day,wall,expected", [
    (NEW_YORK, dt.date(2024, 1, 15), dt.time(9, 0), utc(2024, 1, 15, 14, 0)),  # EST, -5
    (NEW_YORK, dt.date(2024, 7, 15), dt.time(9, 0), utc(2024, 7, 15, 13, 0)),  # EDT, -4
    (LONDON, dt.date(2024, 1, 15), dt.time(9, 0), utc(2024, 1, 15, 9, 0)),  # GMT
    (LONDON, dt.date(2024, 7, 15), dt.time(9, 0), utc(2024, 7, 15, 8, 0)),  # BST, +1
    (SYDNEY, dt.date(2024, 1, 15), dt.time(9, 0), utc(2024, 1, 14, 22, 0)),  # AEDT, +11 (southern summer)
    (SYDNEY, dt.date(2024, 7, 15), dt.time(9, 0), utc(2024, 7, 14, 23, 0)),  # AEST, +10
    (KOLKATA, dt.date(2024, 3, 10), dt.time(2, 30), utc(2024, 3, 9, 21, 0)),  # IST, +5:30 all year
])
def test_an_ordinary_wall_time_is_the_instant_the_zone_says(locale, day, wall, expected):
    assert locale.to_utc(day, wall) == expected
    assert locale.wall_time(day, wall) is WallTime.ORDINARY
    assert locale.local(expected).replace(tzinfo=None) == dt.datetime.combine(day, wall)


@pytest.mark.parametrize("locale,day,wall,expected,shown", [
    # 02:00 EST -> 03:00 EDT on 10 March 2024: 02:30 never happens, it becomes 03:30.
    (NEW_YORK, dt.date(2024, 3, 10), dt.time(2, 30), utc(2024, 3, 10, 7, 30), dt.time(3, 30)),
    # 01:00 GMT -> 02:00 BST on 31 March 2024.
    (LONDON, dt.date(2024, 3, 31), dt.time(1, 30), utc(2024, 3, 31, 1, 30), dt.time(2, 30)),
    # 02:00 AEST -> 03:00 AEDT on 6 October 2024.
    (SYDNEY, dt.date(2024, 10, 6), dt.time(2, 30), utc(2024, 10, 5, 16, 30), dt.time(3, 30)),
    # Chile moves at midnight: 00:00 -> 01:00 on 3 September 2023.
    (SANTIAGO, dt.date(2023, 9, 3), dt.time(0, 0), utc(2023, 9, 3, 4, 0), dt.time(1, 0)),
])
def test_a_skipped_wall_time_moves_forward_by_the_gap(locale, day, wall, expected, shown):
    assert locale.wall_time(day, wall) is WallTime.SKIPPED
    assert locale.to_utc(day, wall) == expected
    assert locale.local(expected).time() == shown
    assert locale.to_utc(day, shown) == expected  # the time it became is the same instant


@pytest.mark.parametrize("locale,day,wall,first,second", [
    # 02:00 EDT -> 01:00 EST on 3 November 2024: 01:30 happens at 05:30 and at 06:30 UTC.
    (NEW_YORK, dt.date(2024, 11, 3), dt.time(1, 30), utc(2024, 11, 3, 5, 30), utc(2024, 11, 3, 6, 30)),
    # 02:00 BST -> 01:00 GMT on 27 October 2024.
    (LONDON, dt.date(2024, 10, 27), dt.time(1, 30), utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 1, 30)),
    # 03:00 AEDT -> 02:00 AEST on 7 April 2024.
    (SYDNEY, dt.date(2024, 4, 7), dt.time(2, 30), utc(2024, 4, 6, 15, 30), utc(2024, 4, 6, 16, 30)),
])
def test_a_repeated_wall_time_is_its_first_occurrence(locale, day, wall, first, second):
    assert locale.wall_time(day, wall) is WallTime.REPEATED
    assert locale.to_utc(day, wall) == first
    # Both instants really do show that wall time: the rule picked one, it did not invent one.
    assert locale.local(first).time() == locale.local(second).time() == wall


def test_a_wall_time_with_a_zone_attached_is_refused():
    with pytest.raises(ValueError):
        NEW_YORK.to_utc(dt.date(2024, 1, 1), dt.time(9, 0, tzinfo=UTC))


def test_every_quarter_hour_of_a_year_in_kolkata_is_ordinary():
    day = dt.date(2024, 1, 1)
    while day.year == 2024:
        for minutes in range(0, 24 * 60, 15):
            assert KOLKATA.wall_time(day, dt.time(minutes // 60, minutes % 60)) is WallTime.ORDINARY
        day += dt.timedelta(days=30)


# The clinic's day and week

@pytest.mark.parametrize("locale,day,start,hours", [
    (NEW_YORK, dt.date(2024, 3, 10), utc(2024, 3, 10, 5), 23),
    (NEW_YORK, dt.date(2024, 11, 3), utc(2024, 11, 3, 4), 25),
    (NEW_YORK, dt.date(2024, 6, 1), utc(2024, 6, 1, 4), 24),
    (LONDON, dt.date(2024, 3, 31), utc(2024, 3, 31, 0), 23),
    (LONDON, dt.date(2024, 10, 27), utc(2024, 10, 26, 23), 25),
    (SYDNEY, dt.date(2024, 10, 6), utc(2024, 10, 5, 14), 23),
    (SYDNEY, dt.date(2024, 4, 7), utc(2024, 4, 6, 13), 25),
    (KOLKATA, dt.date(2024, 3, 10), utc(2024, 3, 9, 18, 30), 24),
    # Midnight is skipped in Chile: the day starts when the clocks say 01:00.
    (SANTIAGO, dt.date(2023, 9, 3), utc(2023, 9, 3, 4), 23),
])
def test_a_clinic_day_runs_from_local_midnight_to_the_next(locale, day, start, hours):
    day_start, day_end = locale.day_bounds(day)
    assert day_start == start
    assert day_end - day_start == hours * HOUR


@pytest.mark.parametrize("locale", [NEW_YORK, LONDON, SYDNEY, KOLKATA, SANTIAGO], ids=lambda loc: loc.timezone)
def test_the_days_of_a_year_follow_each_other_without_gap_or_overlap(locale):
    day, lengths = dt.date(2024, 1, 1), set()
    previous_end = locale.day_bounds(day - dt.timedelta(days=1))[1]
    while day.year == 2024:
        start, end = locale.day_bounds(day)
        assert start == previous_end
        assert locale.local(start).date() == day and locale.local(end - dt.timedelta(microseconds=1)).date() == day
        lengths.add(end - start)
        previous_end = end
        day += dt.timedelta(days=1)
    expected = {24 * HOUR} if locale is KOLKATA else {23 * HOUR, 24 * HOUR, 25 * HOUR}
    assert lengths == expected


def test_a_us_week_starts_on_sunday_and_spans_the_spring_change():
    start, end = NEW_YORK.week_bounds(dt.date(2024, 3, 13))  # a Wednesday
    assert NEW_YORK.week_start(dt.date(2024, 3, 13)) == dt.date(2024, 3, 10)
    assert (start, end) == (utc(2024, 3, 10, 5), utc(2024, 3, 17, 4))
    assert end - start == dt.timedelta(days=7) - HOUR


def test_a_british_week_starts_on_monday():
    assert LONDON.week_start(dt.date(2024, 3, 31)) == dt.date(2024, 3, 25)  # that Sunday belongs to the week before
    assert LONDON.week_bounds(dt.date(2024, 3, 25)) == (utc(2024, 3, 25, 0), utc(2024, 3, 31, 23))


def test_every_day_of_a_week_has_the_same_week_bounds():
    monday = dt.date(2024, 10, 21)
    weeks = {LONDON.week_bounds(monday + dt.timedelta(days=offset)) for offset in range(7)}
    assert len(weeks) == 1


# Now and today

def test_today_is_the_clinics_date_not_the_servers():
    with time_machine.travel(utc(2024, 3, 5, 20, 0), tick=False):
        assert Locale.for_country("NZ", "Pacific/Auckland").today() == dt.date(2024, 3, 6)
        assert Locale.for_country("US", "America/Los_Angeles").today() == dt.date(2024, 3, 5)
        assert LONDON.now_local() == utc(2024, 3, 5, 20, 0)
        assert LONDON.now_local().utcoffset() == dt.timedelta(0)
        assert SYDNEY.now_local().isoformat() == "2024-03-06T07:00:00+11:00"


def test_a_naive_stored_time_is_read_as_utc():
    assert NEW_YORK.local(dt.datetime(2024, 7, 1, 16, 0)).isoformat() == "2024-07-01T12:00:00-04:00"
    assert NEW_YORK.local(None) is None


# Dates typed and shown in the clinic's order

@pytest.mark.parametrize("order,text,expected", [
    ("MDY", "03/05/2024", dt.date(2024, 3, 5)),
    ("MDY", "3/5/2024", dt.date(2024, 3, 5)),
    ("MDY", "03-05-2024", dt.date(2024, 3, 5)),
    ("MDY", "12.31.2024", dt.date(2024, 12, 31)),
    ("DMY", "05/03/2024", dt.date(2024, 3, 5)),
    ("DMY", "31.12.2024", dt.date(2024, 12, 31)),
    ("DMY", " 5-3-2024 ", dt.date(2024, 3, 5)),
    ("YMD", "2024/03/05", dt.date(2024, 3, 5)),
    ("YMD", "2024.3.5", dt.date(2024, 3, 5)),
    # ISO is understood whatever the clinic's order.
    ("MDY", "2024-03-05", dt.date(2024, 3, 5)),
    ("DMY", "2024-03-05", dt.date(2024, 3, 5)),
    ("DMY", "2024-02-29", dt.date(2024, 2, 29)),
])
def test_a_date_is_read_in_the_clinics_order_or_iso(order, text, expected):
    locale = Locale.for_country("US", date_order=order)
    assert locale.parse_date(text) == expected


@pytest.mark.parametrize("order,text", [
    ("MDY", "13/05/2024"),  # no 13th month: not silently read as DMY
    ("DMY", "05/13/2024"),
    ("MDY", "02/30/2024"),
    ("DMY", "29/02/2023"),
    ("YMD", "05/03/2024"),
    ("MDY", "3/5/24"),  # two-digit years are refused rather than guessed
    ("MDY", "March 5 2024"),
    ("DMY", ""),
    ("DMY", "yesterday"),
])
def test_a_date_that_is_not_one_in_that_order_is_refused(order, text):
    assert Locale.for_country("US", date_order=order).parse_date(text) is None


@pytest.mark.parametrize("order,shown,hint", [
    ("MDY", "03/05/2024", "MM/DD/YYYY"),
    ("DMY", "05/03/2024", "DD/MM/YYYY"),
    ("YMD", "2024-03-05", "YYYY-MM-DD"),
])
def test_a_date_is_shown_in_the_order_it_is_typed(order, shown, hint):
    locale = Locale.for_country("US", date_order=order)
    day = dt.date(2024, 3, 5)
    assert locale.format_date(day) == shown
    assert locale.date_hint == hint
    assert locale.parse_date(locale.format_date(day)) == day


def test_a_stored_time_is_shown_as_the_clinics_date():
    late_evening_in_new_york = utc(2024, 3, 6, 2, 30)
    assert NEW_YORK.format_date(late_evening_in_new_york) == "03/05/2024"
    assert LONDON.format_date(late_evening_in_new_york) == "06/03/2024"
    assert NEW_YORK.format_date(None) == ""


def test_a_long_date_names_weekday_and_month_in_the_clinics_order():
    assert NEW_YORK.long_date(dt.date(2024, 3, 5)) == "Tue, Mar 5, 2024"
    british = LONDON.long_date(dt.date(2024, 3, 5))
    assert british.startswith("Tue") and british.index("5") < british.index("Mar") < british.index("2024")
    assert SYDNEY.long_date(utc(2024, 3, 5, 23, 30)).startswith("Wed")  # already Wednesday in Sydney
    assert LONDON.long_date(None) == ""


# Clocks

@pytest.mark.parametrize("wall,twelve,twenty_four", [
    (dt.time(14, 15), "2:15 PM", "14:15"),
    (dt.time(9, 5), "9:05 AM", "09:05"),
    (dt.time(0, 5), "12:05 AM", "00:05"),
    (dt.time(12, 0), "12:00 PM", "12:00"),
    (dt.time(23, 59), "11:59 PM", "23:59"),
])
def test_a_time_is_shown_on_the_clinics_clock(wall, twelve, twenty_four):
    assert NEW_YORK.format_time(wall) == twelve
    assert LONDON.format_time(wall) == twenty_four


def test_twelve_hour_countries_get_a_twelve_hour_clock():
    assert {country: Locale.for_country(country).clock for country in ("US", "CA", "AU", "IN", "GB", "DE", "FR")} == {
        "US": 12, "CA": 12, "AU": 12, "IN": 12, "GB": 24, "DE": 24, "FR": 24}


def test_a_stored_time_is_shown_in_the_clinics_zone():
    afternoon = utc(2024, 7, 1, 18, 15)
    assert NEW_YORK.format_time(afternoon) == "2:15 PM"
    assert LONDON.format_time(afternoon) == "19:15"
    assert NEW_YORK.format_datetime(afternoon) == "07/01/2024 2:15 PM"
    assert KOLKATA.format_datetime(afternoon) == "01/07/2024 11:45 PM"
    assert NEW_YORK.format_time(None) == NEW_YORK.format_datetime(None) == ""


# Phones and units

def test_a_phone_is_read_and_shown_for_the_clinics_country():
    assert NEW_YORK.parse_phone("(415) 555-0123") == "+14155550123"
    assert NEW_YORK.format_phone("+14155550123") == "(415) 555-0123"
    assert LONDON.parse_phone("020 7946 0958") == "+442079460958"
    assert LONDON.format_phone("+442079460958") == "020 7946 0958"


def test_a_foreign_phone_is_shown_in_international_form():
    assert LONDON.format_phone("+14155550123") == "+1 415-555-0123"
    assert NEW_YORK.format_phone("+442079460958") == "+44 20 7946 0958"
    assert NEW_YORK.format_phone("") == NEW_YORK.format_phone(None) == ""


@pytest.mark.parametrize("text", ["555-0123", "call me", "+1 415 555 012"])
def test_a_phone_that_is_not_one_is_refused_with_a_message(text):
    with pytest.raises(PhoneError) as error:
        NEW_YORK.parse_phone(text)
    assert str(error.value) and text not in str(error.value)


def test_units_follow_the_country():
    assert NEW_YORK.unit_labels == {"temperature": "°F", "weight": "lb", "height": "in"}
    assert LONDON.unit_labels == {"temperature": "°C", "weight": "kg", "height": "cm"}


# Building one

def test_a_country_gives_its_usual_conventions():
    assert dataclasses.asdict(Locale.for_country("us", "America/Chicago")) == {
        "country": "US", "timezone": "America/Chicago", "date_order": "MDY", "units": "us", "clock": 12,
        "currency": "USD", "language": "en_US", "week_starts_on": 6}
    germany = Locale.for_country("DE", "Europe/Berlin")
    assert (germany.date_order, germany.units, germany.clock, germany.currency, germany.language,
            germany.week_starts_on) == ("DMY", "metric", 24, "EUR", "en_DE", 0)
    assert Locale.for_country("JP").date_order == "YMD"
    # No English-in-Brazil locale: Portuguese as written in Brazil; Kuwait's Arabic digits: plain English.
    assert Locale.for_country("BR").language == "pt_BR"
    assert Locale.for_country("KW").language == "en"


def test_the_locale_comes_from_settings():
    settings = Settings(country="GB", timezone="Europe/London", date_order="YMD", units="metric", currency="EUR")
    locale = Locale.from_settings(settings)
    assert (locale.country, locale.timezone, locale.date_order, locale.currency, locale.clock) == (
        "GB", "Europe/London", "YMD", "EUR", 24)


def test_overrides_change_only_what_they_name():
    changed = LONDON.with_overrides(timezone="Europe/Dublin", currency="EUR")
    assert (changed.timezone, changed.currency) == ("Europe/Dublin", "EUR")
    assert dataclasses.replace(changed, timezone=LONDON.timezone, currency=LONDON.currency) == LONDON
    with pytest.raises(dataclasses.FrozenInstanceError):
        LONDON.currency = "EUR"


@pytest.mark.parametrize("changes,message", [
    ({"timezone": "Mars/Olympus"}, "time zone 'Mars/Olympus' is not known"),
    ({"currency": "ZZZ"}, "currency 'ZZZ' is not an ISO 4217 code"),
    ({"country": "XX"}, "country 'XX' is not a two-letter country code"),
    ({"date_order": "DYM"}, "date order 'DYM'"),
    ({"units": "imperial"}, "units 'imperial'"),
    ({"clock": 13}, "clock 13 is not 12 or 24"),
    ({"language": "xx_YY"}, "language 'xx_YY'"),
    ({"week_starts_on": 7}, "week start 7"),
])
def test_a_locale_that_cannot_be_is_refused(changes, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        LONDON.with_overrides(**changes)
