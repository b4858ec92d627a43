"""Reports: the dashboard, five reports and each report table as CSV.

Filters travel in the query string (a period, a provider, a payer, a service code: never a patient),
so a report can be bookmarked and shared. No report shows who a patient is, so no patient read is
audited; looking at a report or exporting one is recorded, as reading the audit trail is.
"""

from __future__ import annotations

import datetime as dt
from typing import Awaitable, Callable
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException

from clinic.audit.services import record
from clinic.core import clock
from clinic.core.forms import Form, FormSpec
from clinic.core.money import format_money
from clinic.ops.backups import service as backups
from clinic.reports import charts
from clinic.reports.appointments import appointment_report
from clinic.reports.csv_export import table_csv
from clinic.reports.dashboard import dashboard_figures
from clinic.reports.day_sheet import day_sheet
from clinic.reports.financial import financial_report
from clinic.reports.model import DATE, MONEY, MONTH, PERCENT, Filters, Report, fetch, period_spec, read_filters
from clinic.reports.patients import clinical_report, patients_report
from clinic.security.permissions import CLINICIAN_ROLES
from clinic.web.actors import actor_of
from clinic.web.context import locale_of, reading_for
from clinic.web.pages import render

READ = {"permission": "reports.read"}
# (route name, title, what it answers) in the order the reports menu lists them.
REPORTS = (
    ("reports:appointments", "Appointments", "Booked, completed, cancelled and missed, per provider"),
    ("reports:day_sheet", "Day sheet", "One day's charges, payments and adjustments, balanced to the ledger"),
    ("reports:financial", "Financial", "Money received, billed, owed and claimed"),
    ("reports:patients", "Patients", "Patients seen and new, ages, sexes, visits per patient"),
    ("reports:clinical", "Clinical", "Diagnoses made and services performed most often"),
)


async def provider_choices() -> list[tuple[str, str]]:
    roles = tuple(str(role) for role in CLINICIAN_ROLES)
    rows = await fetch(f'SELECT s."id" AS "id", s."full_name" AS "name" FROM "staff" s WHERE s."role" IN {roles!r} '
                       'ORDER BY s."full_name"')
    return [(str(row["id"]), row["name"]) for row in rows]


async def payer_choices() -> list[tuple[str, str]]:
    rows = await fetch('SELECT p."id" AS "id", p."name" AS "name" FROM "payer" p ORDER BY p."name"')
    return [(str(row["id"]), row["name"]) for row in rows]


def shower(request: Request) -> Callable[[str, object], str]:
    """How a value of a column kind reads on the page and in a chart's words."""
    locale = locale_of(request)

    def show(kind: str, value) -> str:
        if value is None:
            return "–"
        if kind == MONEY:
            return format_money(int(value), locale.currency, locale)
        if kind == PERCENT:
            return f"{value:.1f} %" if isinstance(value, (int, float)) else str(value)
        if kind == MONTH and isinstance(value, dt.date):
            return value.strftime("%b %Y")
        if kind == DATE and isinstance(value, dt.date):
            return locale.format_date(value)
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    return show


async def report_page(request: Request, name: str, spec: FormSpec,
                      build: Callable[[Filters], Awaitable[Report]]) -> Response:
    locale = locale_of(request)
    filters, values, errors = read_filters(spec, dict(request.query_params), reading_for(request), locale.today())
    report = None if errors else await build(filters)
    show = shower(request)
    query = urlencode({key: value for key, value in values.items() if value})
    if report is not None:
        await record("reports.read", actor_of(request), entity_type="report", entity_id=name)
    return render(request, "reports/report.html", {
        "report": report, "form": Form(values=values, errors=errors), "spec": spec, "show": show,
        "charts": {table.key: charts.build(table, show) for table in report.tables} if report else {},
        "filters": filters, "query": query, "reports": REPORTS, "route": f"reports:{name}",
        "csv_route": f"reports:{name}_csv",
    }, status_code=422 if errors else 200)


