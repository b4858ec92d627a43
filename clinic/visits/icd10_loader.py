"""Loading the ICD-10-CM code set into ``icd10_code`` and ``icd10_word``.

Run by ``python -m clinic icd10 load`` in a process of its own: importing
``simple_icd_10_cm`` takes ~1.5 s and ~150 MB, which the web process must
never pay (a test proves clinic.app does not import it). Loading adds the
codes that are missing, a batch per transaction, so it can be interrupted and
run again, and searches keep working while it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from clinic.db import is_mysql
from clinic.db.schema import raw
from clinic.visits.icd10 import compact, forget_terms, words_of
from clinic.visits.tables import Icd10Code

BATCH = 1000
# A small subset that loads in well under a second: the codes tests and the demo use.
SAMPLE_PREFIXES = ("E11", "I10", "J00", "J01", "J02", "J03", "J04", "J05", "J06", "Z00")


@dataclass(frozen=True)
class CodeRow:
    code: str  # with its dot
    description: str
    billable: bool


def code_set(prefixes: Iterable[str] | None = None) -> Iterator[CodeRow]:
    """Every ICD-10-CM category and (extended) subcategory, or those starting with ``prefixes``;
    billable means a leaf of the hierarchy (the codes a claim may carry)."""
    import simple_icd_10_cm as cm  # only here: see the module docstring

    wanted = tuple(compact(prefix) for prefix in prefixes) if prefixes else None
    seen: set[str] = set()
    for code in cm.get_all_codes(True):
        if code in seen or not cm.is_category_or_subcategory(code):
            continue  # chapters and blocks (A00-A09) are headings, not codes; a few codes are listed twice
        seen.add(code)
        if wanted and not compact(code).startswith(wanted):
            continue
        yield CodeRow(code, cm.get_description(code)[:250], cm.is_leaf(code))


def _batches(rows: Iterable[CodeRow], size: int) -> Iterator[list[CodeRow]]:
    batch: list[CodeRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def load(rows: Iterable[CodeRow], *, batch_size: int = BATCH,
               report: Callable[[str], None] = lambda line: None) -> int:
    """Add the codes not yet in the table (and their words); returns how many were added."""
    engine = Icd10Code._meta.db
    present = {row["compact"] for row in await Icd10Code.select(Icd10Code.compact)}
    added = 0
    for batch in _batches((row for row in rows if compact(row.code) not in present), batch_size):
        async with engine.transaction():
            placeholders = ", ".join("({}, {}, {}, {})" for _ in batch)
            values = [value for row in batch for value in (row.code, compact(row.code), row.description,
                                                            row.billable)]
            await raw(engine, f'INSERT INTO "icd10_code" ("code", "compact", "description", "billable") '
                              f"VALUES {placeholders}", *values)
            ids = {row["code"]: row["id"] for row in await Icd10Code.select(Icd10Code.id, Icd10Code.code).where(
                Icd10Code.code.is_in([row.code for row in batch]))}
            words = [(word, ids[row.code], compact(row.code)) for row in batch
                     for word in dict.fromkeys(words_of(row.description))]
            for start in range(0, len(words), batch_size * 3):
                part = words[start:start + batch_size * 3]
                await raw(engine, 'INSERT INTO "icd10_word" ("word", "code", "compact") VALUES '
                          + ", ".join("({}, {}, {})" for _ in part), *[value for item in part for value in item])
        added += len(batch)
        present.update(compact(row.code) for row in batch)
        if added % (batch_size * 10) == 0:
            report(f"{added} codes loaded")
    if added:
        await count_words()
    return added


async def count_words() -> None:
    """How many codes each word describes (search starts from the rarest word typed)."""
    engine = Icd10Code._meta.db
    async with engine.transaction():
        await raw(engine, 'DELETE FROM "icd10_term"')
        await raw(engine, 'INSERT INTO "icd10_term" ("word", "codes") SELECT "word", COUNT(*) FROM "icd10_word" '
                          'GROUP BY "word"')
    forget_terms()  # this process's copy of the counts
    # Fresh statistics, so the planners start from the word index rather than scanning codes. Only these
    # tables: statistics taken of the others now, while sessions or appointments are few, would later make
    # SQLite scan them (a one-row staff_session in sqlite_stat1 turns the per-request session lookup into a scan).
    if is_mysql(engine):
        await raw(engine, 'ANALYZE TABLE "icd10_code", "icd10_word", "icd10_term"')
    else:
        for table in ("icd10_code", "icd10_word", "icd10_term"):
            await raw(engine, f'ANALYZE "{table}"')
        # An earlier loader analysed the whole database: drop what it left for the other tables.
        await raw(engine, "DELETE FROM sqlite_stat1 WHERE tbl NOT IN ('icd10_code', 'icd10_word', 'icd10_term')")
