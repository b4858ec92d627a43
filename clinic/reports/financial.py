"""The financial report: money received over time, by provider and by method; what was billed by
service; how payers pay (for one service code if asked); what is still owed, by age; claims by
state and by denial reason."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from piccolo.querystring import QueryString

from clinic.billing.payments import METHODS
from clinic.claims.services import STATES as CLAIM_STATES
from clinic.db.buckets import local_midnight, period_buckets
from clinic.reports import ledger_sums
from clinic.reports.model import (COUNT, DATE, MONEY, MONTH, PERCENT, TEXT, Column, Filters, Report, Table, as_int,
                                  fetch, percent)

AGES = (("age_0_30", "0–30 days"), ("age_31_60", "31–60 days"), ("age_61_90", "61–90 days"), ("age_90", "Over 90 days"))
ADJUDICATED = "('paid', 'partially_paid', 'denied', 'written_off')"


def _invoice_provider(filters: Filters, alias: str = "i") -> QueryString:
    if filters.provider is None:
        return QueryString("1 = 1")
    return QueryString(f'{alias}."provider" = {{}}', filters.provider)


async def billed_by_service(since, until, filters: Filters) -> list[dict]:
    rows = await fetch(
        'SELECT il."code" AS "code", MAX(il."description") AS "description", COUNT(*) AS "lines", '
        'SUM(il."quantity") AS "units", SUM(il."total") AS "charged" '
        'FROM "invoice_line" il JOIN "invoice" i ON i."id" = il."invoice" '
        'WHERE i."kind" = \'invoice\' AND i."state" IN (\'issued\', \'partially_paid\', \'paid\') '
        'AND i."issued_at" >= {} AND i."issued_at" < {} AND {} '
        'GROUP BY il."code" ORDER BY SUM(il."total") DESC, il."code" LIMIT 25',
        since, until, _invoice_provider(filters))
    return [{"code": row["code"] or "(no code)", "description": row["description"], "lines": as_int(row["lines"]),
             "units": as_int(row["units"]), "charged": as_int(row["charged"])} for row in rows]


async def payer_results(since, until, filters: Filters) -> list[dict]:
    """Per payer, adjudicated claims (or their lines of one code): charged, paid, share paid."""
    code = QueryString("1 = 1") if not filters.code else QueryString('cl."code" = {}', filters.code)
    payer = QueryString("1 = 1") if filters.payer is None else QueryString('c."payer" = {}', filters.payer)
    rows = await fetch(
        'SELECT p."name" AS "payer", COUNT(DISTINCT c."id") AS "claims", SUM(cl."charge") AS "charged", '
        'SUM(cl."paid") AS "paid", SUM(cl."adjusted") AS "adjusted" '
        'FROM "claim_line" cl JOIN "claim" c ON c."id" = cl."claim" JOIN "payer" p ON p."id" = c."payer" '
        f'WHERE c."state" IN {ADJUDICATED} AND c."created_at" >= {{}} AND c."created_at" < {{}} AND {{}} AND {{}} AND {{}} '
        'GROUP BY p."id", p."name"',
        since, until, code, payer, _invoice_provider(filters, "c"))
    found = [{"payer": row["payer"], "claims": as_int(row["claims"]), "charged": as_int(row["charged"]),
              "paid": as_int(row["paid"]), "adjusted": as_int(row["adjusted"]),
              "paid_share": percent(as_int(row["paid"]), as_int(row["charged"]))} for row in rows]
    return sorted(found, key=lambda row: (-(row["paid_share"] or 0), row["payer"]))


async def ageing(today: dt.date, zone: ZoneInfo, filters: Filters) -> list[dict]:
    """Open invoices' unpaid parts by how long ago they were issued: the patients' and each payer's."""
    edges = [local_midnight(today - dt.timedelta(days=days), zone) for days in (30, 60, 90)]
    age = ('CASE WHEN i."issued_at" >= {} THEN \'age_0_30\' WHEN i."issued_at" >= {} THEN \'age_31_60\' '
           'WHEN i."issued_at" >= {} THEN \'age_61_90\' ELSE \'age_90\' END')
    rows = await fetch(
        f'SELECT {age} AS "age", pi."payer_name" AS "payer", '
        'SUM(i."patient_share" - i."patient_paid" - i."patient_credited") AS "patient_open", '
        'SUM(i."insurance_share" - i."insurance_paid" - i."insurance_credited") AS "insurance_open" '
        'FROM "invoice" i LEFT JOIN "patient_insurance" pi ON pi."id" = i."policy" '
        'WHERE i."kind" = \'invoice\' AND i."state" IN (\'issued\', \'partially_paid\') AND {} '
        'GROUP BY "age", pi."payer_name"',
        *edges, _invoice_provider(filters))
    table: dict[str, dict] = {"Patients": {"owed_by": "Patients"}}
    for row in rows:
        patient_part, insurance_part = as_int(row["patient_open"]), as_int(row["insurance_open"])
        table["Patients"][row["age"]] = table["Patients"].get(row["age"], 0) + patient_part
        if insurance_part:
            name = row["payer"] or "Insurance (no policy)"
            line = table.setdefault(name, {"owed_by": name})
            line[row["age"]] = line.get(row["age"], 0) + insurance_part
    result = []
    for line in table.values():
        for key, _ in AGES:
            line.setdefault(key, 0)
        line["total"] = sum(line[key] for key, _ in AGES)
        result.append(line)
    return result


