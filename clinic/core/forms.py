"""Forms declared once: the fields, their kinds, limits and choices.

A ``FormSpec`` drives three things, so they cannot drift apart:

- the page: ``templates/macros/forms.html`` renders each field (label, input,
  hint, the error beside it, ``aria-invalid``/``aria-describedby``);
- the generic checks in ``clean()``: required, length, choices, dates, whole
  and decimal numbers (ASCII digits only, finite, within range);
- the values a screen keeps when it re-renders after an error (``Form``).

A service adds its own rules after ``clean()`` and raises ``Invalid`` with a
message per field; messages never repeat what was typed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable

from clinic.core.errors import Invalid

KINDS = ("text", "email", "tel", "date", "time", "integer", "decimal", "choice", "radio", "textarea", "checkbox",
         "password", "search", "hidden")
ASCII_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")
ASCII_DECIMAL = re.compile(r"[+-]?[0-9]{1,9}([.,][0-9]{1,6})?")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"
    required: bool = False
    max_length: int = 200
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""
    wide: bool = False
    autocomplete: str = "off"
    # Dates: refuse days after today (a birth date, an onset, a dose given).
    past_only: bool = False
    # Numbers: the range a value must fall in.
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None
    unit: str = ""
    # What an empty optional choice means (e.g. "" -> "unknown"); None keeps "".
    empty_choice: str | None = None
    # The empty option of a select ("Choose…", "None", "Any").
    blank: str = ""
    # What to say when a required field is left empty, if not "Enter the <label>."
    missing: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown field kind {self.kind!r}")

    @property
    def input_type(self) -> str:
        """The HTML input type a browser gets for this kind."""
        return {"integer": "text", "decimal": "text"}.get(self.kind, self.kind)

    @property
    def input_mode(self) -> str:
        return {"integer": "numeric", "decimal": "decimal", "tel": "tel", "email": "email"}.get(self.kind, "")


@dataclass(frozen=True)
class FormSpec:
    fields: tuple[Field, ...]

    def __getitem__(self, name: str) -> Field:
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(name)

    def __iter__(self):
        return iter(self.fields)

    def names(self) -> list[str]:
        return [item.name for item in self.fields]

    def with_field(self, name: str, **changes) -> "FormSpec":
        """The same form with one field changed: choices filled in (clinicians,
        payers...), another hint on an edit form."""
        return FormSpec(tuple(replace(item, **changes) if item.name == name else item for item in self.fields))

    def with_choices(self, name: str, choices: Iterable[tuple[str, str]]) -> "FormSpec":
        return self.with_field(name, choices=tuple(choices))


@dataclass
class Form:
    """What was typed (kept when the form comes back) and what is wrong with it."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def get(self, name: str, default: str = "") -> str:
        value = self.values.get(name, default)
        return value if isinstance(value, str) else default


@dataclass(frozen=True)
class Reading:
    """How this clinic writes dates (from the locale)."""

    parse_date: Callable[[str], dt.date | None]
    date_hint: str
    today: dt.date


def parse_integer(text: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """ASCII digits only (int() would take '²' or '٣'), within range; None if not."""
    text = text.strip()
    if not ASCII_INTEGER.fullmatch(text):
        return None
    value = int(text)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        return None
    return value


def parse_decimal(text: str) -> Decimal | None:
    """A finite decimal written with ASCII digits (never NaN, Infinity or 1e9)."""
    text = text.strip()
    if not ASCII_DECIMAL.fullmatch(text):
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def check(spec: FormSpec, values: dict, reading: Reading | None = None) -> tuple[dict, dict[str, str]]:
    """Every field's generic rules: (clean values, errors). A service adds its
    own rules for fields without an error yet, then raises ``Invalid``."""
    errors: dict[str, str] = {}
    result: dict[str, Any] = {}
    for item in spec.fields:
        raw = values.get(item.name, "")
        raw = raw if isinstance(raw, str) else ""
        value, problem = _clean_one(item, raw, reading)
        # A field with a problem has no clean value: rules after this one must not use it.
        result[item.name] = None if problem else value
        if problem:
            errors[item.name] = problem
    return result, errors


def clean(spec: FormSpec, values: dict, reading: Reading | None = None) -> dict:
    """The clean values, or ``Invalid`` with a message per wrong field."""
    result, errors = check(spec, values, reading)
    if errors:
        raise Invalid(errors)
    return result


def _clean_one(item: Field, raw: str, reading: Reading | None) -> tuple[Any, str]:
    if item.kind == "checkbox":
        return raw in ("1", "on", "true", "yes"), ""
    if item.kind == "password":
        text = raw
    elif item.kind == "textarea":
        text = raw.strip()
    else:
        text = " ".join(raw.split())
    if not text:
        if item.required:
            verb = "Choose" if item.kind in ("choice", "radio") else "Enter"
            return None, item.missing or f"{verb} the {item.label.lower()}."
        if item.kind == "choice" and item.empty_choice is not None:
            return item.empty_choice, ""
        return (None if item.kind in ("date", "time", "integer", "decimal") else ""), ""
    if len(text) > item.max_length:
        return text, f"Use at most {item.max_length} characters."
    if item.kind in ("choice", "radio"):
        if text not in dict(item.choices):
            return text, item.missing or "Choose one of the options."
        return text, ""
    if item.kind == "date":
        if reading is None:
            raise ValueError("a date field needs the clinic's date reading")
        parsed = reading.parse_date(text)
        if parsed is None:
            return None, f"Enter a real date as {reading.date_hint}."
        if item.past_only and parsed > reading.today:
            return None, "This date cannot be in the future."
        if parsed.year < 1900 or parsed.year > 2200:
            return None, "Check the year."
        return parsed, ""
    if item.kind == "time":
        try:
            return dt.time.fromisoformat(text), ""
        except ValueError:
            return None, "Enter a time such as 09:30."
    if item.kind == "integer":
        number = parse_integer(text)
        if number is None:
            return None, "Enter a whole number."
        return _in_range(item, number)
    if item.kind == "decimal":
        number = parse_decimal(text)
        if number is None:
            return None, "Enter a number."
        return _in_range(item, number)
    return text, ""


def _in_range(item: Field, number):
    low, high = item.minimum, item.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        unit = f" {item.unit}" if item.unit else ""
        if low is not None and high is not None:
            return None, f"Expected between {low} and {high}{unit}."
        return None, f"Enter at least {low}{unit}." if low is not None else f"Enter at most {high}{unit}."
    return number, ""
