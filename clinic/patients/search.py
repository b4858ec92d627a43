"""The header search: name prefixes, MRN, date of birth, phone digits.

Every branch is an indexed equality or prefix-range query on a key column the
service layer maintains (never LIKE on a raw name, which SQLite's
case-insensitive LIKE cannot answer from an ordinary index):

- "smi", "john smi", "smith, john": name keys, lower-case ASCII, as prefixes;
- "1042373" / "104237-3": the MRN (check digit verified);
- "03/15/1980" (the clinic's date order) or "1980-03-15": date of birth;
- "5550123", "555-0123", "020 7946 0958": phone digits, matched from the end
  (a whole number typed nationally or with its country code as its national digits).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from piccolo.querystring import QueryString

from clinic.patients.identifiers import is_valid_mrn
from clinic.patients.normalise import (
    age_label,
    digits,
    format_phone,
    name_key,
    national_digits,
    parse_date,
    prefix_bounds,
)
from clinic.patients.queries import as_utc_datetime, next_appointment_column
from clinic.patients.tables import Patient

RESULT_LIMIT = 20
CANDIDATES = 60
COLUMNS = (
    Patient.id, Patient.mrn, Patient.first_name, Patient.last_name, Patient.preferred_name, Patient.date_of_birth,
    Patient.phone, Patient.last_name_key, Patient.first_name_key, Patient.preferred_name_key, Patient.archived_at,
)


@dataclass(frozen=True)
class SearchHit:
    id: int
    name: str
    preferred_name: str
    mrn: str
    date_of_birth: dt.date
    age: str
    phone: str
    archived: bool
    next_appointment: dt.datetime | None


@dataclass(frozen=True)
class NamePrefixes:
    """One way to read the typed words: prefixes of the name keys, all to match."""

    last: str = ""
    first: str = ""
    preferred: str = ""


@dataclass(frozen=True)
class SearchTerms:
    """What the typed text was read as. Each part becomes one indexed query."""

    mrn: str = ""
    date_of_birth: dt.date | None = None
    phone_digits: str = ""  # national digits, matched against the end of stored numbers
    names: tuple[NamePrefixes, ...] = ()


def read_search(text: str, date_order: str, country: str = "") -> SearchTerms:
    """How the header search reads what was typed, best reading first."""
    text = text.strip()
    compact = text.replace("-", "").replace(" ", "")
    mrn = compact if is_valid_mrn(compact) else ""
    birth = parse_date(text, date_order)
    if birth:
        return SearchTerms(mrn=mrn, date_of_birth=birth)
    number = national_digits(text, country)
    if number and len(number) >= 4 and len(digits(text)) == len("".join(ch for ch in text if ch.isalnum())):
        return SearchTerms(mrn=mrn, phone_digits=number)
    tokens = name_key(text.replace(",", " ")).split()
    if not tokens:
        return SearchTerms(mrn=mrn)
    if len(tokens) == 1:
        token = tokens[0]
        return SearchTerms(mrn=mrn, names=(NamePrefixes(last=token), NamePrefixes(first=token),
                                           NamePrefixes(preferred=token)))
    # "john smi" (first last), "smith john" / "smith, john" (last first), "de la cr" (a last name of several words)
    return SearchTerms(mrn=mrn, names=(
        NamePrefixes(first=tokens[0], last=" ".join(tokens[1:])),
        NamePrefixes(last=" ".join(tokens[:-1]), first=tokens[-1]),
        NamePrefixes(last=" ".join(tokens)),
    ))


def _prefix(column, prefix: str):
    low, high = prefix_bounds(prefix)
    return (column >= low) & (column < high)


def _names(prefixes: NamePrefixes):
    columns = ((Patient.last_name_key, prefixes.last), (Patient.first_name_key, prefixes.first),
               (Patient.preferred_name_key, prefixes.preferred))
    condition = None
    for column, prefix in columns:
        if prefix:
            condition = _prefix(column, prefix) if condition is None else condition & _prefix(column, prefix)
    return condition


def queries_for(text: str, date_order: str, country: str = "") -> list:
    """The WHERE conditions to try, best first (each uses an index)."""
    terms = read_search(text, date_order, country)
    conditions = []
    if terms.mrn:
        conditions.append(Patient.mrn == terms.mrn)
    if terms.date_of_birth:
        conditions.append(Patient.date_of_birth == terms.date_of_birth)
    if terms.phone_digits:
        conditions.append(_prefix(Patient.phone_key, terms.phone_digits[::-1][:15]))
    conditions += [_names(prefixes) for prefixes in terms.names]
    return conditions


def _rank(row: dict, tokens: list[str]) -> tuple:
    """Exact last name first, then last-name prefix, then first-name matches; then alphabetical."""
    last, first = row["last_name_key"], row["first_name_key"]
    joined = " ".join(tokens)
    if tokens and last == joined:
        score = 0
    elif tokens and last.startswith(tokens[0]):
        score = 1
    elif tokens and first.startswith(tokens[0]):
        score = 2
    else:
        score = 3
    return score, last, first, row["id"]


def _rank_sql(tokens: list[str]) -> QueryString:
    """``_rank``'s score in SQL, so the database keeps only the best ``limit`` rows."""
    if not tokens:
        return QueryString("3")
    low, high = prefix_bounds(tokens[0])
    return QueryString(
        'CASE WHEN u."last_name_key" = {} THEN 0 WHEN u."last_name_key" >= {} AND u."last_name_key" < {} THEN 1 '
        'WHEN u."first_name_key" >= {} AND u."first_name_key" < {} THEN 2 ELSE 3 END',
        " ".join(tokens), low, high, low, high,
    )


