"""Sums over the billing ledger that the day sheet, the financial report and the dashboard share.

Money received is read from the ledger, where every payment lowers what is owed: a payment applied
to an invoice (kind ``payment``) and what was kept as credit (kind ``credit``, negative). Credit
later used posts +credit and -payment together, which cancel, so money is counted once: when it
came in. A provider is the invoice's provider; money kept as credit has no invoice, hence no
provider.
"""

from __future__ import annotations

from piccolo.querystring import QueryString

from clinic.db.buckets import Buckets
from clinic.reports.model import Filters, as_int, fetch

RECEIVED_KINDS = "('payment', 'credit')"


def provider_join(filters: Filters) -> QueryString:
    """Join the entry's invoice only when a provider is asked for (the join then filters)."""
    if filters.provider is None:
        return QueryString("")
    return QueryString(' JOIN "invoice" i ON i."id" = l."invoice" AND i."provider" = {}', filters.provider)


async def received_between(since, until, filters: Filters) -> int:
    """Money received in [since, until), from the ledger."""
    rows = await fetch(
        'SELECT SUM(l."amount") AS "total" FROM "ledger_entry" l{} '
        f'WHERE l."kind" IN {RECEIVED_KINDS} AND l."occurred_at" >= {{}} AND l."occurred_at" < {{}}',
        provider_join(filters), since, until)
    return -as_int(rows[0]["total"]) if rows else 0


async def received_by_period(buckets: Buckets, filters: Filters) -> dict[int, int]:
    column = 'l."occurred_at"'
    rows = await fetch(
        'SELECT {} AS "period", SUM(l."amount") AS "total" FROM "ledger_entry" l{} '
        f'WHERE l."kind" IN {RECEIVED_KINDS} AND {{}} GROUP BY "period"',
        buckets.index_of(column), provider_join(filters), buckets.within(column))
    return {int(row["period"]): -as_int(row["total"]) for row in rows}


async def received_by_method(since, until, filters: Filters) -> list[dict]:
    """(method, payments, amount) of money received in [since, until)."""
    rows = await fetch(
        'SELECT p."method" AS "method", COUNT(DISTINCT p."id") AS "payments", SUM(l."amount") AS "total" '
        'FROM "ledger_entry" l JOIN "payment" p ON p."id" = l."payment"{} '
        f'WHERE l."kind" IN {RECEIVED_KINDS} AND l."occurred_at" >= {{}} AND l."occurred_at" < {{}} '
        'GROUP BY p."method" ORDER BY p."method"',
        provider_join(filters), since, until)
    return [{"method": row["method"], "payments": as_int(row["payments"]), "amount": -as_int(row["total"])}
            for row in rows]


async def received_by_provider(since, until, filters: Filters) -> list[dict]:
    rows = await fetch(
        'SELECT s."full_name" AS "provider", SUM(l."amount") AS "total" FROM "ledger_entry" l '
        'LEFT JOIN "invoice" i ON i."id" = l."invoice" LEFT JOIN "staff" s ON s."id" = i."provider" '
        f'WHERE l."kind" IN {RECEIVED_KINDS} AND l."occurred_at" >= {{}} AND l."occurred_at" < {{}} AND {{}} '
        'GROUP BY s."id", s."full_name" ORDER BY SUM(l."amount")',
        since, until, QueryString("1 = 1") if filters.provider is None else QueryString(
            'i."provider" = {}', filters.provider))
    return [{"provider": row["provider"] or "Kept as credit", "amount": -as_int(row["total"])}
            for row in rows if as_int(row["total"])]


async def entries_by_kind(since, until, filters: Filters) -> dict[tuple[str, str], int]:
    """{(kind, bucket): sum} of the entries in [since, until)."""
    rows = await fetch(
        'SELECT l."kind" AS "kind", l."bucket" AS "share", SUM(l."amount") AS "total" FROM "ledger_entry" l{} '
        'WHERE l."occurred_at" >= {} AND l."occurred_at" < {} GROUP BY l."kind", l."bucket"',
        provider_join(filters), since, until)
    return {(row["kind"], row["share"]): as_int(row["total"]) for row in rows}


async def balance_before(moment, filters: Filters) -> dict[str, int]:
    """{bucket: what was owed} from every entry before ``moment``."""
    rows = await fetch(
        'SELECT l."bucket" AS "share", SUM(l."amount") AS "total" FROM "ledger_entry" l{} '
        'WHERE l."occurred_at" < {} GROUP BY l."bucket"', provider_join(filters), moment)
    found = {row["share"]: as_int(row["total"]) for row in rows}
    return {"patient": found.get("patient", 0), "insurance": found.get("insurance", 0)}


async def outstanding() -> dict[str, int]:
    """What is owed now, by bucket: the sum of the whole ledger."""
    rows = await fetch('SELECT l."bucket" AS "share", SUM(l."amount") AS "total" FROM "ledger_entry" l '
                       'GROUP BY l."bucket"')
    found = {row["share"]: as_int(row["total"]) for row in rows}
    return {"patient": found.get("patient", 0), "insurance": found.get("insurance", 0)}
