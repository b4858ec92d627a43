"""The access report, under the patient's chart: a form for the period, the printable page, the PDF.

The patient comes from the patient-access dependency (opening the form is a
read of the record, audited there). Producing the report is a POST, so the
dates never sit in an address with the patient's id; it is audited as
``patient.access_report``, and refused when the trail for its period does not
verify.
"""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency

from clinic.access_report.entries import AccessReport, access_report, check_period
from clinic.access_report.pdf import access_report_pdf, summary_sentence, verification_sentence
from clinic.audit.services import record
from clinic.core.errors import Invalid
from clinic.core.forms import Field, Form, FormSpec, check
from clinic.patients.access import PATIENT_ACCESS, PatientAccess
from clinic.practice.services import practice
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import render

# Administrators and doctors: the roles that may export a patient's record.
PRODUCE = {"permission": "records.export"}
PERIOD_FORM = FormSpec((
    Field("date_from", "From", kind="date", required=True),
    Field("date_to", "To", kind="date", required=True),
))


class AccessReportController(Controller):
    path = "/patients/{patient_id:int}/access-report"
    dependencies = PATIENT_ACCESS

    @get(name="access_report:form", opt={**PRODUCE, "shows": "access report form"})
    async def form(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        today = locale_of(request).today()
        values = {"date_from": (today - dt.timedelta(days=365)).isoformat(), "date_to": today.isoformat()}
        return page(request, access, Form(values=values))

    @post(name="access_report:produce", opt=PRODUCE, status_code=200)
    async def produce(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        form, report = await produce_report(request, access, "page")
        if report is None or not report.verification.ok:
            return page(request, access, form, report=report, status_code=422 if report is None else 409)
        return render(request, "access_report/report.html", {
            "patient": access.patient, "report": report, "form": form, "clinic": await practice(),
            "produced_by": request.scope["user"].full_name, "produced_at": locale_of(request).now_local(),
            "verified": verification_sentence(report), "summary": summary_sentence(report),
        })

    @post("/pdf", name="access_report:pdf", opt=PRODUCE, status_code=200)
    async def pdf(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        form, report = await produce_report(request, access, "pdf")
        if report is None or not report.verification.ok:
            return page(request, access, form, report=report, status_code=422 if report is None else 409)
        body = access_report_pdf(report, access.patient, await practice(), locale_of(request),
                                 request.scope["user"].full_name)
        name = f"access-report-{access.patient['mrn']}-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.pdf"
        return Response(body, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


async def produce_report(request: Request, access: PatientAccess, kind: str) -> tuple[Form, AccessReport | None]:
    """Read the period, verify the trail for it and gather the accesses; audit the attempt either way."""
    locale = locale_of(request)
    form = await read_form(request)
    values, errors = check(PERIOD_FORM, form.values, locale.reading)
    if not errors:
        try:
            check_period(values["date_from"], values["date_to"], locale.today())
        except Invalid as invalid:
            errors = invalid.errors
    report = None
    if not errors:
        try:
            report = await access_report(access.patient_id, values["date_from"], values["date_to"], locale)
        except Invalid as invalid:
            errors = invalid.errors
    form.errors = errors
    if report is not None:
        # After the trail was read and verified, so the report's own entry is never in its walk.
        await record("patient.access_report", actor_of(request), entity_type="patient", entity_id=access.patient_id,
                     patient_id=access.patient_id, outcome="success" if report.verification.ok else "failure",
                     detail=f"{kind} {report.date_from.isoformat()} {report.date_to.isoformat()}")
    return form, report


def page(request: Request, access: PatientAccess, form: Form, *, report: AccessReport | None = None,
         status_code: int = 200) -> Response:
    return render(request, "access_report/form.html", {
        "patient": access.patient, "form": form, "spec": PERIOD_FORM, "report": report,
        "failure": verification_sentence(report) if report is not None and not report.verification.ok else "",
    }, block="access_report_form", status_code=status_code)
