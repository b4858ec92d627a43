"""A patient's insurance policies: list, add, end, reveal a member number."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from clinic.core.errors import Invalid
from clinic.core.forms import Form
from clinic.patients import services
from clinic.patients.access import PATIENT_ACCESS, PatientAccess
from clinic.patients.forms import INSURANCE_FORM
from clinic.web.actors import actor_of
from clinic.web.forms import read_form
from clinic.web.pages import render

WRITE = {"permission": "insurance.write"}
NEW_POLICY = {"priority": "primary", "subscriber_relation": "self"}


class InsuranceController(Controller):
    path = "/patients/{patient_id:int}/insurance"
    dependencies = PATIENT_ACCESS

    @get(name="patients:insurance", opt={"permission": "insurance.read", "shows": "insurance"})
    async def insurance(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        return await insurance_section(request, access, Form(values=dict(NEW_POLICY)))

    @post(name="patients:insurance_add", status_code=200, opt=WRITE)
    async def insurance_add(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        form = await read_form(request)
        try:
            await services.add_insurance(access.patient_id, form.values, actor_of(request))
        except Invalid as invalid:
            form.errors = invalid.errors
            return await insurance_section(request, access, form, status_code=422)
        return await insurance_section(request, access, Form(values=dict(NEW_POLICY)), notice="Insurance added.")

    @post("/{insurance_id:int}/end", name="patients:insurance_end", status_code=200, opt=WRITE)
    async def insurance_end(self, request: Request, access: NamedDependency[PatientAccess], insurance_id: FromPath[int]) -> Response:
        try:
            await services.end_insurance(access.patient_id, insurance_id, actor_of(request))
        except services.PatientNotFound:
            raise NotFoundException() from None
        return await insurance_section(request, access, Form(values=dict(NEW_POLICY)),
                                       notice="Policy marked as no longer active.")

    @post("/{insurance_id:int}/reveal", name="patients:insurance_reveal", status_code=200,
          opt={"permission": "sensitive.reveal"})
    async def insurance_reveal(self, request: Request, access: NamedDependency[PatientAccess],
                               insurance_id: FromPath[int]) -> Response:
        try:
            value = await services.reveal_member_number(access.patient_id, insurance_id, actor_of(request))
        except services.PatientNotFound:
            raise NotFoundException() from None
        return render(request, "patients/reveal.html", {"value": value, "target": f"member-{insurance_id}"},
                      block="revealed")


async def insurance_section(request: Request, access: PatientAccess, form: Form, *, status_code: int = 200,
                            notice: str = "") -> Response:
    return render(request, "patients/insurance.html", {
        "patient": access.patient, "policies": await services.insurance_of(access.patient_id), "form": form,
        "insurance_form": INSURANCE_FORM,
    }, block="insurance", status_code=status_code, notice=notice)
