"""Driver errors as the app's own (clinic.db.errors), without the driver's messages."""

from __future__ import annotations

import asyncio
import re

import pymysql

from clinic.db.errors import (
    AppendOnlyViolation,
    DatabaseUnavailable,
    IntegrityViolation,
    QueryFailed,
    WriteConflict,
)

# Client-side codes (2xxx) and server codes that mean "the database is gone".
UNAVAILABLE_CODES = {1040, 1045, 1049, 1053, 1077, 1129, 1927, 2002, 2003, 2005, 2006, 2013, 2055, 4031}
# The server had already dropped the connection before our statement reached
# it (killed, timed out, gone away on send): running it again cannot apply it
# twice, so outside a transaction we retry once on a fresh connection.
RETRYABLE_CODES = {1927, 2006, 4031}
_FK_MESSAGE = re.compile(r"`([^`]+)`, CONSTRAINT `([^`]+)` FOREIGN KEY \(([^)]*)\)")
_DUPLICATE_KEY = re.compile(r"for key '(?:[^'.]+\.)?([^']+)'")


def translate_error(error: BaseException, table: str | None) -> BaseException:
    """A driver error as one of ours. Driver messages quote the offending
    values (PHI), so only codes, constraint and column names are kept."""
    if isinstance(error, (asyncio.TimeoutError, ConnectionError, OSError)):
        return DatabaseUnavailable("MySQL: cannot reach the server")
    if not isinstance(error, pymysql.err.MySQLError):
        return error
    code = error.args[0] if error.args and isinstance(error.args[0], int) else 0
    message = str(error.args[1]) if len(error.args) > 1 else ""
    if isinstance(error, pymysql.err.InterfaceError) or code in UNAVAILABLE_CODES:
        return DatabaseUnavailable(f"MySQL: connection lost or refused (error {code})")
    if code == 1644 and "append-only" in message:
        return AppendOnlyViolation(message)
    if code in (1213, 1205):
        return WriteConflict(f"MySQL error {code}: {'deadlock' if code == 1213 else 'lock wait timeout'}")
    if code == 1062:
        # MySQL 8.0.19+ writes "for key 'table.name'", MariaDB "for key 'name'";
        # our key names contain their columns (table_column_key, table_cols_uniq).
        key = _DUPLICATE_KEY.search(message)
        return IntegrityViolation(IntegrityViolation.UNIQUE, table=table, constraint=key.group(1) if key else None)
    if code in (1451, 1452, 1216, 1217):
        match = _FK_MESSAGE.search(message)
        if match:
            child_table = match.group(1).split("`.`")[-1]
            columns = tuple(c.strip("` ") for c in match.group(3).split(","))
            return IntegrityViolation(
                IntegrityViolation.FOREIGN_KEY, table=child_table, columns=columns, constraint=match.group(2)
            )
        return IntegrityViolation(IntegrityViolation.FOREIGN_KEY, table=table)
    if code in (1048, 1364):
        column = re.search(r"(?:Column|Field) '([^']+)'", message)
        return IntegrityViolation(
            IntegrityViolation.NOT_NULL, table=table, columns=(column.group(1),) if column else ()
        )
    if code in (3819, 4025):
        name = re.search(r"constraint '([^']+)'", message, re.I)
        return IntegrityViolation(IntegrityViolation.CHECK, table=table, constraint=name.group(1) if name else None)
    return QueryFailed(code, type(error).__name__)
