"""The chart page, its summary, insurance, identifiers, timeline, export, break-the-glass.

Every view of a chart (and each section loaded into it) is audited with the
patient's id. Clinical parts need ``clinical.read``, or a break-the-glass
grant for this patient; the check is here, in the handlers, never only in
the templates.
"""

from __future__ import annotations

import datetime as dt
import json

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath

from clinic.audit import break_glass
from clinic.audit.services import record
from clinic.clinical import services as clinical
from clinic.clinical.timeline import timeline
from clinic.core.errors import Invalid
from clinic.patients import services
from clinic.patients.controllers import require_patient
from clinic.patients.export import complete_record, fhir_bundle
from clinic.patients.normalise import age_label, format_phone
from clinic.patients.search import next_appointments
from clinic.patients.validation import RELATIONS
from clinic.scheduling.tables import Appointment
from clinic.web.actors import actor_of
from clinic.web.forms import Form, read_form
from clinic.web.pages import render

READ = {"permission": "patients.read"}


async def may_read_clinical(request: Request, patient_id: int) -> bool:
    return await break_glass.may(request.scope["user"], "clinical.read", patient_id)


async def audit_read(request: Request, patient_id: int, part: str) -> None:
    await record("patient.read", actor_of(request), entity_type="patient", entity_id=patient_id,
                 patient_id=patient_id, detail=part)


async def last_appointment(patient_id: int) -> dict | None:
    return await Appointment.select(Appointment.starts_at, Appointment.status,
                                    Appointment.provider.display_name.as_alias("with")).where(
        (Appointment.patient == patient_id) & (Appointment.starts_at < dt.datetime.now(dt.timezone.utc))
    ).order_by(Appointment.starts_at, ascending=False).first()


