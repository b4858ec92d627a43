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
_ON_CONFLICT = re.compile(
    r" ON CONFLICT(?: \((?P<target>[^)]*)\)| ON CONSTRAINT \S+)?"
    r" (?P<action>DO NOTHING|DO UPDATE SET (?P<sets>.*?))"
    r"(?P<where> WHERE .*?)?$",
    re.S,
)
_EXCLUDED = re.compile(r'EXCLUDED\.("[^"]+")')

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
    (re.compile(r"\bAS TEXT\b", re.I), "CAST ... AS TEXT"),
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


def translate(sql: str, *, primary_key: str | None = None) -> str:
    """Rewrite the Postgres-isms Piccolo emits into MySQL."""
    if " AS TEXT)" in sql:
        # String concatenation casts to TEXT; MySQL's CAST wants CHAR.
        sql = sql.replace(" AS TEXT)", " AS CHAR)")
    if " ILIKE " in sql:
        # Our columns use a binary collation (see ddl.py), so LIKE would be
        # case-sensitive; ILIKE means "ignore case" on every backend.
        sql = _rewrite_ilike(sql)
    match = _TABLE_EXISTS.match(sql)
    if match:
        # information_schema spans every database on the server.
        sql = (
            "SELECT EXISTS(SELECT * FROM information_schema.tables WHERE table_name = %s"
            ' AND table_schema = DATABASE()) AS "exists"'
        )
    if " OFFSET " in sql and " LIMIT " not in sql:
        sql = sql.replace(" OFFSET ", f" LIMIT {ALL_ROWS} OFFSET ", 1)
    if " ON CONFLICT" in sql:
        sql = _rewrite_on_conflict(sql, primary_key)
    return sql


def _rewrite_ilike(sql: str) -> str:
    # "a" ILIKE %s  ->  LOWER("a") LIKE LOWER(%s)
    pattern = re.compile(r'((?:"[^"]+"\.)?"[^"]+"|\w+\([^()]*\)) ILIKE (%s|\'(?:[^\']|\'\')*\')')
    rewritten = pattern.sub(r"LOWER(\1) LIKE LOWER(\2)", sql)
    if " ILIKE " in rewritten:
        raise UnsupportedQuery("ILIKE on an expression our MySQL engine cannot rewrite")
    return rewritten


def _rewrite_on_conflict(sql: str, primary_key: str | None) -> str:
    returning = ""
    if " RETURNING " in sql:
        sql, returning = sql.split(" RETURNING ", 1)
        returning = " RETURNING " + returning
    match = _ON_CONFLICT.search(sql)
    if not match or match.group("where"):
        raise UnsupportedQuery("ON CONFLICT with a WHERE clause has no MySQL equivalent")
    if match.group("action") == "DO NOTHING":
        if not primary_key:
            raise UnsupportedQuery("ON CONFLICT DO NOTHING needs the table's primary key")
        # A no-op update, not INSERT IGNORE, which would also hide foreign key,
        # NOT NULL and truncation errors.
        clause = f' ON DUPLICATE KEY UPDATE "{primary_key}" = "{primary_key}"'
    else:
        clause = " ON DUPLICATE KEY UPDATE " + _EXCLUDED.sub(r"VALUES(\1)", match.group("sets"))
    return sql[: match.start()] + clause + returning


def refuse_untranslated(sql: str) -> None:
    """Raise UnsupportedQuery if Postgres-only syntax survived translation."""
    bare = _QUOTED.sub("''", sql)
    for pattern, what in _POSTGRES_ONLY:
        if pattern.search(bare):
            raise UnsupportedQuery(f"untranslated Postgres syntax ({what}) in a query for MySQL")


def split_insert(querystring: QueryString) -> tuple[QueryString, list[QueryString], QueryString | None, QueryString | None]:
    """Take apart an Insert's QueryString: (insert, rows, on_conflict, returning).

    Piccolo builds ``INSERT ... VALUES {},{}`` with one QueryString per row,
    optionally wrapped as ``{}{}`` with an ON CONFLICT and/or a RETURNING part.
    """
    insert = querystring
    on_conflict = returning = None
    while insert.template == "{}{}" and len(insert.args) == 2:
        inner, tail = insert.args
        if tail.template.startswith(" RETURNING"):
            returning = tail
        elif tail.template.startswith(" ON CONFLICT"):
            on_conflict = tail
        else:
            break
        insert = inner
    if not insert.template.startswith("INSERT INTO ") or " VALUES " not in insert.template:
        raise UnsupportedQuery("an INSERT our MySQL engine does not recognise")
    rows = [arg for arg in insert.args if isinstance(arg, QueryString)]
    return insert, rows, on_conflict, returning


def single_row_inserts(insert: QueryString, rows: list[QueryString]) -> list[QueryString]:
    head = insert.template.split(" VALUES ", 1)[0]
    return [QueryString(f"{head} VALUES {{}}", row, query_type="insert", table=insert.table) for row in rows]
