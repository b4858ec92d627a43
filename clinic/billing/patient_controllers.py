"""One patient's billing: the ledger screen (balance, invoices, payments, credit, refunds, policy
terms), the invoice screen and its changes, and the printable superbill, statement and receipt.

Every handler gets the patient through the patient-access dependency (it writes the one read
audit entry); an invoice or payment of another patient is "not found".
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from clinic.billing import corrections, invoices, ledger, payments, queries
from clinic.billing.controllers import read_amounts
from clinic.billing.documents import receipt_pdf, statement_pdf, superbill_pdf
from clinic.billing.fees import fee_schedule, price_of_code
from clinic.billing.forms import (
    CREDIT_NOTE_FORM,
    LINE_FORM,
    NEW_INVOICE_FORM,
    PAYMENT_FORM,
    POLICY_FORM,
    POLICY_TERMS_FORM,
    REFUND_FORM,
    VOID_FORM,
)
from clinic.core.errors import Invalid
from clinic.core.forms import Form, check, parse_integer
from clinic.core.money import money_for_input
from clinic.patients import services as patients
from clinic.patients.access import PATIENT_ACCESS, PatientAccess
from clinic.practice.services import practice
from clinic.web import files
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import navigate, render

WRITE = {"permission": "billing.write"}


def _choice_id(form: Form, name: str) -> int | None:
    return parse_integer(form.get(name), minimum=1) if form.get(name) else None


async def ledger_context(request: Request, access: PatientAccess, **forms: Form) -> dict:
    patient_id = access.patient_id
    locale = locale_of(request)
    policies = await queries.policies_of(patient_id)
    rows = await invoices.invoices_of(patient_id)
    open_rows = [row for row in rows if row["kind"] == "invoice" and row["state"] in invoices.OPEN_STATES]
    for policy in policies:
        policy["form"] = Form(values={"copay": money_for_input(policy["copay"], locale),
                                      "coinsurance_percent": str(policy["coinsurance_percent"]),
                                      "deductible": money_for_input(policy["deductible"], locale)})
        if forms.get("terms_form") and forms.get("terms_policy") == policy["id"]:
            policy["form"] = forms["terms_form"]
    visits = await queries.billable_visits(patient_id)
    return {
        "patient": access.patient, "access": access, "balance": await ledger.balance_of(patient_id),
        "entries": await ledger.entries_of(patient_id, limit=100), "invoices": rows,
        "payments": await payments.payments_of(patient_id), "credit": await payments.credit_available(patient_id),
        "policies": policies, "visits": visits,
        "new_form": forms.get("new_form") or Form(values={"policy_id": str(policies[0]["id"]) if policies else ""}),
        "new_spec": NEW_INVOICE_FORM.with_choices("visit_id", [
            (str(v["id"]), f"{v['created_at']:%Y-%m-%d} {v['reason'] or 'Visit'} ({v['provider_name']})")
            for v in visits]).with_choices("policy_id", _policy_choices(policies)),
        "payment_form": forms.get("payment_form") or Form(values={"method": "cash"}),
        "payment_spec": PAYMENT_FORM.with_choices("invoice_id", [
            (str(row["id"]), f"Invoice {row['number']}") for row in open_rows]),
        "refund_form": forms.get("refund_form") or Form(values={"method": "cash"}), "refund_spec": REFUND_FORM,
        "terms_spec": POLICY_TERMS_FORM,
    }


def _policy_choices(policies: list[dict]) -> list[tuple[str, str]]:
    return [(str(p["id"]), f"{p['payer_name']} ({p['priority']})") for p in policies]


async def _invoice_of(access: PatientAccess, invoice_id: int) -> dict:
    try:
        invoice = await invoices.invoice_details(invoice_id)
    except invoices.InvoiceNotFound:
        raise NotFoundException() from None
    if invoice["patient"] != access.patient_id:
        raise NotFoundException()
    return invoice


async def invoice_context(request: Request, access: PatientAccess, invoice_id: int, **forms: Form) -> dict:
    invoice = await _invoice_of(access, invoice_id)
    policies = await queries.policies_of(access.patient_id)
    return {
        "patient": access.patient, "access": access, "invoice": invoice,
        "line_form": forms.get("line_form") or Form(values={"quantity": "1"}), "line_spec": LINE_FORM,
        "fees": await fee_schedule(include_inactive=False),
        "policy_form": Form(values={"policy_id": str(invoice["policy"] or "")}),
        "policy_spec": POLICY_FORM.with_choices("policy_id", _policy_choices(policies)),
        "void_form": forms.get("void_form") or Form(), "void_spec": VOID_FORM,
        "credit_form": forms.get("credit_form") or Form(), "credit_spec": CREDIT_NOTE_FORM,
        "creditable": corrections.creditable(invoice),
        "payment_form": forms.get("payment_form") or Form(values={
            "method": "card", "invoice_id": str(invoice["id"]),
            "amount": money_for_input(max(invoice["patient_open"], 0), locale_of(request))}),
        "payment_spec": PAYMENT_FORM.with_choices("invoice_id", [(str(invoice["id"]), f"Invoice {invoice['number']}")]),
        "credit_available": await payments.credit_available(access.patient_id),
    }


class PatientBillingController(Controller):
    path = "/patients/{patient_id:int}/billing"
    dependencies = PATIENT_ACCESS

    @get(name="billing:ledger", opt={**WRITE, "shows": "billing ledger"})
    async def ledger_screen(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        return render(request, "billing/ledger.html", await ledger_context(request, access))

    @post("/invoices", name="billing:invoice_new", opt=WRITE, status_code=200)
    async def invoice_new(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        form = await read_form(request)
        actor = actor_of(request)
        visit_id, policy_id = _choice_id(form, "visit_id"), _choice_id(form, "policy_id")
        try:
            if visit_id:
                visit = await queries.visit_for_billing(visit_id)
                if visit is None or visit["patient"] != access.patient_id:
                    raise Invalid({"visit_id": "Choose one of this patient's visits."})
                invoice_id = await invoices.invoice_from_visit(visit_id, actor)
            else:
                invoice_id = await invoices.create_invoice(access.patient_id, actor, policy_id=policy_id)
        except Invalid as invalid:
            form.errors = invalid.errors
            return render(request, "billing/ledger.html", await ledger_context(request, access, new_form=form),
                          block="new_invoice", status_code=422)
        return navigate(request, request.app.route_reverse("billing:invoice", patient_id=access.patient_id,
                                                           invoice_id=invoice_id), notice="Draft invoice created.")

    @post("/payments", name="billing:payment_add", opt=WRITE, status_code=200)
    async def payment_add(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        form = await read_form(request)
        payment_id = await _record_payment(request, access, form)
        if payment_id is None:
            back = form.values.pop("_from_invoice", "")
            invoice_id = parse_integer(back, minimum=1) if back else None
            if invoice_id:
                return render(request, "billing/invoice.html", await invoice_context(
                    request, access, invoice_id, payment_form=form), block="invoice_actions", status_code=422)
            return render(request, "billing/ledger.html", await ledger_context(request, access, payment_form=form),
                          block="payment_forms", status_code=422)
        return navigate(request, request.app.route_reverse("billing:receipt", patient_id=access.patient_id,
                                                           payment_id=payment_id), notice="Payment recorded.")

    @post("/refunds", name="billing:refund", opt=WRITE, status_code=200)
    async def refund(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        form = await read_form(request)
        _, form.errors = check(REFUND_FORM, form.values)
        amount = read_amounts(form, ("amount",), locale_of(request), required=("amount",))["amount"]
        if not form.errors:
            try:
                await payments.refund(access.patient_id, amount, form.get("method"), form.get("reason"),
                                      actor_of(request))
            except Invalid as invalid:
                form.errors = invalid.errors
        if form.errors:
            return render(request, "billing/ledger.html", await ledger_context(request, access, refund_form=form),
                          block="payment_forms", status_code=422)
        return navigate(request, _ledger_url(request, access), notice="Refund recorded.")

    @post("/credit/apply", name="billing:credit_apply", opt=WRITE, status_code=200)
    async def credit_apply(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        form = await read_form(request)
        invoice_id = _choice_id(form, "invoice_id")
        try:
            await payments.apply_credit(access.patient_id, actor_of(request), invoice_id=invoice_id)
        except Invalid as invalid:
            return navigate(request, _ledger_url(request, access), notice=next(iter(invalid.errors.values())))
        if invoice_id:
            return navigate(request, _invoice_url(request, access, invoice_id), notice="Credit applied.")
        return navigate(request, _ledger_url(request, access), notice="Credit applied.")

    @post("/policies/{policy_id:int}", name="billing:policy_terms", opt=WRITE, status_code=200)
    async def policy_terms(self, request: Request, access: NamedDependency[PatientAccess],
                           policy_id: FromPath[int]) -> Response:
        form = await read_form(request)
        clean, form.errors = check(POLICY_TERMS_FORM, form.values)
        amounts = read_amounts(form, ("copay", "deductible"), locale_of(request))
        if not form.errors:
            try:
                await patients.set_policy_terms(access.patient_id, policy_id, copay=amounts["copay"],
                                                coinsurance_percent=clean["coinsurance_percent"] or 0,
                                                deductible=amounts["deductible"], actor=actor_of(request))
            except patients.PatientNotFound:
                raise NotFoundException() from None
            except Invalid as invalid:
                form.errors = invalid.errors
        if form.errors:
            return render(request, "billing/ledger.html", await ledger_context(
                request, access, terms_form=form, terms_policy=policy_id), block="policy_terms", status_code=422)
        return render(request, "billing/ledger.html", await ledger_context(request, access), block="policy_terms",
                      notice="Policy terms saved.")

    @get("/statement", name="billing:statement", opt={**WRITE, "shows": "statement"})
    async def statement(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        return render(request, "billing/statement.html", await statement_context(request, access))

    @get("/statement.pdf", name="billing:statement_pdf", opt={**WRITE, "shows": "statement PDF"})
    async def statement_download(self, request: Request, access: NamedDependency[PatientAccess]) -> Response:
        context = await statement_context(request, access)
        return _pdf(await statement_pdf(context, locale_of(request)), f"statement-{access.patient['mrn']}.pdf")

    # -- one invoice --------------------------------------------------------------------

    @get("/invoices/{invoice_id:int}", name="billing:invoice", opt={**WRITE, "shows": "invoice"})
    async def invoice(self, request: Request, access: NamedDependency[PatientAccess],
                      invoice_id: FromPath[int]) -> Response:
        return render(request, "billing/invoice.html", await invoice_context(request, access, invoice_id))

    @post("/invoices/{invoice_id:int}/lines", name="billing:line_add", opt=WRITE, status_code=200)
    async def line_add(self, request: Request, access: NamedDependency[PatientAccess],
                       invoice_id: FromPath[int]) -> Response:
        invoice = await _invoice_of(access, invoice_id)
        form = await read_form(request)
        clean, form.errors = check(LINE_FORM, form.values)
        amounts = read_amounts(form, ("unit_price", "discount"), locale_of(request))
        code = " ".join(form.get("code").split()).upper()
        description = form.get("description")
        if not form.errors:
            if code and (not form.get("unit_price") or not description):
                known = {row["code"]: row for row in await fee_schedule(include_inactive=False)}.get(code)
                if known is None and not form.get("unit_price"):
                    form.errors["unit_price"] = "Enter the price: this code is not in the fee schedule."
                elif known is not None:
                    payer = next((row["payer_name"] for row in await queries.policies_of(access.patient_id)
                                  if row["id"] == invoice["policy"]), "")
                    amounts["unit_price"] = amounts["unit_price"] or await price_of_code(code, payer) or 0
                    description = description or known["description"]
            if not form.errors:
                try:
                    await invoices.add_line(invoice_id, invoices.LineInput(
                        code=code, description=description, quantity=clean["quantity"],
                        unit_price=amounts["unit_price"], discount=amounts["discount"]), actor_of(request))
                except Invalid as invalid:
                    form.errors = invalid.errors
        if form.errors:
            return render(request, "billing/invoice.html", await invoice_context(request, access, invoice_id,
                                                                                 line_form=form),
                          block="invoice_lines", status_code=422)
        return render(request, "billing/invoice.html", await invoice_context(request, access, invoice_id),
                      block="invoice_lines", notice="Line added.")

    @post("/invoices/{invoice_id:int}/lines/{line_id:int}/remove", name="billing:line_remove", opt=WRITE,
          status_code=200)
    async def line_remove(self, request: Request, access: NamedDependency[PatientAccess], invoice_id: FromPath[int],
                          line_id: FromPath[int]) -> Response:
        await _invoice_of(access, invoice_id)
        try:
            await invoices.remove_line(invoice_id, line_id, actor_of(request))
        except Invalid as invalid:
            return render(request, "billing/invoice.html", await invoice_context(request, access, invoice_id),
                          block="invoice_lines", status_code=409, error=next(iter(invalid.errors.values())))
        return render(request, "billing/invoice.html", await invoice_context(request, access, invoice_id),
                      block="invoice_lines", notice="Line removed.")

    @post("/invoices/{invoice_id:int}/policy", name="billing:invoice_policy", opt=WRITE, status_code=200)
    async def invoice_policy(self, request: Request, access: NamedDependency[PatientAccess],
                             invoice_id: FromPath[int]) -> Response:
        await _invoice_of(access, invoice_id)
        form = await read_form(request)
        return await _act(request, access, invoice_id, lambda actor: invoices.set_policy(
            invoice_id, _choice_id(form, "policy_id"), actor), "Insurance changed.")

    @post("/invoices/{invoice_id:int}/issue", name="billing:invoice_issue", opt=WRITE, status_code=200)
    async def invoice_issue(self, request: Request, access: NamedDependency[PatientAccess],
                            invoice_id: FromPath[int]) -> Response:
        await _invoice_of(access, invoice_id)
        return await _act(request, access, invoice_id, lambda actor: invoices.issue_invoice(invoice_id, actor),
                          "Invoice issued.")

    @post("/invoices/{invoice_id:int}/void", name="billing:invoice_void", opt=WRITE, status_code=200)
    async def invoice_void(self, request: Request, access: NamedDependency[PatientAccess],
                           invoice_id: FromPath[int]) -> Response:
        await _invoice_of(access, invoice_id)
        form = await read_form(request)
        return await _act(request, access, invoice_id, lambda actor: invoices.void_invoice(
            invoice_id, form.get("reason"), actor), "Invoice voided.", form_name="void_form", form=form)

    @post("/invoices/{invoice_id:int}/credit-note", name="billing:credit_note", opt=WRITE, status_code=200)
    async def credit_note(self, request: Request, access: NamedDependency[PatientAccess],
                          invoice_id: FromPath[int]) -> Response:
        await _invoice_of(access, invoice_id)
        form = await read_form(request)
        _, form.errors = check(CREDIT_NOTE_FORM, form.values)
        amount = read_amounts(form, ("amount",), locale_of(request), required=("amount",))["amount"]
        if form.errors:
            return render(request, "billing/invoice.html", await invoice_context(
                request, access, invoice_id, credit_form=form), block="invoice_actions", status_code=422)
        return await _act(request, access, invoice_id, lambda actor: corrections.issue_credit_note(
            invoice_id, amount, form.get("reason"), actor), "Credit note issued.", form_name="credit_form", form=form)

    @get("/invoices/{invoice_id:int}/superbill", name="billing:superbill", opt={**WRITE, "shows": "superbill"})
    async def superbill(self, request: Request, access: NamedDependency[PatientAccess],
                        invoice_id: FromPath[int]) -> Response:
        return render(request, "billing/superbill.html", await superbill_context(request, access, invoice_id))

    @get("/invoices/{invoice_id:int}/superbill.pdf", name="billing:superbill_pdf",
         opt={**WRITE, "shows": "superbill PDF"})
    async def superbill_download(self, request: Request, access: NamedDependency[PatientAccess],
                                 invoice_id: FromPath[int]) -> Response:
        context = await superbill_context(request, access, invoice_id)
        return _pdf(await superbill_pdf(context, locale_of(request)), f"superbill-{context['invoice']['number']}.pdf")

    @get("/payments/{payment_id:int}/receipt", name="billing:receipt", opt={**WRITE, "shows": "receipt"})
    async def receipt(self, request: Request, access: NamedDependency[PatientAccess],
                      payment_id: FromPath[int]) -> Response:
        return render(request, "billing/receipt.html", await receipt_context(request, access, payment_id))

    @get("/payments/{payment_id:int}/receipt.pdf", name="billing:receipt_pdf", opt={**WRITE, "shows": "receipt PDF"})
    async def receipt_download(self, request: Request, access: NamedDependency[PatientAccess],
                               payment_id: FromPath[int]) -> Response:
        context = await receipt_context(request, access, payment_id)
        return _pdf(await receipt_pdf(context, locale_of(request)), f"receipt-{context['payment']['receipt_number']}.pdf")


async def _record_payment(request: Request, access: PatientAccess, form: Form) -> int | None:
    _, form.errors = check(PAYMENT_FORM.with_field("invoice_id", choices=()), {
        **form.values, "invoice_id": ""})
    amount = read_amounts(form, ("amount",), locale_of(request), required=("amount",))["amount"]
    if form.errors:
        return None
    invoice_id = _choice_id(form, "invoice_id")
    if invoice_id:
        await _invoice_of(access, invoice_id)
    try:
        return await payments.record_payment(access.patient_id, amount, form.get("method"), actor_of(request),
                                             invoice_id=invoice_id, reference=form.get("reference"))
    except Invalid as invalid:
        form.errors = invalid.errors
        return None


async def _act(request: Request, access: PatientAccess, invoice_id: int, change, notice: str, *,
               form_name: str = "", form: Form | None = None) -> Response:
    try:
        await change(actor_of(request))
    except Invalid as invalid:
        forms = {}
        if form_name and form is not None:
            form.errors = invalid.errors
            forms[form_name] = form
        error = "" if form_name and set(invalid.errors) - {"_"} else " ".join(invalid.errors.values())
        return render(request, "billing/invoice.html", await invoice_context(request, access, invoice_id, **forms),
                      block="invoice_actions", status_code=422, error=error)
    return navigate(request, _invoice_url(request, access, invoice_id), notice=notice)


def _ledger_url(request: Request, access: PatientAccess) -> str:
    return request.app.route_reverse("billing:ledger", patient_id=access.patient_id)


def _invoice_url(request: Request, access: PatientAccess, invoice_id: int) -> str:
    return request.app.route_reverse("billing:invoice", patient_id=access.patient_id, invoice_id=invoice_id)


def _pdf(content: bytes, filename: str) -> Response:
    return files.pdf_view(content, filename)


async def clinic_of(request: Request):
    return await practice(defaults=request.app.state.practice_defaults)


async def superbill_context(request: Request, access: PatientAccess, invoice_id: int) -> dict:
    invoice = await _invoice_of(access, invoice_id)
    if invoice["kind"] != "invoice":
        raise NotFoundException()
    visit = await queries.visit_for_billing(invoice["visit"]) if invoice["visit"] else None
    return {"patient": access.patient, "invoice": invoice, "visit": visit, "clinic": await clinic_of(request)}


async def statement_context(request: Request, access: PatientAccess) -> dict:
    rows = await invoices.invoices_of(access.patient_id)
    open_rows = [row for row in rows if row["kind"] == "invoice" and row["state"] in invoices.OPEN_STATES]
    return {"patient": access.patient, "clinic": await clinic_of(request), "open_invoices": list(reversed(open_rows)),
            "balance": await ledger.balance_of(access.patient_id),
            "credit": await payments.credit_available(access.patient_id)}


async def receipt_context(request: Request, access: PatientAccess, payment_id: int) -> dict:
    try:
        payment = await payments.get_payment(payment_id)
    except payments.PaymentNotFound:
        raise NotFoundException() from None
    if payment["patient"] != access.patient_id:
        raise NotFoundException()
    return {"patient": access.patient, "payment": payment, "clinic": await clinic_of(request)}
