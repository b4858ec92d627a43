"""The day sheet: what was charged, received and adjusted on one day, per provider, and proof that it
balances: the balance before the day plus the day's entries is the balance after it, and the
payments by method add up to the money the ledger says came in."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from clinic.billing.payments import METHODS
from clinic.db.buckets import day_buckets
from clinic.reports import ledger_sums
from clinic.reports.model import COUNT, MONEY, TEXT, Column, Filters, Report, Table, as_int, fetch

KIND_LABELS = {"charge": "Charges", "payment": "Payments applied", "credit": "Credit kept or used",
               "adjustment": "Adjustments", "refund": "Refunds"}


async def by_provider(since, until, filters: Filters) -> list[dict]:
    condition = "1 = 1" if filters.provider is None else 'i."provider" = {}'
    rows = await fetch(
        'SELECT s."full_name" AS "provider", CASE WHEN l."invoice" IS NULL THEN 1 ELSE 0 END AS "loose", '
        'SUM(CASE WHEN l."kind" = \'charge\' THEN l."amount" ELSE 0 END) AS "charges", '
        'SUM(CASE WHEN l."kind" IN (\'payment\', \'credit\') THEN -l."amount" ELSE 0 END) AS "received", '
        'SUM(CASE WHEN l."kind" = \'adjustment\' THEN l."amount" ELSE 0 END) AS "adjustments", '
        'SUM(CASE WHEN l."kind" = \'refund\' THEN l."amount" ELSE 0 END) AS "refunds" '
        'FROM "ledger_entry" l LEFT JOIN "invoice" i ON i."id" = l."invoice" '
        'LEFT JOIN "staff" s ON s."id" = i."provider" '
        f'WHERE l."occurred_at" >= {{}} AND l."occurred_at" < {{}} AND {condition} '
        'GROUP BY s."id", s."full_name", CASE WHEN l."invoice" IS NULL THEN 1 ELSE 0 END '
        'ORDER BY CASE WHEN s."full_name" IS NULL THEN 1 ELSE 0 END, s."full_name", '
        'CASE WHEN l."invoice" IS NULL THEN 1 ELSE 0 END',
        since, until, *([] if filters.provider is None else [filters.provider]))
    # Entries on no invoice (credit kept, refunds) apart from invoices made by hand without a provider.
    return [{"provider": row["provider"] or ("Not on an invoice (credit, refunds)" if as_int(row["loose"])
                                             else "Invoices without a provider"),
             **{key: as_int(row[key]) for key in ("charges", "received", "adjustments", "refunds")}} for row in rows]


async def payments_received(since, until) -> int:
    """The payments table's own count of money in, to check the ledger against."""
    rows = await fetch('SELECT SUM(p."amount") AS "total" FROM "payment" p '
                       'WHERE p."received_at" >= {} AND p."received_at" < {}', since, until)
    return as_int(rows[0]["total"]) if rows else 0


async def day_sheet(filters: Filters, zone: ZoneInfo) -> Report:
    day = day_buckets(filters.first, filters.first, zone)
    since, until = day.since, day.until
    entries = await ledger_sums.entries_by_kind(since, until, filters)
    opening = await ledger_sums.balance_before(since, filters)
    closing = await ledger_sums.balance_before(until, filters)
    kind_rows = []
    for kind, label in KIND_LABELS.items():
        patient, insurance = entries.get((kind, "patient"), 0), entries.get((kind, "insurance"), 0)
        kind_rows.append({"kind": label, "patient": patient, "insurance": insurance, "total": patient + insurance})
    movement = {share: sum(amount for (_, bucket), amount in entries.items() if bucket == share)
                for share in ("patient", "insurance")}
    methods = await ledger_sums.received_by_method(since, until, filters)
    for row in methods:
        row["method"] = METHODS.get(row["method"], row["method"])
    received = sum(row["amount"] for row in methods)
    report = Report("day-sheet", "Day sheet", facts=[
        ("Owed at the start of the day", "money", opening["patient"] + opening["insurance"]),
        ("Change during the day", "money", movement["patient"] + movement["insurance"]),
        ("Owed at the end of the day", "money", closing["patient"] + closing["insurance"]),
        ("Money received", "money", received),
    ])
    balances = all(opening[share] + movement[share] == closing[share] for share in ("patient", "insurance"))
    report.checks.append(("The start of the day plus the day's entries equals the end of the day", balances))
    if filters.provider is None:
        in_table = await payments_received(since, until)
        report.checks.append(("Payments by method add up to the payments recorded that day", in_table == received))
    totals = {"kind": "Total", "patient": movement["patient"], "insurance": movement["insurance"],
              "total": movement["patient"] + movement["insurance"]}
    provider_rows = await by_provider(since, until, filters)
    report.tables = [
        Table("entries", "Ledger entries of the day", [
            Column("kind", "Entry", TEXT), Column("patient", "Patient", MONEY), Column("insurance", "Insurance", MONEY),
            Column("total", "Total", MONEY)], kind_rows, totals=totals,
            note="Positive amounts raise what is owed; payments, credit kept and adjustments lower it."),
        Table("methods", "Payments by method", [
            Column("method", "Method", TEXT), Column("payments", "Payments", COUNT),
            Column("amount", "Received", MONEY)], methods,
            totals={"method": "Total", "payments": sum(row["payments"] for row in methods), "amount": received}),
        Table("providers", "By provider", [
            Column("provider", "Provider", TEXT), Column("charges", "Charges", MONEY),
            Column("received", "Received", MONEY), Column("adjustments", "Adjustments", MONEY),
            Column("refunds", "Refunds", MONEY)], provider_rows,
            totals={"provider": "Total", **{key: sum(row[key] for row in provider_rows)
                                            for key in ("charges", "received", "adjustments", "refunds")}}),
    ]
    return report
