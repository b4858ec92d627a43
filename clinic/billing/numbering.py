"""Document numbers (invoices and credit notes share one sequence; receipts have their own).

A number is taken from a counter row locked for the rest of the caller's transaction
(``SELECT ... FOR UPDATE`` on MySQL; SQLite's transactions begin IMMEDIATE and hold the one write
lock). The document is inserted in that same transaction, so a number is never handed out twice,
and a rolled-back transaction gives its number back with everything else: no gaps, no reuse.
"""

from __future__ import annotations

from clinic.billing.tables import DocumentCounter
from clinic.db import is_mysql
from clinic.db.schema import raw
from clinic.db.transactions import for_update, in_transaction

SEQUENCES = ("invoice", "receipt", "claim", "claim_batch")  # claims: the last two (hook for clinic/claims)


async def take_number(sequence: str) -> int:
    """The next number of ``sequence``; the caller must be inside ``engine.transaction()``."""
    if sequence not in SEQUENCES:
        raise ValueError(f"unknown sequence {sequence!r}")
    engine = DocumentCounter._meta.db
    if not in_transaction(engine):
        raise RuntimeError("take_number() must run inside the transaction that stores the document")
    query = DocumentCounter.select(DocumentCounter.id, DocumentCounter.next_number).where(
        DocumentCounter.name == sequence)
    row = await for_update(query).first()
    if row is None:
        # The migration seeds the rows; this only runs on a database emptied by hand (or by tests).
        insert = "INSERT IGNORE INTO" if is_mysql(engine) else "INSERT OR IGNORE INTO"
        await raw(engine, f"{insert} billing_counter (name, next_number) VALUES ({{}}, 1)", sequence)
        row = await for_update(query).first()
    number = int(row["next_number"])
    await DocumentCounter.update({DocumentCounter.next_number: number + 1}).where(DocumentCounter.id == row["id"])
    return number
