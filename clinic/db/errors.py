"""Database errors the app understands, the same on SQLite and MySQL.

Drivers put the offending value in their messages ("Duplicate entry
'jane@example.com' for key ..."): that can be PHI, so these exceptions keep
only the kind of violation, the table, the constraint and the column names.
"""

from __future__ import annotations


class DatabaseError(Exception):
    """Base class for the errors below."""


class DatabaseUnavailable(DatabaseError):
    """The database cannot be reached or stopped answering (the web layer shows a 503)."""

    def __init__(self, reason: str = "the database is not answering"):
        super().__init__(reason)
        self.reason = reason


class IntegrityViolation(DatabaseError):
    """A unique, foreign key, not-null or check constraint refused a write."""

    UNIQUE = "unique"
    FOREIGN_KEY = "foreign_key"
    NOT_NULL = "not_null"
    CHECK = "check"

    def __init__(self, kind: str, *, table: str | None = None, columns: tuple[str, ...] = (), constraint: str | None = None):
        self.kind = kind
        self.table = table
        self.columns = columns
        self.constraint = constraint
        where = ", ".join(columns) or constraint or "?"
        super().__init__(f"{kind} constraint violated on {table or '?'} ({where})")

    def involves(self, column: str) -> bool:
        """Whether the violated constraint covers this column (our key names
        contain their columns: ``table_column_key``, ``table_cols_uniq``)."""
        return column in self.columns or (self.constraint is not None and column in self.constraint)


class WriteConflict(DatabaseError):
    """Two transactions wanted the same rows (deadlock or lock wait timeout): retry."""


class QueryFailed(DatabaseError):
    """A statement the database refused for another reason. Only the error code
    is kept: drivers quote the offending values in their messages."""

    def __init__(self, code: int, kind: str):
        super().__init__(f"database error {code} ({kind})")
        self.code = code
        self.kind = kind


class AppendOnlyViolation(DatabaseError):
    """Something tried to change or delete a row of an append-only table."""


class UnsupportedQuery(DatabaseError):
    """Piccolo produced SQL that our MySQL engine does not know how to translate.

    Raised instead of sending untranslated Postgres SQL to the server, so a
    Piccolo upgrade that changes its output fails loudly in the tests.
    """
