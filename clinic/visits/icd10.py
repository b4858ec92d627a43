"""ICD-10-CM look-up: codes typed with or without their dot, words of the description.

Search as you type must answer within a few milliseconds over ~98,000 codes,
so every search is a range scan on an index, in code order, stopping at the
limit: a code prefix on ``icd10_code.compact``; words on ``icd10_word``
(word, compact) for the rarest-looking word, the other words checked per
candidate through the same index. No full-text engine, the same on SQLite
and MariaDB. The code set itself is loaded by ``clinic icd10 load``
(icd10_loader.py); this module never imports the ``simple_icd_10_cm`` package.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from clinic.audit.services import Actor, record
from clinic.core.errors import Invalid
from clinic.db.schema import raw
from clinic.visits.tables import FavouriteCode, Icd10Code, Icd10Term

# A code as people type it: a letter, two digits or letters, then more after an optional dot.
CODE_TYPED = re.compile(r"^[A-Za-z][0-9][0-9A-Za-z]?(\.?[0-9A-Za-z]{0,4})?$")
WORD = re.compile(r"[a-z0-9]+")
LIMIT = 20
MAX_WORDS = 6
WORD_LENGTH = 40


@dataclass(frozen=True)
class Code:
    code: str
    description: str
    billable: bool
    favourite: bool = False


def compact(code: str) -> str:
    """'e11.9 ' -> 'E119' (how the code is indexed)."""
    return code.strip().upper().replace(".", "")


def with_dot(code: str) -> str:
    """'E119' -> 'E11.9': ICD-10-CM puts the dot after the third character."""
    plain = compact(code)
    return plain if len(plain) <= 3 else f"{plain[:3]}.{plain[3:]}"


def looks_like_code(text: str) -> bool:
    return bool(CODE_TYPED.match(text.strip()))


def words_of(text: str) -> list[str]:
    """Lower-case words without accents: 'Ménière's disease' -> ['meniere', 's', 'disease']."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return [word[:WORD_LENGTH] for word in WORD.findall(plain)]


