"""Turning Piccolo's Postgres-dialect QueryStrings into MySQL statements.

Piccolo 1.38 only knows the postgres, sqlite and cockroach dialects, so our
engine asks for the Postgres one and translates here. Per-session
``ANSI_QUOTES`` and ``PIPES_AS_CONCAT`` make ``"identifiers"`` and ``||``
mean what they mean in Postgres; the rest is rewritten below. Anything that
still looks like Postgres after translation is refused (``UnsupportedQuery``)
rather than sent to the server, where it could fail obscurely or, worse,
succeed with another meaning (``'a' || 'b'`` is 0 without PIPES_AS_CONCAT).
"""

from __future__ import annotations

import re
from typing import Any

from piccolo.querystring import QueryString

from clinic.db.errors import UnsupportedQuery

# MySQL has no OFFSET without LIMIT; this is the documented "all rows" limit.
ALL_ROWS = "18446744073709551615"

_TABLE_EXISTS = re.compile(r"^SELECT EXISTS\(SELECT \* FROM information_schema\.tables WHERE table_name = (%s)\)$")
# Postgres constructs that must never reach a MySQL server. Checked on the SQL
# with string literals and quoted identifiers blanked out.
_POSTGRES_ONLY = [
    (re.compile(r"\$\d"), "a $n placeholder"),
    (re.compile(r"::"), "a :: cast"),
    (re.compile(r"\bILIKE\b", re.I), "ILIKE"),
    (re.compile(r"\bON CONFLICT\b", re.I), "ON CONFLICT"),
    (re.compile(r"\bDISTINCT ON\b", re.I), "DISTINCT ON"),
    (re.compile(r"\b(BIG)?SERIAL\b", re.I), "a SERIAL column"),
    (re.compile(r"\bTIMESTAMPTZ\b|\bJSONB\b|\bBYTEA\b", re.I), "a Postgres-only column type"),
    (re.compile(r"\bAS TEXT\)", re.I), "CAST ... AS TEXT"),
    (re.compile(r"\bFOR SHARE\b", re.I), "FOR SHARE (MariaDB has LOCK IN SHARE MODE)"),
    (re.compile(r"^\s*DROP INDEX\b(?!.*\bON\b)", re.I | re.S), "DROP INDEX without its table"),
    (re.compile(r"\bUSING (btree|hash|gin|gist)\s*\(", re.I), "an index method before the column list"),
    (re.compile(r"\bFOR (NO KEY UPDATE|KEY SHARE)\b", re.I), "a Postgres-only row lock"),
    (re.compile(r"\bpg_\w+|\bcurrent_schema\(\)", re.I), "a Postgres catalog"),
]
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def compile_querystring(querystring: QueryString) -> tuple[str, list[Any]]:
    """Like ``QueryString.compile_string`` but with PyMySQL's ``%s`` placeholders.

    PyMySQL interpolates with the ``%`` operator when there are arguments, so
    a literal ``%`` (``LIKE 'a%'`` written into a template) must be doubled;
    without arguments the SQL is sent untouched.
    """
    _, fragments, args = querystring.bundle(start_index=1, bundled=[], combined_args=[])
    if not args:
        return "".join(fragment.prefix for fragment in fragments), []
    sql = "".join(
        fragment.prefix.replace("%", "%%") + ("" if fragment.no_arg else "%s") for fragment in fragments
    )
    return sql, list(args)


def outside_literals(sql: str, rewrite) -> str:
    """Apply ``rewrite`` to the SQL between quoted strings and identifiers only."""
    pieces, position = [], 0
    for match in _QUOTED.finditer(sql):
        pieces.append(rewrite(sql[position:match.start()]))
        pieces.append(match.group(0))
        position = match.end()
    pieces.append(rewrite(sql[position:]))
    return "".join(pieces)


def translate(sql: str, *, query_type: str = "generic") -> str:
    """Rewrite the Postgres-isms Piccolo emits into MySQL (never inside literals)."""
    if " ON CONFLICT" in outside_literals(sql, lambda part: part):
        # MySQL's ON DUPLICATE KEY UPDATE fires on any unique key, not the one
        # named, and reports the existing row's id: not the same semantics.
        raise UnsupportedQuery("ON CONFLICT is not supported by our MySQL engine")
    if query_type in ("update", "delete") and " RETURNING " in sql:
        raise UnsupportedQuery("UPDATE/DELETE ... RETURNING is not supported on MySQL")
    # String concatenation casts to TEXT; MySQL's CAST wants CHAR.
    sql = outside_literals(sql, lambda part: part.replace(" AS TEXT)", " AS CHAR)"))
    if " ILIKE " in sql:
        # Our columns use a binary collation (see ddl.py), so LIKE would be
        # case-sensitive; ILIKE means "ignore case" on every backend.
        sql = _rewrite_ilike(sql)
    if _TABLE_EXISTS.match(sql):
        # information_schema spans every database on the server.
        sql = (
            "SELECT EXISTS(SELECT * FROM information_schema.tables WHERE table_name = %s"
            ' AND table_schema = DATABASE()) AS "exists"'
        )
    bare = outside_literals(sql, lambda part: part)
    if " OFFSET " in bare and " LIMIT " not in _QUOTED.sub("''", sql):
        sql = outside_literals(sql, lambda part: part.replace(" OFFSET ", f" LIMIT {ALL_ROWS} OFFSET ", 1))
    return sql


def _rewrite_ilike(sql: str) -> str:
    # "a" ILIKE %s  ->  LOWER("a") LIKE LOWER(%s)
    pattern = re.compile(r'((?:"[^"]+"\.)?"[^"]+"|\w+\([^()]*\)) ILIKE (%s|\'(?:[^\']|\'\')*\')')
    rewritten = pattern.sub(r"LOWER(\1) LIKE LOWER(\2)", sql)
    if " ILIKE " in rewritten:
        raise UnsupportedQuery("ILIKE on an expression our MySQL engine cannot rewrite")
    return rewritten


def refuse_untranslated(sql: str) -> None:
    """Raise UnsupportedQuery if Postgres-only syntax survived translation."""
    bare = _QUOTED.sub("''", sql)
    for pattern, what in _POSTGRES_ONLY:
        if pattern.search(bare):
            raise UnsupportedQuery(f"untranslated Postgres syntax ({what}) in a query for MySQL")


def split_insert(querystring: QueryString) -> tuple[QueryString, list[QueryString], QueryString | None]:
    """Take apart an Insert's QueryString: (insert, rows, returning).

    Piccolo builds ``INSERT ... VALUES {},{}`` with one QueryString per row,
    optionally wrapped as ``{}{}`` with a RETURNING part. Anything else (an
    ON CONFLICT clause, for one) is refused rather than guessed at.
    """
    insert, returning = querystring, None
    if insert.template == "{}{}" and len(insert.args) == 2:
        inner, tail = insert.args
        if isinstance(tail, QueryString) and tail.template.startswith(" RETURNING"):
            insert, returning = inner, tail
    if (not isinstance(insert, QueryString) or not insert.template.startswith("INSERT INTO ")
            or " VALUES " not in insert.template):
        raise UnsupportedQuery("an INSERT our MySQL engine does not recognise (ON CONFLICT is not supported)")
    rows = [arg for arg in insert.args if isinstance(arg, QueryString)]
    return insert, rows, returning


def single_row_inserts(insert: QueryString, rows: list[QueryString]) -> list[QueryString]:
    head = insert.template.split(" VALUES ", 1)[0]
    return [QueryString(f"{head} VALUES {{}}", row, query_type="insert", table=insert.table) for row in rows]
