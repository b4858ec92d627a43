"""Statements and transactions per request, counted only when asked.

Benchmarks and tests turn it on (``CLINIC_COUNT_QUERIES=1`` makes the app
answer ``X-Query-Count`` and ``X-Transaction-Count``) to see an N+1 or an
extra transaction as a number. The engines call ``count_statement()`` for each
statement they send and ``count_transaction()`` for each transaction they
begin (BEGIN and COMMIT are not counted as statements; nested ones reuse the
outer). With nothing counting, each call is one context-variable look-up.

``recording()`` also keeps every statement with its parameters, from any
request, so a test can EXPLAIN exactly what the screens run.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, Iterator


@dataclass
class Tally:
    statements: int = 0
    transactions: int = 0


# Tasks started during a request inherit the same Tally (context variables are copied, the object is shared).
_tally: ContextVar[Tally | None] = ContextVar("clinic_db_tally", default=None)
_recorded: list[tuple[str, list[Any]]] | None = None


def start_counting() -> tuple[Tally, Token]:
    tally = Tally()
    return tally, _tally.set(tally)


def stop_counting(token: Token) -> None:
    _tally.reset(token)


def count_statement(sql: str, args: Any = None) -> None:
    tally = _tally.get()
    if tally is not None:
        tally.statements += 1
    if _recorded is not None:
        _recorded.append((sql, list(args or [])))


def count_transaction() -> None:
    tally = _tally.get()
    if tally is not None:
        tally.transactions += 1


@contextmanager
def recording() -> Iterator[list[tuple[str, list[Any]]]]:
    """Every statement sent while the block runs, as (sql, parameters), in the engine's dialect."""
    global _recorded
    _recorded = []
    try:
        yield _recorded
    finally:
        _recorded = None
