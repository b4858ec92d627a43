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

import bisect
import re
import time
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


# A prefix matching words of fewer codes than this drives the search (its matches are sorted); when it
# matches more, codes are scanned in code order and the first LIMIT that match are taken.
RARE = 6000
CODE_COLUMNS = 'c."code", c."description", c."billable"'
# How long this process trusts its copy of the word counts (a load in this process forgets it at once).
TERMS_SECONDS = 600.0


@dataclass(frozen=True)
class Terms:
    """Every word of the code set, sorted, with how many codes it describes: ~7,500 words, kept in memory
    so that choosing where a search starts costs no query."""

    words: list[str]
    codes: list[int]

    def expand(self, prefix: str) -> list[tuple[str, int]]:
        start = bisect.bisect_left(self.words, prefix)
        stop = bisect.bisect_left(self.words, next_prefix(prefix))
        return list(zip(self.words[start:stop], self.codes[start:stop]))

    def count(self, word: str) -> int:
        index = bisect.bisect_left(self.words, word)
        return self.codes[index] if index < len(self.words) and self.words[index] == word else 0


_terms: dict[int, tuple[float, Terms]] = {}


def forget_terms() -> None:
    _terms.clear()


async def _known_terms() -> Terms:
    key = id(Icd10Term._meta.db)
    cached = _terms.get(key)
    if cached and time.monotonic() - cached[0] < TERMS_SECONDS:
        return cached[1]
    rows = await Icd10Term.select(Icd10Term.word, Icd10Term.codes).order_by(Icd10Term.word)
    # Sorted here, not by the database: the order bisect needs is Python's, whatever the collation.
    rows.sort(key=lambda row: row["word"])
    terms = Terms([row["word"] for row in rows], [row["codes"] for row in rows])
    _terms[key] = (time.monotonic(), terms)
    return terms


def _word_checks(exact: list[str], prefix: str | None) -> tuple[list[str], list]:
    """SQL that each word appears in the description of code ``c`` (index on icd10_word (code, word))."""
    sql, args = [], []
    for word in exact:
        sql.append('EXISTS (SELECT 1 FROM "icd10_word" x WHERE x."code" = c."id" AND x."word" = {})')
        args.append(word)
    if prefix:
        sql.append('EXISTS (SELECT 1 FROM "icd10_word" x WHERE x."code" = c."id" AND x."word" >= {} '
                   'AND x."word" < {})')
        args += [prefix, next_prefix(prefix)]
    return sql, args


async def _codes(query: Query, *, billable_only: bool, limit: int, among: list[str] | None = None) -> list[dict]:
    """One indexed query: the codes matching ``query`` (``among`` these codes only), in code order."""
    engine = Icd10Code._meta.db
    where, args = [], []
    if billable_only:
        where.append('c."billable" = {}')
        args.append(True)
    source = '"icd10_code" c'
    if among is not None:
        # The clinic's favourites: a handful of rows, found by the unique index on code.
        where.append(f'c."code" IN ({", ".join("{}" for _ in among)})')
        args += among
    if query.code_prefix:
        where.append('c."compact" >= {} AND c."compact" < {}')
        args += [query.code_prefix, next_prefix(query.code_prefix)]
        return await raw(engine, f'SELECT {CODE_COLUMNS} FROM {source} WHERE {" AND ".join(where)} '
                                 f'ORDER BY c."compact" LIMIT {int(limit)}', *args)
    terms = await _known_terms()
    *complete, last = query.words
    expanded = terms.expand(last)
    if not expanded or any(terms.count(word) == 0 for word in complete):
        return []
    exact = list(complete)
    prefix: str | None = last
    if len(expanded) == 1:  # the last word typed is complete (or only one word starts so)
        exact.append(expanded[0][0])
        prefix = None
    if among is not None or (not exact and sum(count for _, count in expanded) >= RARE):
        # Only a short, common prefix ("s"): most codes match, so code order finds LIMIT of them at once.
        checks, check_args = _word_checks(exact, prefix)
        return await raw(engine, f'SELECT {CODE_COLUMNS} FROM {source} WHERE {" AND ".join(where + checks)} '
                                 f'ORDER BY c."compact" LIMIT {int(limit)}', *args, *check_args)
    prefix_codes = sum(count for _, count in expanded)
    if exact and (prefix is None or min(map(terms.count, exact)) <= prefix_codes):
        # Start from the rarest complete word: its index entries are already in code order, so the
        # database reads them in order, checks the other words per code, and stops at the limit.
        driver_word = min(exact, key=terms.count)
        driver, driver_args = 'd."word" = {}', [driver_word]
        exact.remove(driver_word)
        distinct = ""
    else:
        # The word being typed is the rarest ("... gener"): its few codes, sorted.
        driver, driver_args = 'd."word" >= {} AND d."word" < {}', [last, next_prefix(last)]
        prefix, distinct = None, "DISTINCT "
    checks, check_args = _word_checks(exact, prefix)
    conditions = " AND ".join([driver, *where, *checks])
    return await raw(engine, f'SELECT {distinct}{CODE_COLUMNS}, d."compact" FROM "icd10_word" d '
                             f'JOIN "icd10_code" c ON c."id" = d."code" WHERE {conditions} '
                             f'ORDER BY d."compact" LIMIT {int(limit)}', *driver_args, *args, *check_args)


async def search(text: str, *, billable_only: bool = False, limit: int = LIMIT) -> list[Code]:
    """Codes matching what was typed (a code prefix, or every word), the clinic's favourites first,
    then in code order."""
    query = read_query(text)
    if query.empty:
        return []
    favourite_codes = [row["code"] for row in await FavouriteCode.select(FavouriteCode.code)]
    first = await _codes(query, billable_only=billable_only, limit=limit,
                         among=favourite_codes) if favourite_codes else []
    rest = await _codes(query, billable_only=billable_only, limit=limit + len(first))
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
