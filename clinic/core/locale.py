"""The clinic's locale: its time zone, calendar, clock, phones, units and currency.

One ``Locale`` answers every "how does this clinic write it" question, built
from settings (``Locale.from_settings``) or for a country (``Locale.for_country``)
with anything overridden (``with_overrides``; the practice settings screen
stores time zone and currency in the database, the environment gives the
first-run defaults).

Times are stored in UTC. Wall-clock times in the clinic's zone are turned into
UTC by ``to_utc``, with one rule for the two hours a year a wall clock lies:

- a time the clocks skip (02:30 on a spring-forward day in New York) is moved
  forward by the length of the gap: 02:30 becomes 03:30 summer time;
- a time that happens twice (01:30 on a fall-back day) is the first
  occurrence, still summer time (``fold=0``).

``wall_time`` says which of the two applies, for screens that want to warn.
A clinic day runs from local midnight to the next local midnight, so it is 23
or 25 hours long on change days (and where midnight itself is skipped, as in
Chile, the day starts when the clocks say 01:00).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel import Locale as BabelLocale
from babel.dates import format_skeleton
from babel.languages import get_official_languages
from babel.localedata import exists as babel_locale_exists
from babel.numbers import get_territory_currencies, is_currency

from clinic.core import clock
from clinic.core.forms import Reading

DATE_ORDERS = ("MDY", "DMY", "YMD")
UNIT_SYSTEMS = ("us", "metric")
# Countries whose clocks people read as 2:15 PM; everywhere else 14:15.
TWELVE_HOUR_COUNTRIES = frozenset({"US", "CA", "AU", "NZ", "PH", "IN", "EG", "SA", "PK", "BD", "MY", "CO"})
MONTH_FIRST_COUNTRIES = frozenset({"US", "PH", "FM"})
YEAR_FIRST_COUNTRIES = frozenset({"CN", "HU", "JP", "KP", "KR", "LT", "MN", "SE", "TW"})
US_UNIT_COUNTRIES = frozenset({"US", "LR", "MM"})
UNIT_LABELS = {
    "us": {"temperature": "°F", "weight": "lb", "height": "in"},
    "metric": {"temperature": "°C", "weight": "kg", "height": "cm"},
}


class WallTime(enum.Enum):
    ORDINARY = "ordinary"
    SKIPPED = "skipped"  # the clocks jump over it (spring forward)
    REPEATED = "repeated"  # it happens twice (fall back)


@dataclass(frozen=True)
class Locale:
    country: str  # ISO 3166 alpha-2, for phone numbers and defaults
    timezone: str  # IANA name, e.g. "America/New_York"
    date_order: str  # MDY, DMY or YMD
    units: str  # "us" (°F, lb, in) or "metric"
    clock: int  # 12 or 24
    currency: str  # ISO 4217 code
    language: str  # babel locale for money and long dates, e.g. "en_US"
    week_starts_on: int  # 0 Monday ... 6 Sunday, as date.weekday()

    def __post_init__(self):
        problems = []
        if self.country not in phonenumbers.SUPPORTED_REGIONS:
            problems.append(f"country {self.country!r} is not a two-letter country code")
        if not _known_zone(self.timezone):
            problems.append(f"time zone {self.timezone!r} is not known")
        if self.date_order not in DATE_ORDERS:
            problems.append(f"date order {self.date_order!r} is not one of {', '.join(DATE_ORDERS)}")
        if self.units not in UNIT_SYSTEMS:
            problems.append(f"units {self.units!r} are not one of {', '.join(UNIT_SYSTEMS)}")
        if self.clock not in (12, 24):
            problems.append(f"clock {self.clock!r} is not 12 or 24")
        if not is_currency(self.currency):
            problems.append(f"currency {self.currency!r} is not an ISO 4217 code")
        if not babel_locale_exists(self.language):
            problems.append(f"language {self.language!r} is not a known locale")
        if self.week_starts_on not in range(7):
            problems.append(f"week start {self.week_starts_on!r} is not 0 (Monday) to 6 (Sunday)")
        if problems:
            raise ValueError("Locale: " + "; ".join(problems))

    @classmethod
    def for_country(cls, country: str, timezone: str = "UTC", **overrides) -> Locale:
        """The usual conventions of ``country``; anything in ``overrides`` wins."""
        country = country.strip().upper()
        overrides = {name: value for name, value in overrides.items() if value not in (None, "")}
        language = default_language(country)
        derived = dict(
            country=country, timezone=timezone, date_order=default_date_order(country),
            units=default_units(country), clock=12 if country in TWELVE_HOUR_COUNTRIES else 24,
            currency=overrides.get("currency") or default_currency(country), language=language,
            week_starts_on=BabelLocale.parse(_territory_locale(country) or language).first_week_day,
        )
        return cls(**{**derived, **overrides})

    @classmethod
    def from_settings(cls, settings) -> Locale:
        return cls.for_country(settings.country, settings.timezone, date_order=settings.date_order,
                               units=settings.units, currency=settings.currency)

    def with_overrides(self, **changes) -> Locale:
        """A copy with ``changes`` (validated again). Derived fields are not re-derived:
        changing the country means ``for_country`` again."""
        return replace(self, **changes)

    # Time

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances by name

    def today(self) -> dt.date:
        return clock.today_in(self.zone)

    def now_local(self) -> dt.datetime:
        return clock.now().astimezone(self.zone)

    def local(self, moment: dt.datetime | None) -> dt.datetime | None:
        """A stored time in the clinic's zone; a naive one is UTC (as stored)."""
        if moment is None:
            return None
        return clock.as_utc(moment).astimezone(self.zone)

    def to_utc(self, day: dt.date, wall: dt.time) -> dt.datetime:
        """The UTC instant of a wall-clock time on ``day`` in the clinic (see the rule above)."""
        if wall.tzinfo is not None:
            raise ValueError("to_utc takes a wall-clock time without a time zone")
        # zoneinfo reads fold=0 with the offset in force before a change: for a
        # skipped time that lands after the gap, for a repeated one on the first.
        local = dt.datetime.combine(day, wall.replace(fold=0), tzinfo=self.zone)
        return local.astimezone(clock.UTC)

    def wall_time(self, day: dt.date, wall: dt.time) -> WallTime:
        first = dt.datetime.combine(day, wall.replace(fold=0), tzinfo=self.zone).utcoffset()
        second = dt.datetime.combine(day, wall.replace(fold=1), tzinfo=self.zone).utcoffset()
        if first == second:
            return WallTime.ORDINARY
        return WallTime.REPEATED if first > second else WallTime.SKIPPED

    def day_bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) of the clinic's day in UTC: local midnight to the next."""
        return self.to_utc(day, dt.time(0)), self.to_utc(day + dt.timedelta(days=1), dt.time(0))

    def week_start(self, day: dt.date) -> dt.date:
        return day - dt.timedelta(days=(day.weekday() - self.week_starts_on) % 7)

    def week_bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) in UTC of the clinic's week (from its usual first day) holding ``day``."""
        first = self.week_start(day)
        return self.day_bounds(first)[0], self.day_bounds(first + dt.timedelta(days=7))[0]

    # Writing and reading

    def _local_date(self, value: dt.date | dt.datetime) -> dt.date:
        return self.local(value).date() if isinstance(value, dt.datetime) else value

    def format_date(self, value: dt.date | dt.datetime | None) -> str:
        """A date (or a stored time's local date) in the clinic's order: 03/05/2024."""
        return format_date(None if value is None else self._local_date(value), self.date_order)

    def parse_date(self, text: str) -> dt.date | None:
        return parse_date(text, self.date_order)

    @property
    def date_hint(self) -> str:
        return date_hint(self.date_order)

    def format_time(self, value: dt.datetime | dt.time | None) -> str:
        """2:15 PM on a 12-hour clock, 14:15 on a 24-hour one; stored times in the clinic's zone."""
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            value = self.local(value).time()
        if self.clock == 24:
            return f"{value.hour:02d}:{value.minute:02d}"
        # By hand: strftime's %p follows the process's C locale.
        return f"{value.hour % 12 or 12}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"

    def format_datetime(self, value: dt.datetime | None) -> str:
        if value is None:
            return ""
        return f"{self.format_date(value)} {self.format_time(value)}"

    def long_date(self, value: dt.date | dt.datetime | None) -> str:
        """Weekday and month in words, in the order the clinic's language writes them: Tue, Mar 5, 2024."""
        if value is None:
            return ""
        return format_skeleton("yMMMEd", self._local_date(value), locale=self.language)

    def format_phone(self, e164: str | None) -> str:
        return format_phone(e164 or "", self.country)

    def parse_phone(self, text: str) -> str:
        return parse_phone(text, self.country)

    @property
    def reading(self) -> Reading:
        """How forms read dates here, and what "today" is (for "not in the future")."""
        return Reading(parse_date=self.parse_date, date_hint=self.date_hint, today=self.today())

    @property
    def unit_labels(self) -> dict[str, str]:
        """Vital-sign units as typed and shown: temperature, weight, height."""
        return dict(UNIT_LABELS[self.units])


