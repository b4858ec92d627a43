"""The chart: one page with every section a person may see, and the parts
that refresh themselves when something in it changes (header, summary,
timeline). Exports of the complete record, and break-the-glass.

Access and the read audit come from the patient-access dependency
(clinic/patients/access.py); the handlers only gather and render.
"""

from __future__ import annotations

import json

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect

from clinic.audit import break_glass
from clinic.billing import ledger as billing_ledger
from clinic.clinical import services as clinical
from clinic.clinical.sections import SECTIONS
from clinic.clinical.vitals import measures, unit_labels, vitals_form, vitals_history
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.forms import Form
from clinic.documents import services as documents
from clinic.documents.forms import DOCUMENT_FORM
from clinic.patients import services as patients
from clinic.patients.access import PATIENT_ACCESS, PatientAccess
from clinic.patients.forms import BREAK_GLASS_FORM, INSURANCE_FORM
from clinic.patients.normalise import age_label, format_phone
from clinic.prescriptions import services as prescriptions
from clinic.records import queries
from clinic.records.export import complete_record, fhir_bundle
from clinic.records.timeline import timeline
from clinic.scheduling.services import patient_appointments
from clinic.visits import services as visits
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import navigate, render, wants_fragment

READ = {"permission": "patients.read"}


def head_context(request: Request, access: PatientAccess) -> dict:
    patient = access.patient
    return {
        "patient": patient, "access": access,
        "age": age_label(patient["date_of_birth"], locale_of(request).today()),
    }


async def allergy_context(access: PatientAccess) -> dict:
    if not access.clinical:
        return {"allergies": None, "no_known_allergies": None}
    return {"allergies": await clinical.active_allergies(access.patient_id),
            "no_known_allergies": await clinical.allergy_review(access.patient_id)}


async def summary_context(request: Request, access: PatientAccess) -> dict:
    settings = request.app.state.settings
    patient = access.patient
    return {
        "phone": format_phone(patient["phone"], settings.country),
        "phone_alt": format_phone(patient["phone_alt"], settings.country),
        "emergency_phone": format_phone(patient["emergency_contact_phone"], settings.country),
        "national_id_masked": patients.national_id_masked(patient),
        "visits": await queries.next_and_last_appointment(access.patient_id),
    }


