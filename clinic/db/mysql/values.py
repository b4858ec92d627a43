"""Values to and from MySQL, made to match what the SQLite engine gives and takes."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import aiomysql
from pymysql.constants import FIELD_TYPE


class QuietCursor(aiomysql.Cursor):
    """A cursor that does not turn server notes into Python warnings.

    aiomysql follows any statement that left warnings with SHOW WARNINGS and
    prints them: an extra round trip, and the text can quote column values.
    Strict SQL mode already turns data problems into errors.
    """

    async def _show_warnings(self, conn) -> None:
        return None


class QuietStreamingCursor(aiomysql.SSCursor):
    async def _show_warnings(self, conn) -> None:
        return None


def adapt_parameter(value: Any) -> Any:
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        # PyMySQL drops tzinfo without a word: 12:00+02:00 would be stored as
        # 12:00. Store UTC, as the SQLite engine does.
        return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _as_bool(value):
    return None if value is None else bool(value)


def _as_utc(value):
    return value.replace(tzinfo=datetime.timezone.utc) if isinstance(value, datetime.datetime) else value


def _as_time(value):
    """TIME comes back as a timedelta from PyMySQL; a time of day, as on SQLite."""
    if isinstance(value, datetime.timedelta):
        micro = int(value.total_seconds() * 1_000_000) % (24 * 3600 * 1_000_000)
        return (datetime.datetime.min + datetime.timedelta(microseconds=micro)).time()
    return value


def _as_int(value):
    return int(value) if isinstance(value, Decimal) else value


def decode_rows(description, rows) -> list[dict]:
    """Rows as dicts, with MySQL's types made to match what SQLite returns."""
    if not description:
        return []
    names = [column[0] for column in description]
    converters: dict[int, Any] = {}
    for index, (_, type_code, _, length, _, scale, _) in enumerate(description):
        if type_code == FIELD_TYPE.TINY and length == 1:
            converters[index] = _as_bool  # BOOLEAN is TINYINT(1)
        elif type_code in (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP):
            converters[index] = _as_utc  # everything is stored as UTC
        elif type_code == FIELD_TYPE.TIME:
            converters[index] = _as_time
        elif type_code == FIELD_TYPE.NEWDECIMAL and scale == 0:
            converters[index] = _as_int  # SUM/COUNT of integers
    if not converters:
        return [dict(zip(names, row)) for row in rows]
    decoded = []
    for row in rows:
        values = list(row)
        for index, convert in converters.items():
            values[index] = convert(values[index])
        decoded.append(dict(zip(names, values)))
    return decoded