def one_query(conditions: list, text: str, *, include_archived: bool, limit: int) -> QueryString:
    """Every reading of the text in one statement: each condition's candidates
    (up to CANDIDATES, through its own index), merged, ranked as ``best_first``
    ranks them, the best ``limit`` kept, with each one's next appointment."""
    columns = ", ".join(f'"{column._meta.db_column_name}"' for column in COLUMNS)
    live = ' AND "patient"."merged_into" IS NULL' + ("" if include_archived else ' AND "patient"."archived_at" IS NULL')
    branch = f'SELECT * FROM (SELECT {columns} FROM "patient" WHERE {{}}{live} LIMIT {CANDIDATES}) AS b'
    candidates = QueryString(" UNION ".join(f"{branch}{n}" for n in range(len(conditions))),
                             *[condition.querystring for condition in conditions])
    tokens = name_key(text.replace(",", " ")).split()
    return QueryString(
        f'SELECT c.*, {{}} FROM (SELECT u.*, {{}} AS "score" FROM ({{}}) AS u '
        f'ORDER BY "score", u."last_name_key", u."first_name_key", u."id" LIMIT {int(limit)}) AS c',
        next_appointment_column('c."id"'), _rank_sql(tokens), candidates,
    )


def best_first(rows, text: str) -> list[dict]:
    """Rows found for ``text`` in the order the front desk wants them."""
    tokens = name_key(text.replace(",", " ")).split()
    return sorted(rows, key=lambda row: _rank(row, tokens))


async def search_patients(text: str, *, date_order: str, today: dt.date, country: str,
                          include_archived: bool = False, limit: int = RESULT_LIMIT) -> list[SearchHit]:
    conditions = queries_for(text, date_order, country)
    if not conditions:
        return []
    rows = await Patient.raw(*_template(one_query(conditions, text, include_archived=include_archived, limit=limit)))
    ordered = best_first(rows, text)
    return [
        SearchHit(
            id=row["id"],
            name=f"{row['last_name']}, {row['first_name']}",
            preferred_name=row["preferred_name"],
            mrn=row["mrn"],
            date_of_birth=as_date(row["date_of_birth"]),
            age=age_label(as_date(row["date_of_birth"]), today),
            phone=format_phone(row["phone"], country),
            archived=row["archived_at"] is not None,
            next_appointment=as_utc_datetime(row["next_at"]),
        )
        for row in ordered
    ]


def _template(querystring: QueryString) -> tuple:
    """``Table.raw`` takes a template and its values; a QueryString is both."""
    return "{}", querystring


def as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
