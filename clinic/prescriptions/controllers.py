"""Prescription screens: history, draft form, the prescription with its safety checks, print and PDF.

Every handler gets the patient through the patient-access dependency (which
checks clinical access and audits the read); changes are audited by the
services. The drug search answers each keystroke with a ``<datalist>``: it
shows no patient, so it is outside the patient routes.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from clinic.core.errors import Invalid
from clinic.core.forms import Form, parse_integer
from clinic.patients.access import PATIENT_ACCESS, PatientAccess
from clinic.practice.services import practice
from clinic.prescriptions import druglist, services
from clinic.prescriptions.forms import DISCONTINUE_FORM, FREQUENCIES, PRESCRIPTION_FORM, SIGN_FORM
from clinic.prescriptions.printing import prescription_pdf
from clinic.web import files
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import navigate, render

READ = {"permission": "patients.read", "patient": "clinical"}
WRITE = {"permission": "clinical.write", "patient": "clinical"}
PRESCRIBE = {"permission": "prescriptions.write", "patient": "clinical"}
NEW_DRAFT = {"dose_unit": "", "refills": "0"}


async def row_or_404(access: PatientAccess, prescription_id: int) -> dict:
    try:
        return await services.prescription(access.patient_id, prescription_id)
    except services.PrescriptionNotFound:
        raise NotFoundException() from None


def detail_url(request: Request, access: PatientAccess, prescription_id: int) -> str:
    return request.app.route_reverse("prescriptions:detail", patient_id=access.patient_id,
                                     prescription_id=prescription_id)


def form_page(request: Request, access: PatientAccess, form: Form, *, row: dict | None = None,
              status_code: int = 200) -> Response:
    drug = druglist.by_name(form.get("drug_name"))
    return render(request, "prescriptions/form.html", {
        "patient": access.patient, "form": form, "spec": PRESCRIPTION_FORM, "row": row, "drug": drug,
        "frequencies": FREQUENCIES, "visit_id": form.get("visit_id"),
    }, block="prescription_form", status_code=status_code)


async def detail_page(request: Request, access: PatientAccess, row: dict, *, sign_form: Form | None = None,
                      stop_form: Form | None = None, warnings: list | None = None, notice: str = "",
                      error: str = "", status_code: int = 200) -> Response:
    user = request.scope["user"]
    if warnings is None and row["status"] == "draft":
        warnings = await services.warnings_for(access.patient_id, row)
    return render(request, "prescriptions/detail.html", {
        "patient": access.patient, "rx": row, "warnings": warnings or [],
        "overrides": await services.overrides_of(row["id"]),
        "sign_form": sign_form or Form(), "sign_spec": SIGN_FORM, "stop_form": stop_form or Form(),
        "stop_spec": DISCONTINUE_FORM, "can_prescribe": user.can("prescriptions.write"),
        "can_write": user.can("clinical.write"),
        "licence_missing": user.can("prescriptions.write") and not (
            await services.prescriber(user.id))["licence_number"],
    }, block="prescription", status_code=status_code, notice=notice, error=error)


class PrescriptionController(Controller):
    path = "/patients/{patient_id:int}/prescriptions"
    dependencies = PATIENT_ACCESS

    @get(name="prescriptions:list", opt={**READ, "shows": "prescriptions"})
    async def history(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        return render(request, "prescriptions/list.html", {
            "patient": access.patient, "prescriptions": await services.prescriptions_of(access.patient_id),
            "can_write": request.scope["user"].can("clinical.write"),
        }, block="prescriptions")

    @get("/new", name="prescriptions:new", opt={**WRITE, "shows": "prescription form"})
    async def new(self, request: Request, access: NamedDependency[PatientAccess], visit: FromQuery[str] = "",
                  renew: FromQuery[str] = "") -> Response:
        """``?visit=<id>``: prescribing from a visit links the prescription to it; ``?renew=<id>``: a renewal
        of that prescription, its details filled in."""
        values = dict(NEW_DRAFT)
        if parse_integer(visit, minimum=1, maximum=2_147_483_647):
            values["visit_id"] = visit.strip()
        renewing = parse_integer(renew, minimum=1, maximum=2_147_483_647)
        if renewing:
            try:
                original = await services.renewable(access.patient_id, renewing)
            except services.PrescriptionNotFound:
                raise NotFoundException() from None
            except services.WrongState:
                return navigate(request, detail_url(request, access, renewing))
            values.update(services.form_values(original), renewed_from=str(renewing), internal_note="")
        return form_page(request, access, Form(values=values))

    @post(name="prescriptions:create", opt=WRITE, status_code=200)
    async def create(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        form = await read_form(request)
        renewed_from = parse_integer(form.get("renewed_from"), minimum=1, maximum=2_147_483_647)
        try:
            prescription_id = await services.save_draft(access.patient_id, form.values, actor_of(request),
                                                        renewed_from=renewed_from)
        except Invalid as invalid:
            form.errors = invalid.errors
            return form_page(request, access, form, status_code=422)
        except (services.PrescriptionNotFound, services.WrongState):
            form.errors = {"_renewal": "The prescription being renewed is no longer current; this was not saved."}
            return form_page(request, access, form, status_code=409)
        return navigate(request, detail_url(request, access, prescription_id), notice="Draft prescription saved.")

    @get("/{prescription_id:int}", name="prescriptions:detail", opt={**READ, "shows": "prescription"})
    async def detail(self, request: Request, access: NamedDependency[PatientAccess],
                     prescription_id: FromPath[int]) -> Response:
        return await detail_page(request, access, await row_or_404(access, prescription_id))

    @get("/{prescription_id:int}/edit", name="prescriptions:edit", opt={**WRITE, "shows": "prescription form"})
    async def edit(self, request: Request, access: NamedDependency[PatientAccess],
                   prescription_id: FromPath[int]) -> Response:
        row = await row_or_404(access, prescription_id)
        if row["status"] != "draft":
            return navigate(request, detail_url(request, access, prescription_id))
        values = services.form_values(row)
        values["internal_note"] = row["internal_note"]
        return form_page(request, access, Form(values=values), row=row)

    @post("/{prescription_id:int}", name="prescriptions:update", opt=WRITE, status_code=200)
    async def update(self, request: Request, access: NamedDependency[PatientAccess],
                     prescription_id: FromPath[int]) -> Response:
        row = await row_or_404(access, prescription_id)
        form = await read_form(request)
        try:
            await services.save_draft(access.patient_id, form.values, actor_of(request),
                                      prescription_id=prescription_id)
        except Invalid as invalid:
            form.errors = invalid.errors
            return form_page(request, access, form, row=row, status_code=422)
        except services.WrongState as wrong:
            return await detail_page(request, access, row, error=str(wrong), status_code=409)
        return navigate(request, detail_url(request, access, prescription_id), notice="Draft saved.")

    @post("/{prescription_id:int}/sign", name="prescriptions:sign", opt=PRESCRIBE, status_code=200)
    async def sign(self, request: Request, access: NamedDependency[PatientAccess],
                   prescription_id: FromPath[int]) -> Response:
        row = await row_or_404(access, prescription_id)
        form = await read_form(request)
        try:
            number = await services.sign(access.patient_id, prescription_id, actor_of(request),
                                         override_reason=form.get("override_reason"),
                                         today=locale_of(request).today())
        except services.SafetyWarnings as stand:
            form.errors = {"override_reason": "Read the warnings above. To sign anyway, give your reason "
                                              f"(at least {services.MIN_REASON} characters)."}
            return await detail_page(request, access, row, sign_form=form, warnings=stand.warnings,
                                     status_code=422)
        except Invalid as invalid:
            form.errors = invalid.errors
            return await detail_page(request, access, row, sign_form=form, status_code=422,
                                     error=next(iter(invalid.errors.values())))
        except services.WrongState as wrong:
            return await detail_page(request, access, row, error=str(wrong), status_code=409)
        return await detail_page(request, access, await row_or_404(access, prescription_id),
                                 notice=f"Signed: prescription {services.number_label(number)}. "
                                        "Added to the current medications.")

    @post("/{prescription_id:int}/discontinue", name="prescriptions:discontinue", opt=PRESCRIBE, status_code=200)
    async def discontinue(self, request: Request, access: NamedDependency[PatientAccess],
                          prescription_id: FromPath[int]) -> Response:
        row = await row_or_404(access, prescription_id)
        form = await read_form(request)
        try:
            await services.discontinue(access.patient_id, prescription_id, form.values, actor_of(request),
                                       today=locale_of(request).today())
        except Invalid as invalid:
            form.errors = invalid.errors
            return await detail_page(request, access, row, stop_form=form, status_code=422)
        except services.WrongState as wrong:
            return await detail_page(request, access, row, error=str(wrong), status_code=409)
        return await detail_page(request, access, await row_or_404(access, prescription_id),
                                 notice="Discontinued. The medication is marked stopped.")

    @post("/{prescription_id:int}/renew", name="prescriptions:renew", opt=PRESCRIBE, status_code=200)
    async def renew(self, request: Request, access: NamedDependency[PatientAccess],
                    prescription_id: FromPath[int]) -> Response:
        row = await row_or_404(access, prescription_id)
        try:
            new_id = await services.renew(access.patient_id, prescription_id, actor_of(request))
        except services.WrongState as wrong:
            return await detail_page(request, access, row, error=str(wrong), status_code=409)
        except Invalid:
            # Written before a detail became required: the prescriber completes the renewal on the form.
            form_url = request.app.route_reverse("prescriptions:new", patient_id=access.patient_id)
            return navigate(request, f"{form_url}?renew={prescription_id}",
                            notice="Complete the renewal: some details are missing.")
        return navigate(request, detail_url(request, access, new_id),
                        notice="Renewal drafted: check it, then sign it.")

    @post("/{prescription_id:int}/discard", name="prescriptions:discard", opt=WRITE, status_code=200)
    async def discard(self, request: Request, access: NamedDependency[PatientAccess],
                      prescription_id: FromPath[int]) -> Response:
        row = await row_or_404(access, prescription_id)
        try:
            await services.discard(access.patient_id, prescription_id, actor_of(request))
        except services.WrongState as wrong:
            return await detail_page(request, access, row, error=str(wrong), status_code=409)
        return await detail_page(request, access, await row_or_404(access, prescription_id),
                                 notice="Draft discarded.")

    @get("/{prescription_id:int}/print", name="prescriptions:print",
         opt={**READ, "shows": "printable prescription"})
    async def printable(self, request: Request, access: NamedDependency[PatientAccess],
                        prescription_id: FromPath[int]) -> Response:
        row = await signed_or_404(access, prescription_id)
        return render(request, "prescriptions/print.html", {
            "patient": access.patient, "rx": row, "clinic": await practice(),
        })

    @get("/{prescription_id:int}/pdf", name="prescriptions:pdf", opt={**READ, "shows": "prescription pdf"})
    async def pdf(self, request: Request, access: NamedDependency[PatientAccess],
                  prescription_id: FromPath[int]) -> Response:
        row = await signed_or_404(access, prescription_id)
        body = prescription_pdf(row, access.patient, await practice(), locale_of(request))
        return files.pdf_view(body, f"prescription-{row['number_label']}.pdf")


async def signed_or_404(access: PatientAccess, prescription_id: int) -> dict:
    """Only a signed prescription is printed (a draft is not valid at a pharmacy)."""
    row = await row_or_404(access, prescription_id)
    if not row["number"]:
        raise NotFoundException()
    return row


class DrugSearchController(Controller):
    path = "/prescriptions"

    @get("/drugs", name="prescriptions:drugs", opt={"permission": "clinical.write"})
    async def drugs(self, request: Request, drug_name: FromQuery[str] = "") -> Response:
        query = drug_name[:80]
        return render(request, "prescriptions/drugs.html", {
            "matches": druglist.search(query), "drug": druglist.by_name(query), "query": query,
        }, block="drug_options")
