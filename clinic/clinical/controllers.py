"""The chart's clinical sections: list, add, edit, change status; vital signs.

Each handler gets the patient through the patient-access dependency, which
checks clinical access (or break-the-glass) and audits the read. A change
answers with the updated section and an ``HX-Trigger: chart-changed`` event,
so the chart's header, summary and timeline refresh themselves.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
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
    vitals_form,
    vitals_form_values,
    vitals_history,
)
from clinic.core.errors import Invalid
from clinic.core.forms import Form
from clinic.patients.access import PATIENT_ACCESS, PatientAccess
from clinic.patients.normalise import format_date
from clinic.web.actors import actor_of
from clinic.web.context import reading_for
from clinic.web.forms import read_form
from clinic.web.pages import render

READ = {"permission": "patients.read", "patient": "clinical"}
WRITE = {"permission": "clinical.write", "patient": "clinical"}
CHANGED = {"HX-Trigger": "chart-changed"}


def section_or_404(key: str) -> Section:
    section = SECTIONS.get(key)
    if section is None:
        raise NotFoundException()
    return section


def entry_form(section: Section, row: dict) -> Form:
    values = {}
    for field in section.fields:
        value = row.get(field.name)
        values[field.name] = format_date(value, "YMD") if field.kind == "date" else (value or "")
    return Form(values=values)


class ClinicalController(Controller):
    path = "/patients/{patient_id:int}"
    dependencies = PATIENT_ACCESS

    @get("/chart/{section_key:str}", name="clinical:section", opt={**READ, "shows": "{section_key}"})
    async def section(self, request: Request, access: NamedDependency[PatientAccess], section_key: FromPath[str]) -> Response:
        return await section_page(request, section_or_404(section_key), access, Form())

    @post("/chart/{section_key:str}", name="clinical:add", opt=WRITE, status_code=200)
    async def add(self, request: Request, access: NamedDependency[PatientAccess], section_key: FromPath[str]) -> Response:
        section = section_or_404(section_key)
        form = await read_form(request)
        try:
            await services.add_entry(section, access.patient_id, form.values, actor_of(request), reading_for(request),
                                     accept_duplicate=form.get("accept_duplicate") == "1")
        except Invalid as invalid:
            form.errors = invalid.errors
            return await section_page(request, section, access, form, status_code=422)
        except services.PossibleDuplicateEntry as duplicate:
            return await section_page(request, section, access, form, duplicate=duplicate.existing,
                                      status_code=409)
        return await section_page(request, section, access, Form(), headers=CHANGED,
                                  notice=f"{section.singular.capitalize()} added.")

    @post("/no-known-allergies", name="clinical:no_known_allergies", opt=WRITE, status_code=200)
    async def no_known_allergies(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        section = SECTIONS["allergies"]
        try:
            await services.record_no_known_allergies(access.patient_id, actor_of(request))
        except Invalid as invalid:
            return await section_page(request, section, access, Form(), status_code=409,
                                      error=invalid.errors["no_known_allergies"])
        return await section_page(request, section, access, Form(), headers=CHANGED,
                                  notice="Recorded: no known allergies.")

    @get("/chart/{section_key:str}/{entry_id:int}/edit", name="clinical:edit",
         opt={**WRITE, "shows": "{section_key} entry"})
    async def edit(self, request: Request, access: NamedDependency[PatientAccess], section_key: FromPath[str],
                   entry_id: FromPath[int]) -> Response:
        section = section_or_404(section_key)
        row = await entry_or_404(section, access.patient_id, entry_id)
        return render(request, "clinical/edit_entry.html", {
            "section": section, "patient": access.patient, "entry": row, "form": entry_form(section, row),
        }, block="entry_form")

    @post("/chart/{section_key:str}/{entry_id:int}", name="clinical:update", opt=WRITE, status_code=200)
    async def update(self, request: Request, access: NamedDependency[PatientAccess], section_key: FromPath[str],
                     entry_id: FromPath[int]) -> Response:
        section = section_or_404(section_key)
        row = await entry_or_404(section, access.patient_id, entry_id)
        form = await read_form(request)
        try:
            await services.update_entry(section, access.patient_id, entry_id, form.values, actor_of(request),
                                        reading_for(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "clinical/edit_entry.html", {
                "section": section, "patient": access.patient, "entry": row, "form": form,
            }, block="entry_form", status_code=422)
        return await section_page(request, section, access, Form(), notice="Saved.",
                                  headers={**CHANGED, "HX-Retarget": f"#section-{section.key}"})

    @post("/chart/{section_key:str}/{entry_id:int}/status", name="clinical:status", opt=WRITE, status_code=200)
    async def status(self, request: Request, access: NamedDependency[PatientAccess], section_key: FromPath[str],
                     entry_id: FromPath[int]) -> Response:
        section = section_or_404(section_key)
        await entry_or_404(section, access.patient_id, entry_id)
        form = await read_form(request)
        try:
            await services.set_status(section, access.patient_id, entry_id, form.get("status"), actor_of(request))
        except Invalid as invalid:
            return await section_page(request, section, access, Form(), error=invalid.errors["status"],
                                      status_code=422)
        return await section_page(request, section, access, Form(), notice="Status changed.", headers=CHANGED)

    # -- vital signs ------------------------------------------------------------

    @get("/vitals", name="clinical:vitals", opt={**READ, "shows": "vitals"})
    async def vitals(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        return await vitals_page(request, access, Form())

    @post("/vitals", name="clinical:vitals_add", opt=WRITE, status_code=200)
    async def vitals_add(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        form = await read_form(request)
        try:
            await add_vitals(access.patient_id, form.values, actor_of(request), units=units_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return await vitals_page(request, access, form, status_code=422)
        return await vitals_page(request, access, Form(), notice="Vital signs recorded.", headers=CHANGED)

    @get("/vitals/{vitals_id:int}/edit", name="clinical:vitals_edit", opt={**WRITE, "shows": "vitals entry"})
    async def vitals_edit(self, request: Request, access: NamedDependency[PatientAccess], vitals_id: FromPath[int]) -> Response:
        units = units_of(request)
        row = await vitals_or_404(access.patient_id, vitals_id)
        return render(request, "clinical/edit_vitals.html", {
            "patient": access.patient, "entry": row, "form": Form(values=vitals_form_values(row, units)),
            "vitals_form": vitals_form(units)}, block="vitals_editor")

    @post("/vitals/{vitals_id:int}", name="clinical:vitals_update", opt=WRITE, status_code=200)
    async def vitals_update(self, request: Request, access: NamedDependency[PatientAccess], vitals_id: FromPath[int]) -> Response:
        units = units_of(request)
        row = await vitals_or_404(access.patient_id, vitals_id)
        form = await read_form(request)
        try:
            await update_vitals(access.patient_id, vitals_id, form.values, actor_of(request), units=units)
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "clinical/edit_vitals.html", {
                "patient": access.patient, "entry": row, "form": form, "vitals_form": vitals_form(units)},
                block="vitals_editor", status_code=422)
        return await vitals_page(request, access, Form(), notice="Saved.",
                                 headers={**CHANGED, "HX-Retarget": "#section-vitals"})

    @post("/vitals/{vitals_id:int}/error", name="clinical:vitals_error", opt=WRITE, status_code=200)
    async def vitals_error(self, request: Request, access: NamedDependency[PatientAccess], vitals_id: FromPath[int]) -> Response:
        await vitals_or_404(access.patient_id, vitals_id)
        await mark_vitals_in_error(access.patient_id, vitals_id, actor_of(request))
        return await vitals_page(request, access, Form(), notice="Marked as entered in error.", headers=CHANGED)


def units_of(request: Request) -> str:
    return request.app.state.settings.units


async def entry_or_404(section: Section, patient_id: int, entry_id: int) -> dict:
    try:
        return await services.entry(section, patient_id, entry_id)
    except services.EntryNotFound:
        raise NotFoundException() from None


async def vitals_or_404(patient_id: int, vitals_id: int) -> dict:
    try:
        return await vitals_entry(patient_id, vitals_id)
    except services.EntryNotFound:
        raise NotFoundException() from None


async def section_page(request: Request, section: Section, access: PatientAccess, form: Form, *,
                       duplicate: dict | None = None, notice: str = "", error: str = "", status_code: int = 200,
                       headers: dict | None = None) -> Response:
    patient_id = access.patient_id
    context = {
        "section": section, "patient": access.patient, "rows": await services.entries(section, patient_id),
        "form": form, "duplicate": duplicate, "can_write": request.scope["user"].can("clinical.write"),
    }
    if section.key == "allergies":
        context["no_known_allergies"] = await services.allergy_review(patient_id)
    return render(request, "clinical/section.html", context, block="section", status_code=status_code,
                  headers=headers, notice=notice, error=error)


async def vitals_page(request: Request, access: PatientAccess, form: Form, *, notice: str = "",
                      status_code: int = 200, headers: dict | None = None) -> Response:
    units = units_of(request)
    return render(request, "clinical/vitals.html", {
        "patient": access.patient, "vitals": await vitals_history(access.patient_id, units), "form": form,
        "vitals_form": vitals_form(units), "measures": measures(units), "units": unit_labels(units),
        "can_write": request.scope["user"].can("clinical.write"),
    }, block="vitals", status_code=status_code, headers=headers, notice=notice)
