"""The chart's clinical sections as HTMX fragments: list, add, edit, change status."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from clinic.clinical import services
from clinic.clinical.sections import SECTIONS, Section
from clinic.clinical.vitals import (
    add_vitals,
    mark_vitals_in_error,
    measures,
    unit_labels,
    update_vitals,
    vitals_entry,
    vitals_form_values,
    vitals_history,
)
from clinic.core.errors import Invalid
from clinic.patients.chart_controllers import audit_read, require_clinical_read
from clinic.patients.controllers import require_patient
from clinic.patients.normalise import format_date
from clinic.patients.services import today_in
from clinic.web.actors import actor_of
from clinic.web.forms import Form, read_form
from clinic.web.pages import render

# Route-level: who may open a chart. The handlers then check clinical.read
# (or break-the-glass) for this patient before showing anything clinical.
READ = {"permission": "patients.read"}
WRITE = {"permission": "clinical.write"}


def section_or_404(key: str) -> Section:
    section = SECTIONS.get(key)
    if section is None:
        raise NotFoundException()
    return section


def entry_form(section: Section, row: dict, date_order: str) -> Form:
    values = {}
    for field in section.fields:
        value = row.get(field.name)
        values[field.name] = format_date(value, "YMD") if field.kind == "date" else (value or "")
    return Form(values=values)


class ClinicalController(Controller):
    path = "/patients/{patient_id:int}"

    @get("/chart/{section_key:str}", name="clinical:section", opt=READ)
    async def section(self, request: Request, patient_id: FromPath[int], section_key: FromPath[str]) -> Response:
        section = section_or_404(section_key)
        patient = await require_patient(patient_id)
        await require_clinical_read(request, patient_id)
        return await section_fragment(request, section, patient, Form())

    @post("/chart/{section_key:str}", name="clinical:add", opt=WRITE, status_code=200)
    async def add(self, request: Request, patient_id: FromPath[int], section_key: FromPath[str]) -> Response:
        section = section_or_404(section_key)
        patient = await require_patient(patient_id)
        form = await read_form(request)
        settings = request.app.state.settings
        try:
            await services.add_entry(section, patient_id, form.values, actor_of(request),
                                     date_order=settings.date_order, today=today_in(settings.tz))
        except Invalid as invalid:
            form.errors = invalid.errors
            return await section_fragment(request, section, patient, form, status_code=422, audit=False)
        return await section_fragment(request, section, patient, Form(), notice=f"{section.singular.capitalize()} added.",
                                      audit=False)

    @get("/chart/{section_key:str}/{entry_id:int}/edit", name="clinical:edit", opt=WRITE)
    async def edit(self, request: Request, patient_id: FromPath[int], section_key: FromPath[str],
                   entry_id: FromPath[int]) -> Response:
        section = section_or_404(section_key)
        await require_patient(patient_id)
        row = await entry_or_404(section, patient_id, entry_id)
        await audit_read(request, patient_id, section.key)
        form = entry_form(section, row, request.app.state.settings.date_order)
        return render(request, "clinical/edit_entry.html", {"section": section, "patient_id": patient_id,
                                                            "entry": row, "form": form}, block="entry_form")

    @post("/chart/{section_key:str}/{entry_id:int}", name="clinical:update", opt=WRITE, status_code=200)
    async def update(self, request: Request, patient_id: FromPath[int], section_key: FromPath[str],
                     entry_id: FromPath[int]) -> Response:
        section = section_or_404(section_key)
        patient = await require_patient(patient_id)
        row = await entry_or_404(section, patient_id, entry_id)
        form = await read_form(request)
        settings = request.app.state.settings
        try:
            await services.update_entry(section, patient_id, entry_id, form.values, actor_of(request),
                                        date_order=settings.date_order, today=today_in(settings.tz))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "clinical/edit_entry.html", {"section": section, "patient_id": patient_id,
                                                                "entry": row, "form": form}, block="entry_form",
                          status_code=422)
        return await section_fragment(request, section, patient, Form(), notice="Saved.", audit=False)

    @post("/chart/{section_key:str}/{entry_id:int}/status", name="clinical:status", opt=WRITE, status_code=200)
    async def status(self, request: Request, patient_id: FromPath[int], section_key: FromPath[str],
                     entry_id: FromPath[int]) -> Response:
        section = section_or_404(section_key)
        patient = await require_patient(patient_id)
        await entry_or_404(section, patient_id, entry_id)
        form = await read_form(request)
        try:
            await services.set_status(section, patient_id, entry_id, form.get("status"), actor_of(request))
        except Invalid as invalid:
            return await section_fragment(request, section, patient, Form(), error=invalid.errors["status"],
                                          status_code=422, audit=False)
        return await section_fragment(request, section, patient, Form(), notice="Status changed.", audit=False)

    # -- vital signs ------------------------------------------------------------

    @get("/vitals", name="clinical:vitals", opt=READ)
    async def vitals(self, request: Request, patient_id: FromPath[int]) -> Response:
        patient = await require_patient(patient_id)
        await require_clinical_read(request, patient_id)
        return await vitals_fragment(request, patient, Form())

    @post("/vitals", name="clinical:vitals_add", opt=WRITE, status_code=200)
    async def vitals_add(self, request: Request, patient_id: FromPath[int]) -> Response:
        patient = await require_patient(patient_id)
        form = await read_form(request)
        try:
            await add_vitals(patient_id, form.values, actor_of(request), units=request.app.state.settings.units)
        except Invalid as invalid:
            form.errors = invalid.errors
            return await vitals_fragment(request, patient, form, status_code=422, audit=False)
        return await vitals_fragment(request, patient, Form(), notice="Vital signs recorded.", audit=False)

    @get("/vitals/{vitals_id:int}/edit", name="clinical:vitals_edit", opt=WRITE)
    async def vitals_edit(self, request: Request, patient_id: FromPath[int], vitals_id: FromPath[int]) -> Response:
        await require_patient(patient_id)
        units = request.app.state.settings.units
        try:
            row = await vitals_entry(patient_id, vitals_id)
        except services.EntryNotFound:
            raise NotFoundException() from None
        await audit_read(request, patient_id, "vitals")
        return render(request, "clinical/edit_vitals.html", {
            "patient_id": patient_id, "entry": row, "form": Form(values=vitals_form_values(row, units)),
            "measures": measures(units), "units": unit_labels(units)}, block="vitals_form")

    @post("/vitals/{vitals_id:int}", name="clinical:vitals_update", opt=WRITE, status_code=200)
    async def vitals_update(self, request: Request, patient_id: FromPath[int], vitals_id: FromPath[int]) -> Response:
        patient = await require_patient(patient_id)
        units = request.app.state.settings.units
        form = await read_form(request)
        try:
            await update_vitals(patient_id, vitals_id, form.values, actor_of(request), units=units)
        except services.EntryNotFound:
            raise NotFoundException() from None
        except Invalid as invalid:
            form.errors = invalid.errors
            row = await vitals_entry(patient_id, vitals_id)
            return render(request, "clinical/edit_vitals.html", {
                "patient_id": patient_id, "entry": row, "form": form, "measures": measures(units),
                "units": unit_labels(units)}, block="vitals_form", status_code=422)
        return await vitals_fragment(request, patient, Form(), notice="Saved.", audit=False)

    @post("/vitals/{vitals_id:int}/error", name="clinical:vitals_error", opt=WRITE, status_code=200)
    async def vitals_error(self, request: Request, patient_id: FromPath[int], vitals_id: FromPath[int]) -> Response:
        patient = await require_patient(patient_id)
        try:
            await mark_vitals_in_error(patient_id, vitals_id, actor_of(request))
        except services.EntryNotFound:
            raise NotFoundException() from None
        return await vitals_fragment(request, patient, Form(), notice="Marked as entered in error.", audit=False)


async def entry_or_404(section: Section, patient_id: int, entry_id: int) -> dict:
    try:
        return await services.entry(section, patient_id, entry_id)
    except services.EntryNotFound:
        raise NotFoundException() from None


async def section_fragment(request: Request, section: Section, patient: dict, form: Form, *, notice: str = "",
                           error: str = "", status_code: int = 200, audit: bool = True) -> Response:
    patient_id = patient["id"]
    # Also after a write: what is shown back is clinical information.
    await require_clinical_read(request, patient_id)
    if audit:
        await audit_read(request, patient_id, section.key)
    rows = await services.entries(section, patient_id, include_errors=True)
    return render(request, "clinical/section.html", {
        "section": section, "patient": patient, "patient_id": patient_id, "rows": rows, "form": form,
        "notice": notice, "error": error, "can_write": request.scope["user"].can("clinical.write"),
    }, block="section", status_code=status_code)


async def vitals_fragment(request: Request, patient: dict, form: Form, *, notice: str = "", status_code: int = 200,
                          audit: bool = True) -> Response:
    patient_id = patient["id"]
    await require_clinical_read(request, patient_id)
    if audit:
        await audit_read(request, patient_id, "vitals")
    units = request.app.state.settings.units
    return render(request, "clinical/vitals.html", {
        "patient": patient, "patient_id": patient_id, "rows": await vitals_history(patient_id, units), "form": form,
        "measures": measures(units), "units": unit_labels(units), "notice": notice,
        "can_write": request.scope["user"].can("clinical.write"),
    }, block="vitals", status_code=status_code)