class ChartController(Controller):
    path = "/patients/{patient_id:int}"
    dependencies = PATIENT_ACCESS

    @get(name="records:chart", opt={**READ, "shows": "chart"})
    async def chart(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        user = request.scope["user"]
        settings = request.app.state.settings
        context = {**head_context(request, access), **await allergy_context(access),
                   **await summary_context(request, access)}
        if access.clinical:
            units = settings.units
            context.update({
                "sections": SECTIONS, "entries": await clinical.chart_entries(access.patient_id),
                "vitals": await vitals_history(access.patient_id, units), "measures": measures(units),
                "units": unit_labels(units), "vitals_form": vitals_form(units),
                "visit_rows": await visits.patient_visits(access.patient_id),
                "prescriptions": await prescriptions.prescriptions_of(access.patient_id, limit=10),
                "documents": await documents.documents_of(access.patient_id, settings.documents_dir,
                                                          limit=documents.CARD_LIMIT),
                "document_form": DOCUMENT_FORM, "document_values": Form(values={"category": "other"}),
                "max_label": documents.size_label(settings.document_max_bytes),
                "accepted": documents.accepted_types(),
            })
        if user.can("insurance.read"):
            context["policies"] = await patients.insurance_of(access.patient_id)
        if user.can("appointments.read"):
            context.update(await appointments_context(access.patient_id))
        if user.can("billing.write"):
            context["billing_balance"] = await billing_ledger.balance_of(access.patient_id)
        context.update({
            "events": await timeline(access.patient_id, clinical=access.clinical,
                                     insurance=user.can("insurance.read"), patient=access.patient,
                                     entries=context.get("entries")),
            "empty_form": Form(), "insurance_form": INSURANCE_FORM, "insurance_values": Form(values={
                "priority": "primary", "subscriber_relation": "self"}),
            "break_glass_form": BREAK_GLASS_FORM, "may_export": user.can("records.export") and access.clinical,
            "can_write": user.can("clinical.write"),
        })
        return render(request, "records/chart.html", context)

    @get("/head", name="records:head", opt={**READ, "shows": "chart header"})
    async def head(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        if not wants_fragment(request):
            return Redirect(chart_url(request, access), status_code=303)
        context = {**head_context(request, access), **await allergy_context(access)}
        return render(request, "records/chart.html", context, block="chart_head")

    @get("/summary", name="records:summary", opt={**READ, "shows": "summary"})
    async def summary(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        if not wants_fragment(request):
            return Redirect(chart_url(request, access), status_code=303)
        context = {**head_context(request, access), **await allergy_context(access),
                   **await summary_context(request, access)}
        if access.clinical:
            units = request.app.state.settings.units
            context.update({"entries": await clinical.chart_entries(access.patient_id),
                            "vitals": await vitals_history(access.patient_id, units, limit=1),
                            "units": unit_labels(units)})
        return render(request, "records/chart.html", context, block="chart_summary")

    @get("/timeline", name="records:timeline", opt={**READ, "shows": "timeline"})
    async def timeline(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        events = await timeline(access.patient_id, clinical=access.clinical,
                                insurance=request.scope["user"].can("insurance.read"))
        return render(request, "records/timeline.html", {"patient": access.patient, "events": events},
                      block="timeline")

    @post("/break-glass", name="records:break_glass", status_code=200, opt=READ)
    async def break_the_glass(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        user = request.scope["user"]
        form = await read_form(request)
        location = chart_url(request, access)
        if user.can("clinical.read"):
            return navigate(request, location)
        try:
            await break_glass.grant(user.id, access.patient_id, "clinical.read", form.get("reason"),
                                    request.app.state.settings.break_glass_minutes, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "records/break_glass.html", {
                "patient": access.patient, "form": form, "break_glass_form": BREAK_GLASS_FORM,
            }, block="break_glass", status_code=422)
        return navigate(request, location, notice="Clinical information is open to you for a limited time.")

    @get("/export.json", name="records:export_json",
         opt={"permission": "records.export", "patient": "clinical", "shows": "json", "audit_action": "patient.export"})
    async def export_json(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        data = await exportable_record(request, access)
        return download(json.dumps(data, indent=2, ensure_ascii=False), f"patient-{access.patient['mrn']}.json",
                        "application/json")

    @get("/export.fhir.json", name="records:export_fhir",
         opt={"permission": "records.export", "patient": "clinical", "shows": "fhir", "audit_action": "patient.export"})
    async def export_fhir(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        bundle = fhir_bundle(await exportable_record(request, access))
        return download(json.dumps(bundle, indent=2, ensure_ascii=False),
                        f"patient-{access.patient['mrn']}-fhir.json", "application/fhir+json")


async def exportable_record(request: Request, access: PatientAccess) -> dict:
    """The complete record, as far as this person may see it: identifiers in
    clear only for roles that may reveal them, insurance only for roles that
    may see it. (Clinical access was checked by the dependency.)"""
    user = request.scope["user"]
    if not access.clinical:
        raise PermissionDeniedException()
    return await complete_record(access.patient_id, identifiers=user.can("sensitive.reveal"),
                                 insurance=user.can("insurance.read"))


async def appointments_context(patient_id: int) -> dict:
    """The patient's appointments for the chart: upcoming (soonest first) and past (latest first)."""
    now = clock.now()
    every = await patient_appointments(patient_id)
    return {"upcoming_appointments": sorted((a for a in every if a.ends_at > now and a.status not in
                                             ("cancelled", "no_show", "completed")), key=lambda a: a.starts_at),
            "past_appointments": [a for a in every if not (a.ends_at > now and a.status not in
                                                          ("cancelled", "no_show", "completed"))][:20]}


def chart_url(request: Request, access: PatientAccess) -> str:
    return request.app.route_reverse("records:chart", patient_id=access.patient_id)


def download(body: str, filename: str, media_type: str) -> Response:
    return Response(body.encode("utf-8"), media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
