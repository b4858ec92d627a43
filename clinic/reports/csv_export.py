"""A report table as CSV for a spreadsheet or an accountant.

Amounts are written as plain decimals in the currency's units (12.50), dates ISO, so a spreadsheet
reads them as numbers and dates whatever the clinic's display settings. A text cell a spreadsheet
would run as a formula (CSV injection) gets a leading quote.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from clinic.core.money import to_decimal
from clinic.reports.model import DATE, MONEY, MONTH, Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A cell that starts like a formula (= + - @, or a tab or carriage return some spreadsheets trim
    first) is made text with a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(kind: str, value, currency: str) -> str:
    if value is None:
        return ""
    if kind == MONEY:
        return str(to_decimal(int(value), currency))  # a number: a negative amount is not a formula here
    if kind == MONTH and isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    if kind == DATE and isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(value)
    return safe_cell(str(value))


def table_csv(table: Table, currency: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([safe_cell(column.label) for column in table.columns])
    for row in table.rows:
        writer.writerow([cell(column.kind, row.get(column.key), currency) for column in table.columns])
    if table.totals:
        writer.writerow([cell(column.kind, table.totals.get(column.key), currency) for column in table.columns])
    return buffer.getvalue()