async def report_csv(request: Request, name: str, spec: FormSpec,
                     build: Callable[[Filters], Awaitable[Report]]) -> Response:
    locale = locale_of(request)
    filters, _, errors = read_filters(spec, dict(request.query_params), reading_for(request), locale.today())
    if errors:
        return Response("Fix the filters before exporting.", status_code=422, media_type="text/plain")
    report = await build(filters)
    key = request.query_params.get("table") or report.tables[0].key
    table = report.table(key)
    if table is None:
        raise NotFoundException()
    await record("reports.export", actor_of(request), entity_type="report", entity_id=f"{name} {table.key}")
    stamp = f"{filters.first.isoformat()}_{filters.last.isoformat()}"
    return Response(table_csv(table, locale.currency), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}-{table.key}-{stamp}.csv"'})


def _zone(request: Request):
    return locale_of(request).zone


class ReportsController(Controller):
    path = "/reports"

    @get(name="reports:dashboard", opt=READ)
    async def dashboard(self, request: Request) -> Response:
        locale = locale_of(request)
        figures = await dashboard_figures(locale.today(), locale.zone, clock.now())
        user = request.scope["user"]
        backup = None
        if user.can("system.manage"):
            last = backups.last_good(request.app.state.settings)
            backup = {"age": last.age if last else None,
                      "stale": last is None or last.age > backups.STALE_AFTER}
        await record("reports.read", actor_of(request), entity_type="report", entity_id="dashboard")
        return render(request, "reports/dashboard.html", {"figures": figures, "backup": backup, "reports": REPORTS})

    # -- each report: its page and its tables as CSV --------------------------------------------

    async def _appointments(self, request: Request):
        return period_spec(await provider_choices()), lambda f: appointment_report(f, _zone(request))

    async def _day_sheet(self, request: Request):
        return period_spec(await provider_choices(), single_day=True), lambda f: day_sheet(f, _zone(request))

    async def _financial(self, request: Request):
        spec = period_spec(await provider_choices(), payers=await payer_choices(), code=True)
        return spec, lambda f: financial_report(f, _zone(request), locale_of(request).today())

    async def _patients(self, request: Request):
        return period_spec(await provider_choices()), lambda f: patients_report(f, _zone(request),
                                                                                locale_of(request).today())

    async def _clinical(self, request: Request):
        return period_spec(await provider_choices()), lambda f: clinical_report(f, _zone(request))

    @get("/appointments", name="reports:appointments", opt=READ)
    async def appointments(self, request: Request) -> Response:
        return await report_page(request, "appointments", *await self._appointments(request))

    @get("/appointments.csv", name="reports:appointments_csv", opt=READ)
    async def appointments_csv(self, request: Request) -> Response:
        return await report_csv(request, "appointments", *await self._appointments(request))

    @get("/day-sheet", name="reports:day_sheet", opt=READ)
    async def day_sheet(self, request: Request) -> Response:
        return await report_page(request, "day_sheet", *await self._day_sheet(request))

    @get("/day-sheet.csv", name="reports:day_sheet_csv", opt=READ)
    async def day_sheet_csv(self, request: Request) -> Response:
        return await report_csv(request, "day_sheet", *await self._day_sheet(request))

    @get("/financial", name="reports:financial", opt=READ)
    async def financial(self, request: Request) -> Response:
        return await report_page(request, "financial", *await self._financial(request))

    @get("/financial.csv", name="reports:financial_csv", opt=READ)
    async def financial_csv(self, request: Request) -> Response:
        return await report_csv(request, "financial", *await self._financial(request))

    @get("/patients", name="reports:patients", opt=READ)
    async def patients(self, request: Request) -> Response:
        return await report_page(request, "patients", *await self._patients(request))

    @get("/patients.csv", name="reports:patients_csv", opt=READ)
    async def patients_csv(self, request: Request) -> Response:
        return await report_csv(request, "patients", *await self._patients(request))

    @get("/clinical", name="reports:clinical", opt=READ)
    async def clinical(self, request: Request) -> Response:
        return await report_page(request, "clinical", *await self._clinical(request))

    @get("/clinical.csv", name="reports:clinical_csv", opt=READ)
    async def clinical_csv(self, request: Request) -> Response:
        return await report_csv(request, "clinical", *await self._clinical(request))