# Defaults for a country

def default_date_order(country: str) -> str:
    if country in MONTH_FIRST_COUNTRIES:
        return "MDY"
    return "YMD" if country in YEAR_FIRST_COUNTRIES else "DMY"


def default_units(country: str) -> str:
    return "us" if country in US_UNIT_COUNTRIES else "metric"


def default_currency(country: str) -> str:
    currencies = get_territory_currencies(country, clock.now().date())
    if not currencies:
        raise ValueError(f"no currency is known for {country!r}; name one")
    return currencies[0]


def default_language(country: str) -> str:
    """The screens are in English: English as written in ``country`` if CLDR has it
    (en_GB, en_DE: "1.234,56 €"), else the country's own language where it writes
    Latin digits (pt_BR), else plain English."""
    english = f"en_{country}"
    if babel_locale_exists(english):
        return english
    for language in get_official_languages(country, de_facto=True):
        candidate = f"{language}_{country}"
        if babel_locale_exists(candidate) and BabelLocale.parse(candidate).default_numbering_system == "latn":
            return candidate
    return "en"


def _territory_locale(country: str) -> str | None:
    """Any CLDR locale of the country: its week data, even where we write in plain English."""
    for language in ("en", *get_official_languages(country, de_facto=True)):
        if babel_locale_exists(f"{language}_{country}"):
            return f"{language}_{country}"
    return None


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


