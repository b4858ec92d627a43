"""The audit viewer for administrators (reading it is itself audited)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Stream

from clinic.admin import audit_queries as queries
from clinic.admin.forms import audit_filters
from clinic.audit import break_glass, checkpoints
from clinic.audit.actions import describe
from clinic.audit.services import record
from clinic.core import clock
from clinic.core.forms import Form
from clinic.core.paging import page_number
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import render

READ = {"permission": "audit.read"}


class AuditController(Controller):
    path = "/admin"

    @get("/audit", name="audit:list", opt=READ)
    async def list(self, request: Request, page: FromQuery[str] = "1") -> Response:
        actions = await queries.known_actions()
        filters = queries.AuditFilters.parse(dict(request.query_params), actions)
        return await audit_list(request, filters, actions, page_number(page))

    @post("/audit", name="audit:filter", opt=READ, status_code=200)
    async def filter(self, request: Request) -> Response:
        """The filter form is POSTed: a name or MRN typed into it must not end up in a URL.

        It is replaced by the patient's id in the address the browser shows
        (HX-Push-Url), or a plain form submission is redirected there. A name
        that fits several patients asks which one.
        """
        form = await read_form(request)
        actions = await queries.known_actions()
        values = dict(form.values)
        typed = form.get("patient")
        choices: list = []
        if typed:
            patient_id, choices = await queries.find_patient(typed)
            if patient_id is None and len(choices) == 1:
                patient_id, choices = choices[0].id, []
            values["patient"] = "" if patient_id is None else str(patient_id)
        filters = queries.AuditFilters.parse(values, actions)
        if typed and filters.patient_id is None:
            filters.errors["patient"] = ("Several patients match: choose one below." if choices
                                         else "No patient matches that name.")
        if filters.errors:
            return await audit_list(request, filters, actions, 1, status_code=422, typed=typed, choices=choices)
        location = request.app.route_reverse("audit:list") + "?" + urlencode(filters.as_params())
        if not request.htmx:
            return Redirect(location, status_code=303)
        return await audit_list(request, filters, actions, 1, headers={"HX-Push-Url": location})

    @get("/audit.csv", name="audit:export", opt=READ)
    async def export(self, request: Request) -> Response:
        zone = locale_of(request).zone  # the clinic's days, as its settings screen says
        filters = queries.AuditFilters.parse(dict(request.query_params), await queries.known_actions())
        if filters.errors:
            return Response("Fix the filters before exporting.", status_code=422, media_type="text/plain")
        await record("audit.export", actor_of(request), entity_type="audit", patient_id=filters.patient_id)

        async def lines():
            buffer = io.StringIO()
            writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
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
        return Stream(lines(), media_type="text/csv",  # Litestar adds "; charset=utf-8" to text/*
                      headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})

    @get("/break-glass", name="audit:break_glass", opt=READ)
    async def break_glass_list(self, request: Request, page: FromQuery[str] = "1") -> Response:
        number = page_number(page)
        grants = await break_glass.recent_grants(limit=50, offset=(number - 1) * 50)
        await record("audit.break_glass_review", actor_of(request), entity_type="audit",
                     patient_ids={grant["patient_id"] for grant in grants})
        return render(request, "admin/break_glass.html", {
            "grants": grants, "page_number": number, "has_next": len(grants) == 50,
            "patient_names": await queries.patient_names({grant["patient_id"] for grant in grants}),
            "now": clock.now(),
        })


async def audit_list(request: Request, filters: queries.AuditFilters, actions: list[str], page: int, *,
                     status_code: int = 200, headers: dict | None = None, typed: str = "",
                     choices: list | None = None) -> Response:
    zone = locale_of(request).zone
    result = None if filters.errors else await queries.audit_page(filters, zone, page)
    ids = {row["patient_id"] for row in result.rows if row["patient_id"]} if result else set()
    # The entries show patients' names: the read names them all.
    await record("audit.read", actor_of(request), entity_type="audit", detail=f"page {page}",
                 patient_id=filters.patient_id, patient_ids=ids | {c.id for c in choices or []})
    params = filters.as_params()
    base = request.app.route_reverse("audit:list")
    values = {**params, "patient": typed or params["patient"]}
    checkpoint, checkpoint_refused = await checkpoints.latest()
    return render(request, "admin/audit.html", {
        "checkpoint": checkpoint, "checkpoint_refused": checkpoint_refused,
        "filters": filters, "form": Form(values=values, errors=filters.errors), "params": params, "page": result,
        "spec": audit_filters(await queries.staff_names(), actions), "choices": choices or [],
        "patient_names": await queries.patient_names(ids | {filters.patient_id or 0}),
        "describe": describe, "staff_names": await queries.staff_names(),
        "page_url": lambda number: base + "?" + urlencode({**params, "page": number}),
    }, block="audit_page" if filters.errors else "audit_results", status_code=status_code,
        headers={**(headers or {}), **({"HX-Retarget": "#audit"} if filters.errors else {})})


# A formula sign at the start of a cell, or of any part a spreadsheet may
# split off at a separator (comma, semicolon, tab, pipe, line break), after
# any blanks: "Mozilla;=1+1" becomes two cells when opened with ";" as the
# separator, whatever the quoting.
_FORMULA_START = re.compile(r"(^|[,;\t|\r\n])(\s*)(?=[=+\-@])")


def safe_cell(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas (CSV injection):
    a quote before each such start makes it text."""
    value = _FORMULA_START.sub(lambda match: match.group(1) + match.group(2) + "'", value)
    # A cell that opens with a tab or carriage return is trimmed by some spreadsheets, then read as a formula.
    return "'" + value if value[:1] in ("\t", "\r") else value
