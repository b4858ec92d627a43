"""Money: every amount is a whole number of the currency's minor unit ("cents").

Amounts are stored, passed and added as ``int``; a ``Decimal`` exists only for
a moment inside a computation and a float never. The minor unit is ISO 4217's
(USD 2 digits: cents; JPY 0: yen; KWD 3: fils). It is kept in ``MINOR_UNITS``
here rather than read from babel, because CLDR's display digits differ for a
few currencies (HUF, COP, IDR, IQD show none) and a data update must never
change what a stored integer means. Amounts are shown with exactly those
digits, so what is shown is what is stored.

The rounding rule, the only one
-------------------------------
Whenever a computation produces a fraction of a minor unit, it is rounded to
the nearest whole unit, and an exact half goes away from zero
(what ``decimal`` calls ``ROUND_HALF_UP``: 0.5 -> 1, 2.5 -> 3, -0.5 -> -1). ``round_minor`` is the
one function that rounds; every computation that can produce fractions goes
through it: ``percent_of`` (coinsurance, discounts, tax), ``times`` (quantity
x unit price) and ``allocate`` (an amount split into parts).

Why not banker's rounding (half to even): patients, payers and staff check our
statements with calculators and spreadsheets, which round half away from
zero, and a statement that differs from their sum by a cent is a phone call.
Banker's rounding's advantage, no drift when many rounded parts are added,
we get exactly instead: ``allocate`` splits a whole with the largest-remainder
method, so the parts always add up to the whole, and the two sides of a
percentage split (``split_by_percent``) are one rounded share and the rest.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

from babel import Locale as BabelLocale
from babel.numbers import get_currency_symbol, is_currency

if TYPE_CHECKING:
    from clinic.core.locale import Locale

# ISO 4217 minor units that are not 2 (active currencies; funds and metals left out).
MINOR_UNITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                     "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
# Far above any clinic's bill, far inside a 64-bit column and JavaScript's exact integers.
MAX_AMOUNT = 10**13 - 1
_LONGEST_TEXT = 40
_SPACES = " \u00a0\u202f"
_APOSTROPHES = "'\u2019"
_MINUS = ("-", "\u2212")


class MoneyError(ValueError):
    """What was typed is not an amount we accept; the message is for the form."""


def minor_units(currency: str) -> int:
    """Digits after the decimal point in ``currency`` (ISO 4217)."""
    if not is_currency(currency):
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code")
    return MINOR_UNITS.get(currency, 2)


def round_minor(value: Fraction | Decimal | int) -> int:
    """THE rounding rule: to a whole minor unit, an exact half away from zero.

    Worked in exact fractions, so no intermediate rounding (a Decimal context's
    28 digits) can turn 0.4999... into a half.
    """
    exact = Fraction(value)
    whole, rest = divmod(abs(exact.numerator), exact.denominator)
    if 2 * rest >= exact.denominator:
        whole += 1
    return whole if exact >= 0 else -whole


def _exact(number, what: str) -> Fraction:
    if isinstance(number, (bool, float)):
        raise TypeError(f"{what} must be an int, a Decimal or a string: floats are not exact")
    value = Decimal(number.strip() if isinstance(number, str) else number)
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite number")
    return Fraction(value)


def _cents(amount, what: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"{what} must be whole minor units (an int), not {type(amount).__name__}")
    return amount


def percent_of(amount: int, percent) -> int:
    """``percent`` % of ``amount``, rounded once: percent_of(12345, "20") == 2469."""
    return round_minor(_cents(amount) * _exact(percent, "percent") / 100)


def split_by_percent(amount: int, percent) -> tuple[int, int]:
    """(the share at ``percent``, the rest): coinsurance and what the payer owes; they add up."""
    share = percent_of(amount, percent)
    return share, amount - share


def times(unit_price: int, quantity) -> int:
    """``quantity`` x ``unit_price`` (quantity may be fractional: 1.5 hours), rounded once."""
    return round_minor(_cents(unit_price, "unit price") * _exact(quantity, "quantity"))


def allocate(amount: int, weights) -> list[int]:
    """``amount`` split in proportion to ``weights`` (or into that many equal parts),
    the parts adding up to ``amount`` exactly.

    Largest remainder: each part gets its exact share rounded down, and the
    units left over go one each to the parts with the largest fractions, the
    earlier part first on a tie. A negative amount is split like its opposite.
    """
    amount = _cents(amount)
    if isinstance(weights, int) and not isinstance(weights, bool):
        if weights < 1:
            raise ValueError("split into at least one part")
        weights = [1] * weights
    exact = [_exact(weight, "weight") for weight in weights]
    if not exact or any(weight < 0 for weight in exact) or sum(exact) == 0:
        raise ValueError("weights must be zero or more, and not all zero")
    if amount < 0:
        return [-part for part in allocate(-amount, weights)]
    total = sum(exact)
    shares = [amount * weight / total for weight in exact]
    parts = [share.numerator // share.denominator for share in shares]
    left_over = amount - sum(parts)
    by_fraction = sorted(range(len(shares)), key=lambda index: (-(shares[index] - parts[index]), index))
    for index in by_fraction[:left_over]:
        parts[index] += 1
    return parts


@lru_cache(maxsize=32)
def _symbols(language: str) -> tuple[BabelLocale, str, str]:
    babel = BabelLocale.parse(language)
    return babel, babel.number_symbols["latn"]["decimal"], babel.number_symbols["latn"]["group"]


def _language(locale: Locale | str) -> str:
    return locale if isinstance(locale, str) else locale.language


def to_decimal(amount: int, currency: str) -> Decimal:
    """Minor units as an exact amount in major units: 1250 USD -> Decimal('12.50')."""
    digits = minor_units(currency)
    return Decimal(_cents(amount)).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def format_money(amount: int, currency: str, locale: Locale | str) -> str:
    """$1,234.50 / 1.234,50 € / ¥1,235 / KWD1.500: the clinic's language writes it,
    always with the currency's own number of decimals. ``locale`` is a Locale or
    a babel language such as "de_DE"."""
    return _format_money(amount, currency, _language(locale))


# Babel's pattern takes a tenth of a millisecond an amount: a list of claims or a ledger shows
# hundreds, mostly the same few prices. The result depends on these three values alone.
@lru_cache(maxsize=4096)
def _format_money(amount: int, currency: str, language: str) -> str:
    babel, _, group_sign = _symbols(language)
    pattern = copy.copy(babel.currency_formats["standard"])
    digits = minor_units(currency)
    pattern.frac_prec = (digits, digits)
    text = pattern.apply(to_decimal(amount, currency), babel, currency=currency, currency_digits=False,
                         group_separator=False)
    # We group the digits ourselves: babel strips pairs of apostrophes from its
    # output as if they quoted text, so Swiss 1'234'567.00 came out as 1234567.00.
    return re.sub(r"[0-9]+", lambda whole: _grouped(whole[0], group_sign, pattern.grouping), text, count=1)


def _grouped(digits: str, group_sign: str, grouping: tuple[int, int]) -> str:
    """1234567 -> 1,234,567 (grouping (3, 3)) or 12,34,567 (grouping (3, 2), India)."""
    size, groups = grouping[0], []
    while len(digits) > size:
        groups.insert(0, digits[-size:])
        digits, size = digits[:-size], grouping[1]
    return group_sign.join([digits, *groups])


def money_for_input(amount: int, locale: Locale, currency: str | None = None) -> str:
    """An amount as a form field shows it for editing: 1234.50 (or 1234,50), no symbol or grouping."""
    _, decimal_sign, _ = _symbols(locale.language)
    text = str(to_decimal(amount, currency or locale.currency))
    return text.replace(".", decimal_sign)


def parse_money(text: str, locale: Locale, *, currency: str | None = None, allow_negative: bool = False,
                maximum: int = MAX_AMOUNT) -> int:
    """What someone typed, in minor units of ``currency`` (the clinic's by default).

    Accepts the clinic's language's decimal and grouping signs ("1,234.56" in
    en_US, "1.234,56" in de_DE, "12,34,567.50" in en_IN), no grouping at all,
    and the currency's symbol or code. Refuses more decimals than the currency
    has, misplaced grouping, exponents, NaN and infinity, negatives unless
    allowed, and amounts beyond ``maximum`` minor units.
    """
    currency = currency or locale.currency
    digits = minor_units(currency)
    _, decimal_sign, group_sign = _symbols(locale.language)

    def refusal() -> MoneyError:
        return MoneyError(f"Enter an amount such as {format_money(123456 * 10**digits // 100, currency, locale)}.")

    text = (text or "").strip()
    if not text:
        raise MoneyError("Enter an amount.")
    if len(text) > _LONGEST_TEXT:
        raise refusal()
    # The clinic's symbol ($, €, CA$) or code (USD, usd) may come before or after the number, a sign before.
    marks = "|".join(re.escape(mark) for mark in sorted({get_currency_symbol(currency, locale.language), currency},
                                                        key=len, reverse=True))
    match = re.fullmatch(rf"([-\u2212+]?)\s*(?:(?:{marks})\s*)?([-\u2212+]?)\s*(.*?)\s*(?:{marks})?", text,
                         flags=re.IGNORECASE)
    if match is None or (match[1] and match[2]):
        raise refusal()
    negative = (match[1] or match[2]) in _MINUS
    text = match[3]

    whole, _, fraction = text.partition(decimal_sign)
    if decimal_sign in fraction or not re.fullmatch(r"[0-9]*", fraction) or (not whole and not fraction):
        raise refusal()
    groups = _split_groups(whole, group_sign)
    if groups is None:
        raise refusal()
    if len(fraction) > digits:
        raise MoneyError(f"{currency} amounts have no decimal places." if digits == 0
                         else f"Use at most {digits} decimal places.")
    value = int(Decimal("".join(groups) + "." + fraction.ljust(digits, "0")).scaleb(digits))
    if negative:
        value = -value
    if value < 0 and not allow_negative:
        raise MoneyError("Enter an amount of zero or more.")
    if abs(value) > maximum:
        raise MoneyError(f"Enter an amount up to {format_money(maximum, currency, locale)}.")
    return value


def _split_groups(whole: str, group_sign: str) -> list[str] | None:
    """The digit groups of a whole part, or None if the grouping is not a real one.

    Either no separators, or 1-3 digits, then groups of 2 or 3 (Indian lakh
    grouping), the last of 3: "1,234", "12,34,567"; never "1,23" or "1234,567".
    """
    if not whole:
        return ["0"]
    separators = _SPACES if group_sign in _SPACES else _APOSTROPHES if group_sign in _APOSTROPHES else group_sign
    groups = re.split("[" + re.escape(separators) + "]", whole)
    if not all(re.fullmatch(r"[0-9]+", group) for group in groups):
        return None
    if len(groups) == 1:
        return groups
    if not 1 <= len(groups[0]) <= 3 or len(groups[-1]) != 3 or any(len(g) not in (2, 3) for g in groups[1:-1]):
        return None
    return groups
