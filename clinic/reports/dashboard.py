"""The practice at a glance: today's appointments by state, this week's visits, new patients this
month, money received this month against last, what is owed, claims needing the biller and
reminders that failed. Counts and sums only, each one statement over an index."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from clinic.claims.services import STATES as CLAIM_STATES
from clinic.db.buckets import local_midnight, month_start
from clinic.reports import ledger_sums
from clinic.reports.model import Filters, as_int, fetch

APPOINTMENT_STATES = {"booked": "Booked", "confirmed": "Confirmed", "arrived": "Arrived", "in_progress": "In progress",
                      "completed": "Completed", "cancelled": "Cancelled", "no_show": "No-show"}
ACTION_STATES = ("draft", "ready", "denied", "partially_paid")
FAILED_REMINDERS_DAYS = 7


@dataclass
class Dashboard:
    today: dt.date
    appointments: list[tuple[str, str, int]] = field(default_factory=list)  # (state, label, count)
    appointments_total: int = 0
    visits_this_week: int = 0
    new_patients_this_month: int = 0
    received_this_month: int = 0
    received_last_month: int = 0
    patient_due: int = 0
    insurance_pending: int = 0
    claims: list[tuple[str, str, int]] = field(default_factory=list)
    claims_waiting: int = 0
    failed_reminders: int = 0

    @property
    def claims_total(self) -> int:
        return sum(count for _, _, count in self.claims) + self.claims_waiting


async def dashboard_figures(today: dt.date, zone: ZoneInfo, now: dt.datetime) -> Dashboard:
    figures = Dashboard(today=today)
    settings = await fetch('SELECT c."waiting_days" AS "days" FROM "claim_settings" c ORDER BY c."id" LIMIT 1')
    waiting_days = as_int(settings[0]["days"]) if settings else 30
    day_start, day_end = local_midnight(today, zone), local_midnight(today + dt.timedelta(days=1), zone)
    rows = await fetch('SELECT a."status" AS "state", COUNT(*) AS "n" FROM "appointment" a '
                       'WHERE a."starts_at" >= {} AND a."starts_at" < {} GROUP BY a."status"', day_start, day_end)
    counts = {row["state"]: as_int(row["n"]) for row in rows}
    figures.appointments = [(state, label, counts.get(state, 0)) for state, label in APPOINTMENT_STATES.items()]
    figures.appointments_total = sum(counts.values())
    week_start = today - dt.timedelta(days=today.weekday())
    rows = await fetch('SELECT COUNT(*) AS "n" FROM "visit" v WHERE v."created_at" >= {} AND v."created_at" < {}',
                       local_midnight(week_start, zone), local_midnight(week_start + dt.timedelta(days=7), zone))
    figures.visits_this_week = as_int(rows[0]["n"])
    this_month, last_month = month_start(today), month_start(today, -1)
    rows = await fetch('SELECT COUNT(*) AS "n" FROM "patient" p WHERE p."created_at" >= {} AND p."merged_into" IS NULL',
                       local_midnight(this_month, zone))
    figures.new_patients_this_month = as_int(rows[0]["n"])
    everyone = Filters(first=today, last=today)
    figures.received_this_month = await ledger_sums.received_between(local_midnight(this_month, zone), day_end,
                                                                     everyone)
    figures.received_last_month = await ledger_sums.received_between(local_midnight(last_month, zone),
                                                                     local_midnight(this_month, zone), everyone)
    owed = await ledger_sums.outstanding()
    figures.patient_due, figures.insurance_pending = owed["patient"], owed["insurance"]
    rows = await fetch('SELECT c."state" AS "state", COUNT(*) AS "n" FROM "claim" c '
                       f'WHERE c."state" IN {tuple(ACTION_STATES)!r} GROUP BY c."state"')
    counts = {row["state"]: as_int(row["n"]) for row in rows}
    figures.claims = [(state, CLAIM_STATES[state], counts.get(state, 0)) for state in ACTION_STATES]
    rows = await fetch('SELECT COUNT(*) AS "n" FROM "claim" c WHERE c."state" = \'submitted\' AND c."submitted_at" < {}',
                       now - dt.timedelta(days=waiting_days))
    figures.claims_waiting = as_int(rows[0]["n"])
    rows = await fetch('SELECT COUNT(*) AS "n" FROM "reminder_message" r WHERE r."state" = \'failed\' '
                       'AND r."starts_at" >= {}', now - dt.timedelta(days=FAILED_REMINDERS_DAYS))
    figures.failed_reminders = as_int(rows[0]["n"])
    return figures
