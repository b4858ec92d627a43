"""CREATE TABLE for MySQL 8 and MariaDB, from Piccolo table classes.

Written so the same statement works on both servers by construction:

- foreign keys are table-level ``CONSTRAINT ... FOREIGN KEY`` clauses: MySQL 8
  parses an inline column ``REFERENCES`` and silently ignores it;
- ``INTEGER AUTO_INCREMENT`` keys (MySQL's ``SERIAL`` is BIGINT UNSIGNED and
  would not match INTEGER foreign keys);
- ``DATETIME(6)`` for timestamps (microseconds, no 2038 limit, no implicit
  time zone conversion: the engine always sends UTC);
- ``DECIMAL`` only with an explicit precision (bare DECIMAL is DECIMAL(10,0));
- no literal defaults on TEXT/JSON/BLOB columns (MySQL refuses them); Piccolo
  always sends a value for those on insert anyway;
- named unique constraints and indexes inside the CREATE TABLE, so
  ``IF NOT EXISTS`` covers them too;
- InnoDB, utf8mb4, and a binary, no-pad collation chosen per server so that
  ``=``, ``LIKE`` and ``ORDER BY`` compare exactly as SQLite does (case,
  accents and trailing spaces all count). Case-insensitive matching in the
  app goes through normalised key columns, never through the collation.

Piccolo dispatches DDL by dialect name; its ``Create`` query has no
``postgres_ddl`` of its own (it falls back to ``default_ddl``), so we give it
one that answers only for tables bound to our engine (``install``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from piccolo.columns import column_types as ct
from piccolo.columns.base import Column
from piccolo.columns.defaults.base import Default
from piccolo.query.methods.create import Create

from clinic.db.errors import UnsupportedQuery

if TYPE_CHECKING:  # pragma: no cover
    from piccolo.table import Table

MARIADB_COLLATION = "utf8mb4_nopad_bin"
MYSQL_COLLATION = "utf8mb4_0900_bin"
_NO_LITERAL_DEFAULT = (ct.Text, ct.JSON, ct.Bytea)


def column_type(column: Column) -> str:
    if isinstance(column, ct.ForeignKey):
        target = column._foreign_key_meta.resolved_target_column
        if isinstance(target, ct.BigSerial):
            return "BIGINT"
        if isinstance(target, ct.Serial):
            return "INTEGER"
        return column_type(target)
    simple = [
        (ct.BigSerial, "BIGINT AUTO_INCREMENT"),
        (ct.Serial, "INTEGER AUTO_INCREMENT"),
        (ct.BigInt, "BIGINT"),
        (ct.SmallInt, "SMALLINT"),
        (ct.Integer, "INTEGER"),
        (ct.Text, "LONGTEXT"),
        (ct.Timestamptz, "DATETIME(6)"),
        (ct.Timestamp, "DATETIME(6)"),
        (ct.Date, "DATE"),
        (ct.Time, "TIME(6)"),
        (ct.Boolean, "BOOLEAN"),
        (ct.DoublePrecision, "DOUBLE"),
        (ct.Real, "FLOAT"),
        (ct.JSON, "JSON"),
        (ct.Bytea, "LONGBLOB"),
    ]
    for kind, sql_type in simple:
        if isinstance(column, kind):
            return sql_type
    if isinstance(column, ct.Char):
        return f"CHAR({column.length or 1})"
    if isinstance(column, ct.Varchar):
        if not column.length:
            raise UnsupportedQuery(f"{column._meta.name}: VARCHAR needs a length on MySQL")
        return f"VARCHAR({column.length})"
    if isinstance(column, ct.Numeric):
        if not column.digits:
            raise UnsupportedQuery(f"{column._meta.name}: give Numeric an explicit precision, digits=(p, s)")
        precision, scale = column.digits
        return f"DECIMAL({precision},{scale})"
    raise UnsupportedQuery(f"{column.__class__.__name__} columns are not supported by our MySQL engine")


def default_sql(column: Column) -> str | None:
    """The DEFAULT clause value, or None for no DEFAULT clause."""
    if isinstance(column, ct.Serial) or isinstance(column, _NO_LITERAL_DEFAULT):
        return None
    if callable(column.default) and not isinstance(column.default, Default):
        return None  # a Python callable: Piccolo fills it in on insert
    default = column.get_default_value()
    if isinstance(default, Default):
        name = type(default).__name__
        if name in ("TimestampNow", "TimestamptzNow"):
            return "CURRENT_TIMESTAMP(6)"
        # Dates, offsets, UUIDs: Piccolo computes them on insert.
        return None
    if default is None:
        return "NULL" if column._meta.null else None
    if isinstance(default, bool):
        return "TRUE" if default else "FALSE"
    return column.get_sql_value(default)


def column_ddl(column: Column) -> str:
    meta = column._meta
    sql = f'"{meta.db_column_name}" {column_type(column)}'
    sql += " NULL" if meta.null and not meta.primary_key else " NOT NULL"
    default = default_sql(column)
    if default is not None:
        sql += f" DEFAULT {default}"
    return sql


def foreign_key_clause(tablename: str, column: Column) -> str:
    """A named, table-level foreign key (the form MySQL 8 does not ignore)."""
    fk = column._foreign_key_meta
    name = column._meta.db_column_name
    target = fk.resolved_target_column._meta.db_column_name
    return (
        f'CONSTRAINT "{tablename}_{name}_fkey" FOREIGN KEY ("{name}") '
        f'REFERENCES "{fk.resolved_references._meta.tablename}" ("{target}") '
        f"ON DELETE {fk.on_delete.value} ON UPDATE {fk.on_update.value}"
    )


def create_table_ddl(table: type[Table], *, if_not_exists: bool, collation: str) -> str:
    tablename = table._meta.tablename
    parts = [column_ddl(column) for column in table._meta.columns]
    parts.append(f'PRIMARY KEY ("{table._meta.primary_key._meta.db_column_name}")')
    for column in table._meta.columns:
        name = column._meta.db_column_name
        if column._meta.unique and not column._meta.primary_key:
            parts.append(f'CONSTRAINT "{tablename}_{name}_key" UNIQUE ("{name}")')
        elif column._meta.index:
            parts.append(f'INDEX "{tablename}_{name}" ("{name}")')
    for column in table._meta.foreign_key_columns:
        parts.append(foreign_key_clause(tablename, column))
    prefix = "CREATE TABLE IF NOT EXISTS" if if_not_exists else "CREATE TABLE"
    return (
        f'{prefix} "{tablename}" ({", ".join(parts)}) '
        f"ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={collation}"
    )


def install() -> None:
    """Give Piccolo's Create query a MySQL answer for tables bound to our engine."""
    if getattr(Create, "_clinic_mysql_ddl", False):
        return

    def postgres_ddl(self: Create):
        from clinic.db.mysql.engine import MySQLEngine

        engine = self.table._meta.db
        if not isinstance(engine, MySQLEngine):
            raise NotImplementedError  # a real Postgres engine: Piccolo's default
        if self.only_default_columns or self.table._meta.schema not in (None, "public"):
            raise UnsupportedQuery("schemas and only_default_columns are not supported on MySQL")
        if self.table._meta.constraints:
            raise UnsupportedQuery("table-level Piccolo constraints are not supported on MySQL yet")
        return [create_table_ddl(self.table, if_not_exists=self.if_not_exists, collation=engine.collation)]

    Create.postgres_ddl = property(postgres_ddl)  # type: ignore[attr-defined]
    Create._clinic_mysql_ddl = True  # type: ignore[attr-defined]
