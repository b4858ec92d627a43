"""The appointment report: per provider, how many were booked, completed, cancelled (in good time or
late) and missed, and the no-show and cancellation rates over the period."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from piccolo.querystring import QueryString

from clinic.db.buckets import period_buckets
from clinic.reports.model import COUNT, DATE, MONTH, PERCENT, TEXT, Column, Filters, Report, Table, as_int, fetch, percent

# One row per appointment, counted by what became of it (indexed by starts_at, and provider + starts_at).
OUTCOMES = (
    'COUNT(*) AS "booked", '
    'SUM(CASE WHEN a."status" = \'completed\' THEN 1 ELSE 0 END) AS "completed", '
    'SUM(CASE WHEN a."status" = \'cancelled\' AND a."late_cancel" = {} THEN 1 ELSE 0 END) AS "cancelled", '
    'SUM(CASE WHEN a."status" = \'cancelled\' AND a."late_cancel" = {} THEN 1 ELSE 0 END) AS "late_cancelled", '
    'SUM(CASE WHEN a."status" = \'no_show\' THEN 1 ELSE 0 END) AS "no_show"'
)
COLUMNS = [Column("booked", "Booked", COUNT), Column("completed", "Completed", COUNT),
           Column("cancelled", "Cancelled", COUNT), Column("late_cancelled", "Late-cancelled", COUNT),
           Column("no_show", "No-show", COUNT), Column("no_show_rate", "No-show rate", PERCENT),
           Column("cancel_rate", "Cancellation rate", PERCENT)]


def _outcomes() -> QueryString:
    return QueryString(OUTCOMES, False, True)


def _provider_condition(filters: Filters) -> QueryString:
    if filters.provider is None:
        return QueryString("1 = 1")
    return QueryString('a."provider" = {}', filters.provider)


def _with_rates(row: dict) -> dict:
    for key in ("booked", "completed", "cancelled", "late_cancelled", "no_show"):
        row[key] = as_int(row.get(key))
    row["no_show_rate"] = percent(row["no_show"], row["booked"])
    row["cancel_rate"] = percent(row["cancelled"] + row["late_cancelled"], row["booked"])
    return row


async def appointment_report(filters: Filters, zone: ZoneInfo) -> Report:
    buckets = period_buckets(filters.first, filters.last, zone)
    column = 'a."starts_at"'
    by_provider = await fetch(
        'SELECT s."full_name" AS "provider", {} FROM "appointment" a JOIN "staff" s ON s."id" = a."provider" '
        'WHERE {} AND {} GROUP BY s."id", s."full_name" ORDER BY s."full_name"',
        _outcomes(), buckets.within(column), _provider_condition(filters))
    by_period = await fetch(
        'SELECT {} AS "period", {} FROM "appointment" a WHERE {} AND {} GROUP BY "period" ORDER BY "period"',
        buckets.index_of(column), _outcomes(), buckets.within(column), _provider_condition(filters))
    provider_rows = [_with_rates(row) for row in by_provider]
    totals = _with_rates({key: sum(row[key] for row in provider_rows)
                          for key in ("booked", "completed", "cancelled", "late_cancelled", "no_show")})
    totals["provider"] = "All providers"
    found = {int(row["period"]): _with_rates(row) for row in by_period}
    period_kind = DATE if buckets.unit == "day" else MONTH
    # The bucket's start last: the row from SQL carries its index under "period" too.
    period_rows = [{**found.get(index, _with_rates({})), "period": start} for index, start in enumerate(buckets.starts)]
    return Report("appointments", "Appointments", tables=[
        Table("providers", "By provider", [Column("provider", "Provider", TEXT), *COLUMNS], provider_rows,
              totals=totals if provider_rows else None),
        Table("rates", "By day" if buckets.unit == "day" else "By month",
              [Column("period", "Day" if buckets.unit == "day" else "Month", period_kind), *COLUMNS], period_rows,
              chart="no_show_rate", chart_label="No-show rate over the period"),
    ])
