"""The header search: name prefixes, MRN, date of birth, phone digits.

Every branch is an indexed equality or prefix-range query on a key column the
service layer maintains (never LIKE on a raw name, which SQLite's
case-insensitive LIKE cannot answer from an ordinary index):

- "smi", "john smi", "smith, john": name keys, lower-case ASCII, as prefixes;
- "1042379" / "104237-9": the MRN (check digit verified);
- "03/15/1980" (the clinic's date order) or "1980-03-15": date of birth;
- "5550123", "555-0123": phone digits, matched from the end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.patients.identifiers import is_valid_mrn
from clinic.patients.normalise import age_label, digits, format_phone, name_key, parse_date, prefix_bounds
from clinic.patients.queries import next_appointments
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


def _prefix(column, prefix: str):
    low, high = prefix_bounds(prefix)
    return (column >= low) & (column < high)


def queries_for(text: str, date_order: str) -> list:
    """The WHERE conditions to try, best first (each uses an index)."""
    text = text.strip()
    conditions = []
    compact = text.replace("-", "").replace(" ", "")
    if compact.isascii() and compact.isdigit() and len(compact) == 7 and is_valid_mrn(compact):
        conditions.append(Patient.mrn == compact)
    birth = parse_date(text, date_order)
    if birth:
        conditions.append(Patient.date_of_birth == birth)
        return conditions
    number = digits(text)
    if number and len(number) >= 4 and len(number) == len("".join(ch for ch in text if ch.isalnum())):
        conditions.append(_prefix(Patient.phone_key, number[::-1][:15]))
        return conditions
    tokens = name_key(text.replace(",", " ")).split()
    if not tokens:
        return conditions
    if len(tokens) == 1:
        token = tokens[0]
        conditions += [_prefix(Patient.last_name_key, token), _prefix(Patient.first_name_key, token),
                       _prefix(Patient.preferred_name_key, token)]
    else:
        first, rest = tokens[0], " ".join(tokens[1:])
        last_first, rest_first = " ".join(tokens[:-1]), tokens[-1]
        # "john smi" (first last) and "smith john" / "smith, john" (last first)
        conditions += [
            _prefix(Patient.first_name_key, first) & _prefix(Patient.last_name_key, rest),
            _prefix(Patient.last_name_key, last_first) & _prefix(Patient.first_name_key, rest_first),
            _prefix(Patient.last_name_key, " ".join(tokens)),
        ]
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


async def search_patients(text: str, *, date_order: str, today: dt.date, country: str,
                          include_archived: bool = False, limit: int = RESULT_LIMIT) -> list[SearchHit]:
    conditions = queries_for(text, date_order)
    if not conditions:
        return []
    rows: dict[int, dict] = {}
    for condition in conditions:
        where = condition & Patient.merged_into.is_null()
        if not include_archived:
            where &= Patient.archived_at.is_null()
        for row in await Patient.select(*COLUMNS).where(where).limit(CANDIDATES):
            rows.setdefault(row["id"], row)
    tokens = name_key(text.replace(",", " ")).split()
    ordered = sorted(rows.values(), key=lambda row: _rank(row, tokens))[:limit]
    upcoming = await next_appointments([row["id"] for row in ordered])
    return [
        SearchHit(
            id=row["id"],
            name=f"{row['last_name']}, {row['first_name']}",
            preferred_name=row["preferred_name"],
            mrn=row["mrn"],
            date_of_birth=row["date_of_birth"],
            age=age_label(row["date_of_birth"], today),
            phone=format_phone(row["phone"], country),
            archived=row["archived_at"] is not None,
            next_appointment=upcoming.get(row["id"]),
        )
        for row in ordered
    ]
