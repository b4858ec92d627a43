"""The audit viewer for administrators (reading it is itself audited)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery
from litestar.response import Stream

from clinic.audit import break_glass, queries
from clinic.audit.services import record
from clinic.web.actors import actor_of
from clinic.web.pages import render

READ = {"permission": "audit.read"}


class AuditController(Controller):
    path = "/admin"

    @get("/audit", name="audit:list", opt=READ)
    async def list(self, request: Request, page: FromQuery[int] = 1) -> Response:
        zone = request.app.state.settings.tz
        actions = await queries.known_actions()
        filters = queries.AuditFilters.parse(await queries.with_patient_id(dict(request.query_params)), actions)
        result = None
        if not filters.errors:
            result = await queries.audit_page(filters, zone, page)
        await record("audit.read", actor_of(request), entity_type="audit", detail=f"page {page}",
                     patient_id=filters.patient_id)
        params = filters.as_params()
        return render(request, "audit/list.html", {
            "filters": filters, "params": params, "page": result, "actions": actions,
            "staff_names": await queries.staff_names(), "orders": list(queries.ORDERS),
            "page_url": lambda number: "/admin/audit?" + urlencode({**params, "page": number}),
        }, block="audit_results")

    @get("/audit.csv", name="audit:export", opt=READ)
    async def export(self, request: Request) -> Response:
        zone = request.app.state.settings.tz
        filters = queries.AuditFilters.parse(await queries.with_patient_id(dict(request.query_params)),
                                             await queries.known_actions())
        if filters.errors:
            return Response("Fix the filters before exporting.", status_code=422, media_type="text/plain")
        await record("audit.export", actor_of(request), entity_type="audit", patient_id=filters.patient_id)

        async def lines():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(queries.CSV_COLUMNS)
            async for rows in queries.csv_batches(filters, zone):
                for row in rows:
                    writer.writerow([
                        row[name].isoformat() if isinstance(row[name], dt.datetime) else
                        "" if row[name] is None else safe_cell(str(row[name]))
                        for name in queries.CSV_COLUMNS
                    ])
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
            yield buffer.getvalue().encode("utf-8")

        stamp = dt.datetime.now(zone).strftime("%Y%m%d-%H%M")
        return Stream(lines(), media_type="text/csv; charset=utf-8",
                      headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})

    @get("/break-glass", name="audit:break_glass", opt=READ)
    async def break_glass_list(self, request: Request, page: FromQuery[int] = 1) -> Response:
        page = max(1, page)
        grants = await break_glass.recent_grants(limit=50, offset=(page - 1) * 50)
        await record("audit.break_glass_review", actor_of(request), entity_type="audit")
        return render(request, "audit/break_glass.html", {
            "grants": grants, "page_number": page, "has_next": len(grants) == 50,
            "now": dt.datetime.now(dt.timezone.utc),
        })


def safe_cell(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