class ChartController(Controller):
    path = "/patients/{patient_id:int}"

    @get(name="patients:chart", opt=READ)
    async def chart(self, request: Request, patient_id: FromPath[int]) -> Response:
        patient = await require_patient(patient_id)
        await audit_read(request, patient_id, "chart")
        user = request.scope["user"]
        settings = request.app.state.settings
        clinical_ok = await may_read_clinical(request, patient_id)
        grant = None if user.can("clinical.read") else await break_glass.active_grant(user.id, patient_id,
                                                                                         "clinical.read")
        return render(request, "patients/chart.html", {
            "patient": patient,
            "age": age_label(patient["date_of_birth"], services.today_in(settings.tz)),
            "may_read_clinical": clinical_ok,
            "glass_until": grant,
            "national_id_masked": services.national_id_masked(patient),
            "phone": format_phone(patient["phone"], settings.country),
            "phone_alt": format_phone(patient["phone_alt"], settings.country),
            "emergency_phone": format_phone(patient["emergency_contact_phone"], settings.country),
            "allergies": await clinical.active_allergies(patient_id) if clinical_ok else None,
            "next_visit": (await next_appointments([patient_id])).get(patient_id),
            "last_visit": await last_appointment(patient_id),
            "break_glass_form": Form(),
            "may_export": user.can("records.export") and clinical_ok,
        })

    @post("/reveal/national-id", name="patients:reveal_national_id", status_code=200,
          opt={"permission": "sensitive.reveal"})
    async def reveal_national_id(self, request: Request, patient_id: FromPath[int]) -> Response:
        await require_patient(patient_id)
        value = await services.reveal_national_id(patient_id, actor_of(request), request.app.state.settings.country)
        return render(request, "patients/reveal.html", {"value": value or "Not recorded"}, block="revealed")

    @get("/insurance", name="patients:insurance", opt={"permission": "insurance.read"})
    async def insurance(self, request: Request, patient_id: FromPath[int]) -> Response:
        return await insurance_section(request, patient_id, Form(values={"priority": "primary",
                                                                         "subscriber_relation": "self"}))

    @post("/insurance", name="patients:insurance_add", status_code=200, opt={"permission": "insurance.write"})
    async def insurance_add(self, request: Request, patient_id: FromPath[int]) -> Response:
        await require_patient(patient_id)
        form = await read_form(request)
        try:
            await services.add_insurance(patient_id, form.values, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return await insurance_section(request, patient_id, form, status_code=422)
        return await insurance_section(request, patient_id, Form(values={"priority": "primary",
                                                                         "subscriber_relation": "self"}))

    @post("/insurance/{insurance_id:int}/end", name="patients:insurance_end", status_code=200,
          opt={"permission": "insurance.write"})
    async def insurance_end(self, request: Request, patient_id: FromPath[int],
                            insurance_id: FromPath[int]) -> Response:
        await require_patient(patient_id)
        try:
            await services.end_insurance(patient_id, insurance_id, actor_of(request))
        except services.PatientNotFound:
            raise NotFoundException() from None
        return await insurance_section(request, patient_id, Form(values={"priority": "primary",
                                                                         "subscriber_relation": "self"}))

    @post("/insurance/{insurance_id:int}/reveal", name="patients:insurance_reveal", status_code=200,
          opt={"permission": "sensitive.reveal"})
    async def insurance_reveal(self, request: Request, patient_id: FromPath[int],
                               insurance_id: FromPath[int]) -> Response:
        await require_patient(patient_id)
        try:
            value = await services.reveal_member_number(patient_id, insurance_id, actor_of(request))
        except services.PatientNotFound:
            raise NotFoundException() from None
        return render(request, "patients/reveal.html", {"value": value}, block="revealed")

    @get("/timeline", name="patients:timeline", opt=READ)
    async def timeline(self, request: Request, patient_id: FromPath[int]) -> Response:
        patient = await require_patient(patient_id)
        await audit_read(request, patient_id, "timeline")
        events = await timeline(patient_id, clinical=await may_read_clinical(request, patient_id),
                                insurance=request.scope["user"].can("insurance.read"))
        return render(request, "patients/timeline.html", {"patient": patient, "events": events}, block="timeline")

    @post("/break-glass", name="patients:break_glass", status_code=200, opt=READ)
    async def break_the_glass(self, request: Request, patient_id: FromPath[int]) -> Response:
        await require_patient(patient_id)
        user = request.scope["user"]
        form = await read_form(request)
        if user.can("clinical.read"):
            return Response(b"", headers={"HX-Redirect": f"/patients/{patient_id}"})
        try:
            await break_glass.grant(user.id, patient_id, "clinical.read", form.get("reason"),
                                    request.app.state.settings.break_glass_minutes, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "patients/break_glass.html", {"patient_id": patient_id, "form": form},
                          block="break_glass", status_code=422)
        if request.headers.get("hx-request") == "true":
            return Response(b"", headers={"HX-Redirect": f"/patients/{patient_id}"})
        from litestar.response import Redirect

        return Redirect(f"/patients/{patient_id}", status_code=303)

    @get("/export.json", name="patients:export_json", opt={"permission": "records.export"})
    async def export_json(self, request: Request, patient_id: FromPath[int]) -> Response:
        patient = await require_patient(patient_id)
        data = await exportable_record(request, patient_id)
        await record("patient.export", actor_of(request), entity_type="patient", entity_id=patient_id,
                     patient_id=patient_id, detail="json")
        return download(json.dumps(data, indent=2, ensure_ascii=False), f"patient-{patient['mrn']}.json",
                        "application/json")

    @get("/export.fhir.json", name="patients:export_fhir", opt={"permission": "records.export"})
    async def export_fhir(self, request: Request, patient_id: FromPath[int]) -> Response:
        patient = await require_patient(patient_id)
        bundle = fhir_bundle(await exportable_record(request, patient_id))
        await record("patient.export", actor_of(request), entity_type="patient", entity_id=patient_id,
                     patient_id=patient_id, detail="fhir")
        return download(json.dumps(bundle, indent=2, ensure_ascii=False), f"patient-{patient['mrn']}-fhir.json",
                        "application/fhir+json")


async def exportable_record(request: Request, patient_id: int) -> dict:
    """The complete record, as far as this person may see it.

    Exporting includes the clinical record, so it needs clinical access (the
    role, or break-the-glass with a reason); identifiers are in clear only for
    roles that may reveal them, insurance only for roles that may see it.
    """
    await require_clinical_read(request, patient_id)
    user = request.scope["user"]
    return await complete_record(patient_id, identifiers=user.can("sensitive.reveal"),
                                 insurance=user.can("insurance.read"))


def download(body: str, filename: str, media_type: str) -> Response:
    return Response(body.encode("utf-8"), media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


async def insurance_section(request: Request, patient_id: int, form: Form, status_code: int = 200) -> Response:
    if not request.scope["user"].can("insurance.read"):
        raise PermissionDeniedException()
    patient = await require_patient(patient_id)
    await audit_read(request, patient_id, "insurance")
    return render(request, "patients/insurance.html", {
        "patient": patient, "policies": await services.insurance_of(patient_id), "form": form,
        "relations": RELATIONS,
    }, block="insurance", status_code=status_code)


async def require_clinical_read(request: Request, patient_id: int) -> None:
    if not await may_read_clinical(request, patient_id):
        await record("access.denied", actor_of(request), entity_type="patient", entity_id=patient_id,
                     patient_id=patient_id, outcome="denied", detail="clinical.read")
        raise PermissionDeniedException(detail="Your role cannot see clinical information. "
                                               "If you need it now, break the glass on the chart and give a reason.")

