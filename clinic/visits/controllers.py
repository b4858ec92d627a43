"""The visit screen: open a visit, write the note (each section autosaves), diagnoses, services,
vital signs, sign, addenda. Every handler gets the patient through the patient-access dependency,
which checks clinical access and audits the read; services audit the changes."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from clinic.clinical.services import active_allergies, allergy_review
from clinic.clinical.vitals import unit_labels, vitals_form
from clinic.core.errors import Invalid
from clinic.core.forms import Form, parse_integer
from clinic.patients.access import PATIENT_ACCESS, PatientAccess
from clinic.visits import icd10, note_templates, services
from clinic.visits.follow_up import follow_up_day
from clinic.visits.forms import ADDENDUM_FORM, DETAILS_FORM, NEW_VISIT_FORM, SERVICE_FORM
from clinic.visits.queries import arrived_appointments
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import navigate, render, wants_fragment

READ = {"permission": "patients.read", "patient": "clinical"}
WRITE = {"permission": "clinical.write", "patient": "clinical"}
CHANGED = {"HX-Trigger": "chart-changed"}
NOT_SAVED = "Not saved — your text is kept."


def visit_url(request: Request, patient_id: int, visit_id: int) -> str:
    return request.app.route_reverse("visits:visit", patient_id=patient_id, visit_id=visit_id)


async def visit_or_404(patient_id: int, visit_id: int) -> dict:
    try:
        return await services.get_visit(patient_id, visit_id)
    except services.VisitNotFound:
        raise NotFoundException() from None


async def new_visit_context(request: Request, access: PatientAccess, form: Form) -> dict:
    locale = locale_of(request)
    appointments = await arrived_appointments(access.patient_id, locale)
    templates = await note_templates.templates(active_only=True)
    spec = NEW_VISIT_FORM.with_choices("template_id", [(str(t["id"]), t["name"]) for t in templates]).with_choices(
        "appointment_id", [(str(a["id"]), f"{locale.format_time(a['starts_at'])} with {a['with']}" +
                            (f": {a['reason']}" if a["reason"] else "")) for a in appointments])
    return {"patient": access.patient, "form": form, "spec": spec}


class VisitController(Controller):
    path = "/patients/{patient_id:int}/visits"
    dependencies = PATIENT_ACCESS

    @get("/new", name="visits:new", opt={**WRITE, "shows": "new visit form"})
    async def new(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        return render(request, "visits/new.html", await new_visit_context(request, access, Form()))

    @post(name="visits:open", opt=WRITE, status_code=200)
    async def open(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        form = await read_form(request)
        try:
            visit_id = await services.open_visit(
                access.patient_id, actor_of(request), reason=form.get("reason"),
                template_id=parse_integer(form.get("template_id"), minimum=1),
                appointment_id=parse_integer(form.get("appointment_id"), minimum=1))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "visits/new.html", await new_visit_context(request, access, form),
                          block="new_visit", status_code=422)
        return navigate(request, visit_url(request, access.patient_id, visit_id), notice="Visit opened.")

    @get("/{visit_id:int}", name="visits:visit", opt={**READ, "shows": "visit {visit_id}"})
    async def visit(self, request: Request, access: NamedDependency[PatientAccess], visit_id: FromPath[int]) -> Response:
        return await visit_page(request, access, visit_id)

    @post("/{visit_id:int}/sections/{key:str}", name="visits:save_section", opt=WRITE, status_code=200)
    async def save_section(self, request: Request, access: NamedDependency[PatientAccess], visit_id: FromPath[int],
                           key: FromPath[str]) -> Response:
        form = await read_form(request)
        version = parse_integer(form.get("version"), minimum=1) or -1
        text = form.get(f"text_{key}")
        status, message, new_version = 200, "", None
        try:
            new_version = await services.save_section(access.patient_id, visit_id, key, text, version,
                                                      actor_of(request))
        except services.VisitNotFound:
            raise NotFoundException() from None
        except services.EditConflict:
            status, message = 409, (f"{NOT_SAVED} Someone else changed this section since you opened it: copy "
                                    "your text, then reload the page.")
        except services.VisitLocked:
            status, message = 409, f"{NOT_SAVED} The note has been signed meanwhile."
        except Invalid as invalid:
            status, message = 422, f"{NOT_SAVED} {next(iter(invalid.errors.values()))}"
        if not wants_fragment(request):
            if status != 200:
                return await visit_page(request, access, visit_id, error=message, status_code=status,
                                        kept={key: text})
            return navigate(request, visit_url(request, access.patient_id, visit_id), notice="Saved.")
        locale = locale_of(request)
        return render(request, "visits/save_status.html", {
            "key": key, "ok": status == 200, "message": message, "version": new_version,
            "saved_at": locale.format_time(locale.now_local()) if status == 200 else ""}, block="save_status",
            status_code=status)

    @post("/{visit_id:int}/details", name="visits:details", opt=WRITE, status_code=200)
    async def details(self, request: Request, access: NamedDependency[PatientAccess], visit_id: FromPath[int]) -> Response:
        form = await read_form(request)
        version = parse_integer(form.get("version"), minimum=1) or -1
        try:
            await services.update_details(access.patient_id, visit_id, form.values, version, actor_of(request))
        except services.VisitNotFound:
            raise NotFoundException() from None
        except services.EditConflict:
            form.errors = {"_conflict": "Someone else saved this visit while you were editing. Your text is "
                                        "still in the form: check it and save again."}
            return await visit_page(request, access, visit_id, details_form=form, status_code=409,
                                    block="visit_details")
        except Invalid as invalid:
            form.errors = invalid.errors
            return await visit_page(request, access, visit_id, details_form=form, status_code=422,
                                    block="visit_details")
        return await visit_page(request, access, visit_id, notice="Saved.", block="visit_details")

    @post("/{visit_id:int}/vitals", name="visits:vitals", opt=WRITE, status_code=200)
    async def vitals(self, request: Request, access: NamedDependency[PatientAccess], visit_id: FromPath[int]) -> Response:
        form = await read_form(request)
        try:
            await services.record_vitals(access.patient_id, visit_id, form.values, actor_of(request),
                                         units=request.app.state.settings.units)
        except services.VisitNotFound:
            raise NotFoundException() from None
        except Invalid as invalid:
            form.errors = invalid.errors
            return await visit_page(request, access, visit_id, vitals_values=form, status_code=422,
                                    block="visit_vitals")
        return await visit_page(request, access, visit_id, notice="Vital signs recorded.", block="visit_vitals",
                                headers=CHANGED)

    @post("/{visit_id:int}/diagnoses", name="visits:diagnosis_add", opt=WRITE, status_code=200)
    async def add_diagnosis(self, request: Request, access: NamedDependency[PatientAccess],
                            visit_id: FromPath[int]) -> Response:
        form = await read_form(request)
        # A chosen result sends `code`; "Add the code typed" (and a browser without JavaScript) the search box.
        return await list_change(request, access, visit_id, lambda: services.add_diagnosis(
            access.patient_id, visit_id, form.get("code") or form.get("code_query"), actor_of(request)),
            block="visit_diagnoses", notice="Diagnosis added.", form=form, form_name="diagnosis_form")

    @post("/{visit_id:int}/diagnoses/{diagnosis_id:int}/remove", name="visits:diagnosis_remove", opt=WRITE,
          status_code=200)
    async def remove_diagnosis(self, request: Request, access: NamedDependency[PatientAccess],
                               visit_id: FromPath[int], diagnosis_id: FromPath[int]) -> Response:
        return await list_change(request, access, visit_id, lambda: services.remove_diagnosis(
            access.patient_id, visit_id, diagnosis_id, actor_of(request)),
            block="visit_diagnoses", notice="Diagnosis removed.")

    @post("/{visit_id:int}/services", name="visits:service_add", opt=WRITE, status_code=200)
    async def add_service(self, request: Request, access: NamedDependency[PatientAccess],
                          visit_id: FromPath[int]) -> Response:
        form = await read_form(request)
        return await list_change(request, access, visit_id, lambda: services.add_service(
            access.patient_id, visit_id, form.values, actor_of(request)),
            block="visit_services", notice="Service added.", form=form, form_name="service_form")

    @post("/{visit_id:int}/services/{service_id:int}/remove", name="visits:service_remove", opt=WRITE,
          status_code=200)
    async def remove_service(self, request: Request, access: NamedDependency[PatientAccess],
                             visit_id: FromPath[int], service_id: FromPath[int]) -> Response:
        return await list_change(request, access, visit_id, lambda: services.remove_service(
            access.patient_id, visit_id, service_id, actor_of(request)),
            block="visit_services", notice="Service removed.")

    @post("/{visit_id:int}/sign", name="visits:sign", opt=WRITE, status_code=200)
    async def sign(self, request: Request, access: NamedDependency[PatientAccess], visit_id: FromPath[int]) -> Response:
        try:
            await services.sign(access.patient_id, visit_id, actor_of(request))
        except services.VisitNotFound:
            raise NotFoundException() from None
        except Invalid as invalid:
            return await visit_page(request, access, visit_id, error=next(iter(invalid.errors.values())),
                                    status_code=409)
        return navigate(request, visit_url(request, access.patient_id, visit_id), notice="Note signed.")

    @post("/{visit_id:int}/addenda", name="visits:addendum", opt=WRITE, status_code=200)
    async def addendum(self, request: Request, access: NamedDependency[PatientAccess],
                       visit_id: FromPath[int]) -> Response:
        form = await read_form(request)
        try:
            await services.add_addendum(access.patient_id, visit_id, form.get("addendum"), actor_of(request))
        except services.VisitNotFound:
            raise NotFoundException() from None
        except Invalid as invalid:
            form.errors = invalid.errors
            return await visit_page(request, access, visit_id, addendum_form=form, status_code=422,
                                    block="visit_addenda")
        return await visit_page(request, access, visit_id, notice="Addendum added.", block="visit_addenda")


async def visit_page(request: Request, access: PatientAccess, visit_id: int, *, block: str | None = None,
                     notice: str = "", error: str = "", status_code: int = 200, headers: dict | None = None,
                     details_form: Form | None = None, diagnosis_form: Form | None = None,
                     service_form: Form | None = None, addendum_form: Form | None = None,
                     vitals_values: Form | None = None, kept: dict | None = None) -> Response:
    visit = await visit_or_404(access.patient_id, visit_id)
    actor = actor_of(request)
    user = request.scope["user"]
    editable = visit["state"] == "draft" and user.can("clinical.write")
    for section in visit["sections"]:
        if kept and section["key"] in kept:
            section["text"] = kept[section["key"]]
    units = request.app.state.settings.units
    locale = locale_of(request)
    day = follow_up_day(visit["follow_up"], locale.local(visit["created_at"]).date(), locale.today())
    # Ids and a day only, as the book's own links carry: the follow-up text stays out of the URL.
    follow_up_query = {"provider": str(visit["provider"]), **({"day": day.isoformat()} if day else {})}
    return render(request, "visits/visit.html", {
        "may_book": user.can("appointments.write") and not access.patient.get("merged_into")
        and not access.patient.get("archived_at"), "follow_up_query": follow_up_query, "follow_up_day": day,
        "patient": access.patient, "visit": visit, "editable": editable,
        "can_write": user.can("clinical.write"), "may_sign": services.may_sign(visit, actor) and editable,
        "details_form": details_form or Form(values={"reason": visit["reason"], "follow_up": visit["follow_up"],
                                                     "version": str(visit["version"])}),
        "details_spec": DETAILS_FORM, "diagnosis_form": diagnosis_form or Form(),
        "service_form": service_form or Form(values={"quantity": "1"}), "service_spec": SERVICE_FORM,
        "addendum_form": addendum_form or Form(), "addendum_spec": ADDENDUM_FORM,
        "vitals_values": vitals_values or Form(), "vitals_form": vitals_form(units), "units": unit_labels(units),
        "favourites": await icd10.favourites() if editable else [],
        # Whoever writes or reads the note sees what the patient must not be given.
        "allergies": await active_allergies(access.patient_id),
        "no_known_allergies": await allergy_review(access.patient_id),
    }, block=block, notice=notice, error=error, status_code=status_code, headers=headers)


async def list_change(request: Request, access: PatientAccess, visit_id: int, change, *, block: str, notice: str,
                      form=None, form_name: str = "") -> Response:
    """Add to or take from a visit's diagnoses or services, answering with that block: refused additions come
    back in their form with the input kept (422); a refused removal says why (409)."""
    try:
        await change()
    except services.VisitNotFound:
        raise NotFoundException() from None
    except Invalid as invalid:
        if form is None:
            return await visit_page(request, access, visit_id, error=next(iter(invalid.errors.values())),
                                    status_code=409, block=block)
        form.errors = invalid.errors
        return await visit_page(request, access, visit_id, **{form_name: form}, status_code=422, block=block)
    return await visit_page(request, access, visit_id, notice=notice, block=block)
