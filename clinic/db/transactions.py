"""Transactions and row locks that mean the same on SQLite and MySQL."""

from __future__ import annotations

from piccolo.engine.base import Engine
from piccolo.query.methods.select import Select

from clinic.db import is_mysql
from clinic.db.errors import UnsupportedQuery


def in_transaction(engine: Engine) -> bool:
    return engine.current_transaction.get() is not None


def can_skip_locked(engine: Engine) -> bool:
    """Whether ``for_update(..., skip_locked=True)`` works on this database.

    Always on SQLite (nothing to skip: writers take turns). On MySQL the
    server must be known, so ask inside a transaction or after connecting.
    """
    return not is_mysql(engine) or engine.supports_skip_locked  # type: ignore[attr-defined]


def for_update(query: Select, *, skip_locked: bool = False) -> Select:
    """Lock the rows a SELECT reads until the surrounding transaction ends.

    MySQL: ``SELECT ... FOR UPDATE``, with ``SKIP LOCKED`` leaving out rows
    another transaction holds instead of waiting for them (a queue's
    claimers then take different rows). SQLite has no row locks; our SQLite
    transactions begin IMMEDIATE, holding the database's one write lock from
    the start, which serialises writers at least as strictly. Either way the
    caller must be inside ``engine.transaction()``.
    """
    engine = query.table._meta.db
    if not in_transaction(engine):
        raise RuntimeError("for_update() only makes sense inside a transaction")
    if not is_mysql(engine):
        return query
    if skip_locked and not engine.supports_skip_locked:  # type: ignore[attr-defined]
        # Plain FOR UPDATE would wait instead of skipping: a different
        # behaviour, so the caller chooses (see can_skip_locked).
        version = ".".join(str(part) for part in engine.server_version)  # type: ignore[attr-defined]
        raise UnsupportedQuery(f"SKIP LOCKED needs MariaDB 10.6+ or MySQL 8.0.1+ (this server is {version})")
    return query.lock_rows("UPDATE", skip_locked=skip_locked)
