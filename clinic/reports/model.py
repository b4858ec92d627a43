"""What a report is made of: tables of figures (each maybe with a chart), and the filters it was asked
with. Every report screen, its CSV export and its tests share these shapes, so one template and one
CSV writer serve all of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from piccolo.querystring import QueryString

from clinic.billing.tables import LedgerEntry
from clinic.core.forms import Field, FormSpec, Reading, check

# Kinds of column: how a cell is shown and written to CSV.
TEXT, COUNT, MONEY, PERCENT, DATE, MONTH = "text", "count", "money", "percent", "date", "month"
# The longest period a report covers (ten years of months).
LONGEST_PERIOD = dt.timedelta(days=3700)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT

    @property
    def numeric(self) -> bool:
        return self.kind in (COUNT, MONEY, PERCENT)


@dataclass
class Table:
    """One table of a report. ``chart`` names the column drawn against the first one (or is empty)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: str = ""
    chart_label: str = ""
    note: str = ""
    totals: dict[str, Any] | None = None
    horizontal: bool = False  # categories (bars across) rather than a time series (bars up)

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)


@dataclass
class Report:
    name: str
    title: str
    tables: list[Table] = field(default_factory=list)
    facts: list[tuple[str, str, Any]] = field(default_factory=list)  # (label, kind, value) above the tables
    checks: list[tuple[str, bool]] = field(default_factory=list)  # (what balances, whether it does)

    def table(self, key: str) -> Table | None:
        return next((table for table in self.tables if table.key == key), None)


@dataclass(frozen=True)
class Filters:
    first: dt.date
    last: dt.date
    provider: int | None = None
    payer: int | None = None
    code: str = ""


def period_spec(providers: list[tuple[str, str]], *, payers: list[tuple[str, str]] | None = None,
                code: bool = False, single_day: bool = False) -> FormSpec:
    """The filter form of a report: its period (or day), provider and the report's own filters."""
    fields = [Field("day", "Day", kind="date")] if single_day else [
        Field("from", "From", kind="date"), Field("to", "To", kind="date")]
    fields.append(Field("provider", "Provider", kind="choice", blank="All providers", choices=tuple(providers)))
    if payers is not None:
        fields.append(Field("payer", "Payer", kind="choice", blank="All payers", choices=tuple(payers)))
    if code:
        # No hint line under it: the filters line up on their inputs. The Payers table says what it does.
        fields.append(Field("code", "Service code", max_length=20))
    return FormSpec(tuple(fields))


def read_filters(spec: FormSpec, params: dict[str, str], reading: Reading,
                 today: dt.date) -> tuple[Filters, dict[str, str], dict[str, str]]:
    """(filters, the values to show in the form, errors). Empty dates mean this month so far."""
    values = {item.name: (params.get(item.name) or "").strip()[:item.max_length] for item in spec}
    clean, errors = check(spec, values, reading)
    if "day" in values:
        first = last = clean.get("day") or today
    else:
        first = clean.get("from") or today.replace(day=1)
        last = clean.get("to") or today
        if not errors and last < first:
            errors["to"] = "The end of the period cannot be before its start."
        elif not errors and last - first > LONGEST_PERIOD:
            errors["to"] = "Choose a period of at most ten years."
    if errors:
        first = last = today
    else:  # the form (and the CSV links) show the period the report covers, even when it was left empty
        for name, day in (("day", first), ("from", first), ("to", last)):
            if name in values and not values[name]:
                values[name] = day.isoformat()
    filters = Filters(first=first, last=last, provider=_number(clean.get("provider")),
                      payer=_number(clean.get("payer")), code=(clean.get("code") or "").upper())
    return filters, values, errors


def _number(text) -> int | None:
    return int(text) if text and str(text).isdigit() else None


def as_int(value) -> int:
    """A SUM comes back as Decimal from MySQL and None over no rows."""
    return int(value or 0)


async def fetch(template: str, *args) -> list[dict]:
    """One read-only statement with ``{}`` placeholders (QueryStrings nest), on either backend."""
    return await LedgerEntry._meta.db.run_querystring(QueryString(template, *args))


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None
