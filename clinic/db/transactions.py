"""Transactions and row locks that mean the same on SQLite and MySQL."""

from __future__ import annotations

from piccolo.engine.base import Engine
from piccolo.query.methods.select import Select

from clinic.db import is_mysql


def in_transaction(engine: Engine) -> bool:
    return engine.current_transaction.get() is not None


def for_update(query: Select) -> Select:
    """Lock the rows a SELECT reads until the surrounding transaction ends.

    MySQL: ``SELECT ... FOR UPDATE``. SQLite has no row locks; our SQLite
    transactions begin IMMEDIATE, holding the database's one write lock from
    the start, which serialises writers at least as strictly. Either way the
    caller must be inside ``engine.transaction()``.
    """
    engine = query.table._meta.db
    if not in_transaction(engine):
        raise RuntimeError("for_update() only makes sense inside a transaction")
    if is_mysql(engine):
        return query.lock_rows("UPDATE")
    return query