# Dates typed and shown in the clinic's order (or ISO, always accepted)

_DATE_PATTERNS = {
    "MDY": re.compile(r"^(?P<m>\d{1,2})[/.-](?P<d>\d{1,2})[/.-](?P<y>\d{4})$"),
    "DMY": re.compile(r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})$"),
    "YMD": re.compile(r"^(?P<y>\d{4})[/.-](?P<m>\d{1,2})[/.-](?P<d>\d{1,2})$"),
}
_ISO = _DATE_PATTERNS["YMD"]


def parse_date(value: str, order: str) -> dt.date | None:
    """A date typed in the clinic's order (or ISO), or None if it is not one."""
    value = (value or "").strip()
    for pattern in (_ISO, _DATE_PATTERNS[order]):
        match = pattern.match(value)
        if match:
            try:
                return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


DATE_FORMATS = {"MDY": "{0.month:02d}/{0.day:02d}/{0.year:04d}", "DMY": "{0.day:02d}/{0.month:02d}/{0.year:04d}",
                "YMD": "{0.year:04d}-{0.month:02d}-{0.day:02d}"}


def format_date(value: dt.date | None, order: str) -> str:
    # Only the clinic's format (a list page shows fifty dates); by hand, as strftime's %Y
    # does not pad years before 1000 on every platform.
    if value is None:
        return ""
    return DATE_FORMATS[order].format(value)


def date_hint(order: str) -> str:
    return {"MDY": "MM/DD/YYYY", "DMY": "DD/MM/YYYY", "YMD": "YYYY-MM-DD"}[order]


# Phone numbers: stored as E.164, typed and shown the way the clinic's country writes them

class PhoneError(ValueError):
    pass


def parse_phone(value: str, country: str) -> str:
    """E.164 ('+14155550123'), or PhoneError with a message for the form."""
    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        raise PhoneError("Enter a phone number, e.g. (415) 555-0123 or +44 20 7946 0958.") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("This is not a valid phone number for the country it belongs to.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def format_phone(e164: str, country: str) -> str:
    """National style for the clinic's own country, international for any other.

    Kept for the numbers most recently shown: libphonenumber's parse and format
    cost about 40 us a number, a page of search results or a list shows twenty,
    and the same patients come up again and again in a day."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_number(number)
    style = phonenumbers.PhoneNumberFormat.NATIONAL if region == country else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)