async def claims_by_state(since, until, filters: Filters) -> list[dict]:
    payer = QueryString("1 = 1") if filters.payer is None else QueryString('c."payer" = {}', filters.payer)
    rows = await fetch(
        'SELECT c."state" AS "state", COUNT(*) AS "claims", SUM(c."charge") AS "charged", SUM(c."paid") AS "paid" '
        'FROM "claim" c WHERE c."created_at" >= {} AND c."created_at" < {} AND {} AND {} '
        'GROUP BY c."state"', since, until, payer, _invoice_provider(filters, "c"))
    order = list(CLAIM_STATES)
    rows = sorted(rows, key=lambda row: order.index(row["state"]) if row["state"] in order else 99)
    return [{"state": CLAIM_STATES.get(row["state"], row["state"]), "claims": as_int(row["claims"]),
             "charged": as_int(row["charged"]), "paid": as_int(row["paid"])} for row in rows]


async def denial_reasons(since, until, filters: Filters) -> list[dict]:
    payer = QueryString("1 = 1") if filters.payer is None else QueryString('c."payer" = {}', filters.payer)
    rows = await fetch(
        'SELECT c."denial_codes" AS "codes", COUNT(*) AS "claims", SUM(c."charge") AS "charged" FROM "claim" c '
        'WHERE c."denial_codes" <> \'\' AND c."created_at" >= {} AND c."created_at" < {} AND {} AND {} '
        'GROUP BY c."denial_codes" ORDER BY COUNT(*) DESC, c."denial_codes" LIMIT 20',
        since, until, payer, _invoice_provider(filters, "c"))
    return [{"codes": row["codes"], "claims": as_int(row["claims"]), "charged": as_int(row["charged"])} for row in rows]


async def financial_report(filters: Filters, zone: ZoneInfo, today: dt.date) -> Report:
    buckets = period_buckets(filters.first, filters.last, zone)
    since, until = buckets.since, buckets.until
    by_period = await ledger_sums.received_by_period(buckets, filters)
    period_rows = [{"period": start, "received": by_period.get(index, 0)} for index, start in enumerate(buckets.starts)]
    received = sum(row["received"] for row in period_rows)
    methods = await ledger_sums.received_by_method(since, until, filters)
    for row in methods:
        row["method"] = METHODS.get(row["method"], row["method"])
    providers = await ledger_sums.received_by_provider(since, until, filters)
    services = await billed_by_service(since, until, filters)
    payers = await payer_results(since, until, filters)
    ages = await ageing(today, zone, filters)
    states = await claims_by_state(since, until, filters)
    denials = await denial_reasons(since, until, filters)
    unit = "Day" if buckets.unit == "day" else "Month"
    age_columns = [Column(key, label, MONEY) for key, label in AGES]
    payer_title = f"Payers for service {filters.code}" if filters.code else "Payers"
    return Report("financial", "Financial", facts=[("Money received", "money", received)], tables=[
        Table("revenue", f"Money received by {unit.lower()}", [
            Column("period", unit, DATE if unit == "Day" else MONTH), Column("received", "Received", MONEY)],
            period_rows, chart="received", totals={"period": "Total", "received": received},
            note="Counted when the money came in, from the ledger; credit applied later is not counted twice."),
        Table("providers", "Money received by provider", [
            Column("provider", "Provider", TEXT), Column("amount", "Received", MONEY)], providers,
            chart="amount", horizontal=True),
        Table("methods", "Money received by method", [
            Column("method", "Method", TEXT), Column("payments", "Payments", COUNT),
            Column("amount", "Received", MONEY)], methods, chart="amount", horizontal=True),
        Table("services", "Billed by service", [
            Column("code", "Code", TEXT), Column("description", "Service", TEXT), Column("lines", "Lines", COUNT),
            Column("units", "Units", COUNT), Column("charged", "Charged", MONEY)], services,
            note="Lines of invoices issued in the period."),
        Table("payers", payer_title, [
            Column("payer", "Payer", TEXT), Column("claims", "Claims", COUNT), Column("charged", "Charged", MONEY),
            Column("paid", "Paid", MONEY), Column("adjusted", "Adjusted", MONEY),
            Column("paid_share", "Paid of charged", PERCENT)], payers, chart="paid_share", horizontal=True,
            chart_label="Share of the charge each payer paid",
            note="Adjudicated claims made in the period; the best payer first. Give a service code in the "
                 "filters to compare payers for that service."),
        Table("ageing", "Still owed, by age", [Column("owed_by", "Owed by", TEXT), *age_columns,
                                               Column("total", "Total", MONEY)], ages,
              note="Open invoices today, by the day they were issued."),
        Table("claim_states", "Claims by state", [
            Column("state", "State", TEXT), Column("claims", "Claims", COUNT), Column("charged", "Charged", MONEY),
            Column("paid", "Paid", MONEY)], states, chart="claims", horizontal=True),
        Table("denials", "Denials by reason", [
            Column("codes", "Reason codes", TEXT), Column("claims", "Claims", COUNT),
            Column("charged", "Charged", MONEY)], denials),
    ])