def next_prefix(prefix: str) -> str:
    """The first string after every string starting with ``prefix`` (for a range scan)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass(frozen=True)
class Query:
    """What was typed, read as a code prefix or as words (all must match, the last as a prefix)."""

    code_prefix: str = ""
    words: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.code_prefix and not self.words


def read_query(text: str) -> Query:
    text = (text or "")[:200]
    if looks_like_code(text):
        return Query(code_prefix=compact(text))
    words = words_of(text)
    if not words:
        return Query()
    # Complete words first (exact), the last one as typed (a prefix); duplicates once.
    complete = tuple(dict.fromkeys(words[:-1]))[: MAX_WORDS - 1]
    return Query(words=(*[word for word in complete if word != words[-1]], words[-1]))


# A word describing fewer codes than this drives the search (its matches are sorted); when every word
# is commoner, codes are scanned in code order and the first LIMIT that match are taken.
RARE = 6000
CODE_COLUMNS = 'c."code", c."description", c."billable"'


def _word_checks(words: tuple[str, ...], prefix_last: bool, skip: int | None = None) -> tuple[str, list]:
    """SQL that each word appears in the description of code ``c`` (index on icd10_word (code, word))."""
    sql, args = [], []
    for index, word in enumerate(words):
        if index == skip:
            continue
        if prefix_last and index == len(words) - 1:
            sql.append('EXISTS (SELECT 1 FROM "icd10_word" x WHERE x."code" = c."id" AND x."word" >= {} '
                       'AND x."word" < {})')
            args += [word, next_prefix(word)]
        else:
            sql.append('EXISTS (SELECT 1 FROM "icd10_word" x WHERE x."code" = c."id" AND x."word" = {})')
            args.append(word)
    return " AND ".join(sql), args


async def _word_counts(words: tuple[str, ...]) -> list[int]:
    engine = Icd10Term._meta.db
    *complete, last = words
    counts = {row["word"]: row["codes"] for row in await Icd10Term.select(Icd10Term.word, Icd10Term.codes).where(
        Icd10Term.word.is_in(complete))} if complete else {}
    rows = await raw(engine, 'SELECT COALESCE(SUM("codes"), 0) AS n FROM "icd10_term" WHERE "word" >= {} AND '
                             '"word" < {}', last, next_prefix(last))
    return [counts.get(word, 0) for word in complete] + [int(rows[0]["n"])]


async def _codes(query: Query, *, billable_only: bool, limit: int, favourites_only: bool) -> list[dict]:
    """One indexed query: the codes matching ``query``, in code order."""
    engine = Icd10Code._meta.db
    where, args = [], []
    if billable_only:
        where.append('c."billable" = {}')
        args.append(True)
    if favourites_only:
        where.append('c."code" IN (SELECT f."code" FROM "icd10_favourite" f)')
    if query.code_prefix:
        where.append('c."compact" >= {} AND c."compact" < {}')
        args += [query.code_prefix, next_prefix(query.code_prefix)]
        return await raw(engine, f'SELECT {CODE_COLUMNS} FROM "icd10_code" c WHERE {" AND ".join(where)} '
                                 f'ORDER BY c."compact" LIMIT {int(limit)}', *args)
    words = query.words
    counts = await _word_counts(words)
    if min(counts) == 0:
        return []
    rarest = min(range(len(words)), key=counts.__getitem__)
    if favourites_only or counts[rarest] >= RARE:
        checks, check_args = _word_checks(words, prefix_last=True)
        where.append(checks)
        return await raw(engine, f'SELECT {CODE_COLUMNS} FROM "icd10_code" c WHERE {" AND ".join(where)} '
                                 f'ORDER BY c."compact" LIMIT {int(limit)}', *args, *check_args)
    # Start from the rarest word's codes (an index range), check the others per code.
    if rarest == len(words) - 1:
        driver, driver_args = 'd."word" >= {} AND d."word" < {}', [words[rarest], next_prefix(words[rarest])]
    else:
        driver, driver_args = 'd."word" = {}', [words[rarest]]
    checks, check_args = _word_checks(words, prefix_last=True, skip=rarest)
    conditions = " AND ".join(part for part in (driver, *where, checks) if part)
    return await raw(engine, f'SELECT DISTINCT {CODE_COLUMNS}, c."compact" FROM "icd10_word" d '
                             f'JOIN "icd10_code" c ON c."id" = d."code" WHERE {conditions} '
                             f'ORDER BY c."compact" LIMIT {int(limit)}', *driver_args, *args, *check_args)


async def search(text: str, *, billable_only: bool = False, limit: int = LIMIT) -> list[Code]:
    """Codes matching what was typed (a code prefix, or every word), the clinic's favourites first,
    then in code order."""
    query = read_query(text)
    if query.empty:
        return []
    first = await _codes(query, billable_only=billable_only, limit=limit, favourites_only=True)
    rest = await _codes(query, billable_only=billable_only, limit=limit + len(first), favourites_only=False)
    shown = {row["code"] for row in first}
    found = [Code(row["code"], row["description"], bool(row["billable"]), favourite=True) for row in first]
    found += [Code(row["code"], row["description"], bool(row["billable"])) for row in rest if row["code"] not in shown]
    return found[:limit]


async def find_code(code: str) -> Code | None:
    """One code as typed (E119 or E11.9), or None if the code set has no such code."""
    row = await Icd10Code.select(Icd10Code.code, Icd10Code.description, Icd10Code.billable).where(
        Icd10Code.compact == compact(code)).first()
    return Code(row["code"], row["description"], bool(row["billable"])) if row else None


async def loaded_count() -> int:
    return await Icd10Code.count()


async def favourites() -> list[Code]:
    rows = await FavouriteCode.select(FavouriteCode.code).order_by(FavouriteCode.code)
    codes = [row["code"] for row in rows]
    if not codes:
        return []
    found = await Icd10Code.select(Icd10Code.code, Icd10Code.description, Icd10Code.billable).where(
        Icd10Code.code.is_in(codes)).order_by(Icd10Code.compact)
    return [Code(row["code"], row["description"], bool(row["billable"]), favourite=True) for row in found]


async def add_favourite(code: str, actor: Actor) -> Code:
    found = await find_code(code) if code and code.strip() else None
    if found is None:
        raise Invalid({"favourite_code": "Choose a code from the ICD-10-CM list."})
    if not found.billable:
        raise Invalid({"favourite_code": f"{found.code} is a heading: choose a more specific code."})
    engine = FavouriteCode._meta.db
    async with engine.transaction():
        if not await FavouriteCode.exists().where(FavouriteCode.code == found.code):
            await FavouriteCode.insert(FavouriteCode(code=found.code, added_by=actor.staff_id))
            await record("notes.favourite", actor, entity_type="icd10_favourite", detail=f"+{found.code}")
    return found


async def remove_favourite(code: str, actor: Actor) -> None:
    engine = FavouriteCode._meta.db
    async with engine.transaction():
        if await FavouriteCode.exists().where(FavouriteCode.code == code):
            await FavouriteCode.delete().where(FavouriteCode.code == code)
            await record("notes.favourite", actor, entity_type="icd10_favourite", detail=f"-{code}")
