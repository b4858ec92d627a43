"""A patient's eligibility checks: each active policy with its last checks and why it is flagged,
and the form front desk or the biller records a check with (by phone, portal or a 271)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency

from clinic.claims import payers
from clinic.claims.forms import ELIGIBILITY_FORM
from clinic.core.errors import Invalid
from clinic.core.forms import Field, Form, FormSpec, check, parse_integer
from clinic.patients.access import PATIENT_ACCESS, PatientAccess
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import render


POLICY_FIELD = Field("policy_id", "Policy", kind="choice", required=True, missing="Choose the policy.")


def eligibility_spec(policies: list[dict]) -> FormSpec:
    """The check's form with the patient's active policies to choose from."""
    return FormSpec((POLICY_FIELD, *ELIGIBILITY_FORM.fields)).with_choices(
        "policy_id", [(str(row["id"]), f"{row['payer_name']} ({row['priority']})") for row in policies])


async def eligibility_section(request: Request, access: PatientAccess, form: Form | None = None, *,
                              status_code: int = 200, notice: str = "") -> Response:
    locale = locale_of(request)
    policies = await payers.eligibility_of(access.patient_id, locale.today())
    if form is None:
        form = Form(values={"checked_on": locale.today().isoformat(), "result": "active",
                            "policy_id": str(policies[0]["id"]) if policies else ""})
    return render(request, "claims/eligibility.html", {
        "patient": access.patient, "policies": policies, "form": form, "spec": eligibility_spec(policies),
        "recent_days": payers.RECENT_DAYS,
    }, block="eligibility", status_code=status_code, notice=notice)


class EligibilityController(Controller):
    path = "/patients/{patient_id:int}/eligibility"
    dependencies = PATIENT_ACCESS

    @get(name="claims:eligibility", opt={"permission": "insurance.read", "shows": "eligibility"})
    async def eligibility(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        return await eligibility_section(request, access)

    @post(name="claims:eligibility_record", status_code=200, opt={"permission": "insurance.write"})
    async def record(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        policies = await payers.eligibility_of(access.patient_id, locale.today())
        clean, form.errors = check(eligibility_spec(policies), form.values, locale.reading)
        if not form.errors:
            try:
                await payers.record_eligibility(parse_integer(form.get("policy_id"), minimum=1) or -1,
                                                clean["checked_on"], clean["result"], clean["reference"] or "",
                                                clean["note"] or "", actor_of(request))
            except Invalid as invalid:
                form.errors = invalid.errors
        if form.errors:
            return await eligibility_section(request, access, form, status_code=422)
        return await eligibility_section(request, access, notice="Eligibility check recorded.")
