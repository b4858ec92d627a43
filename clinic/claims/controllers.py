"""The biller's claims screens: the work queue (with batch export and 835 import), one claim, and payers."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from clinic.audit.services import record
from clinic.claims import export, payers, queries, remittance, services
from clinic.claims.forms import NEW_CLAIM_FORM, PAYER_EDIT_FORM, PAYER_FORM, REMITTANCE_FORM, SETTINGS_FORM, STATE_FORM
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.forms import Form, check, parse_integer
from clinic.patients.access import shown_patients
from clinic.web.actors import actor_of
from clinic.web.forms import read_form
from clinic.web.pages import navigate, render

WRITE = {"permission": "billing.write"}


async def queue_context(request: Request, *, new_form: Form | None = None, remit_form: Form | None = None,
                        result: dict | None = None) -> dict:
    settings = await payers.claim_settings()
    queue = await services.work_queue(settings["waiting_days"], clock.now())
    invoices = await services.claimable_invoices()
    patients = [row["patient"] for rows in queue.values() for row in rows] + [row["patient"] for row in invoices]
    await shown_patients(request, patients, "claims queue")
    spec = NEW_CLAIM_FORM.with_choices("invoice_id", [
        (str(row["id"]), f"Invoice {row['number']}: {row['patient_name']}") for row in invoices])
    return {"queue": queue, "queue_limit": services.QUEUE_LIMIT, "waiting_days": settings["waiting_days"],
            "new_spec": spec,
            "new_form": new_form or Form(), "remit_spec": REMITTANCE_FORM, "remit_form": remit_form or Form(),
            "batches": await export.recent_batches(), "remittances": await remittance.recent_remittances(),
            "exceptions": await remittance.open_exceptions(), "result": result,
            "missing": payers.missing_identifiers(settings)}


class ClaimsController(Controller):
    path = "/claims"

    @get(name="claims:queue", opt={**WRITE, "shows": "claims queue"})
    async def queue(self, request: Request) -> Response:
        return render(request, "claims/queue.html", await queue_context(request))

    @post("/new", name="claims:create", opt=WRITE, status_code=200)
    async def create(self, request: Request) -> Response:
        form = await read_form(request)
        # The choices are the invoices shown on the page; the service decides whether this one may be claimed.
        _, form.errors = check(NEW_CLAIM_FORM.with_field("invoice_id", kind="text", max_length=12), form.values)
        invoice_id = parse_integer(form.get("invoice_id"), minimum=1)
        if not form.errors:
            try:
                claim_id = await services.create_claim(invoice_id or -1, actor_of(request))
            except Invalid as invalid:
                form.errors = {"invoice_id": " ".join(invalid.errors.values())}
            else:
                return navigate(request, request.url_for("claims:claim", claim_id=claim_id), notice="Claim created.")
        return render(request, "claims/queue.html", await queue_context(request, new_form=form), block="new_claim",
                      status_code=422)

    @post("/batches", name="claims:export", opt=WRITE, status_code=200)
    async def export_ready(self, request: Request) -> Response:
        try:
            batch_id = await export.export_batch(actor_of(request))
        except Invalid as invalid:
            return render(request, "claims/queue.html", await queue_context(request), status_code=422,
                          error=next(iter(invalid.errors.values())))
        batch = await export.get_batch(batch_id)
        return navigate(request, request.url_for("claims:queue"),
                        notice=f"Batch {batch['control_number']} made: {batch['claim_count']} claims submitted.")

    @get("/batches/{batch_id:int}/837", name="claims:batch_837", opt=WRITE)
    async def batch_837(self, request: Request, batch_id: FromPath[int]) -> Response:
        batch = await export.get_batch(batch_id)
        if batch is None:
            raise NotFoundException()
        await record("claims.batch_download", actor_of(request), entity_type="claim_batch", entity_id=batch_id,
                     detail="837P")
        return Response(batch["content"], media_type="application/edi-x12", headers={
            "Content-Disposition": f'attachment; filename="claims-{batch["control_number"]}.x12"',
            "Cache-Control": "no-store"})

    @get("/batches/{batch_id:int}/csv", name="claims:batch_csv", opt=WRITE)
    async def batch_csv(self, request: Request, batch_id: FromPath[int]) -> Response:
        batch = await export.get_batch(batch_id)
        if batch is None:
            raise NotFoundException()
        await record("claims.batch_download", actor_of(request), entity_type="claim_batch", entity_id=batch_id,
                     detail="CSV")
        return Response(export.batch_csv(await export.batch_rows(batch_id)), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="claims-{batch["control_number"]}.csv"',
            "Cache-Control": "no-store"})

    @post("/remittances", name="claims:remittance_import", opt=WRITE, status_code=200)
    async def import_remittance(self, request: Request) -> Response:
        form = await read_form(request)
        _, form.errors = check(REMITTANCE_FORM, form.values)
        result = None
        if not form.errors:
            try:
                result = await remittance.import_835(form.get("file"), actor_of(request))
            except Invalid as invalid:
                form.errors = {("file" if key == "_" else key): value for key, value in invalid.errors.items()}
        if form.errors:
            return render(request, "claims/queue.html", await queue_context(request, remit_form=form),
                          block="remittance_import", status_code=422)
        return render(request, "claims/queue.html", await queue_context(request, result=result),
                      block="remittance_import", notice=f"Remittance imported: {result['posted']} lines posted, {result['exceptions']} "
                             f"exceptions, {len(result['warnings'])} warnings.")

    @post("/exceptions/{exception_id:int}", name="claims:exception_resolve", opt=WRITE, status_code=200)
    async def resolve(self, request: Request, exception_id: FromPath[int]) -> Response:
        try:
            await remittance.resolve_exception(exception_id, actor_of(request))
        except Invalid:
            raise NotFoundException() from None
        return navigate(request, request.url_for("claims:queue"), notice="Exception marked resolved.")

    @get("/{claim_id:int}", name="claims:claim", opt={**WRITE, "shows": "claim"})
    async def claim(self, request: Request, claim_id: FromPath[int]) -> Response:
        return render(request, "claims/claim.html", await claim_context(request, claim_id))

    @post("/{claim_id:int}/state", name="claims:change_state", opt=WRITE, status_code=200)
    async def change_state(self, request: Request, claim_id: FromPath[int]) -> Response:
        form = await read_form(request)
        claim = await load_claim(claim_id)
        spec = STATE_FORM.with_choices("to_state", claim["next_states"])
        _, form.errors = check(spec, form.values)
        if not form.errors:
            try:
                if form.get("to_state") == "corrected":
                    new_id = await services.correct_and_resubmit(claim_id, actor_of(request), note=form.get("note"))
                    return navigate(request, request.url_for("claims:claim", claim_id=new_id),
                                    notice="Corrected claim created as a draft.")
                await services.change_state(claim_id, form.get("to_state"), actor_of(request),
                                            codes=form.get("codes"), note=form.get("note"))
            except Invalid as invalid:
                form.errors = invalid.errors
        if form.errors:
            return render(request, "claims/claim.html", await claim_context(request, claim_id, form=form),
                          block="claim_state", status_code=422)
        return render(request, "claims/claim.html", await claim_context(request, claim_id), block="claim_state",
                      notice="Claim updated.")

    @post("/{claim_id:int}/attention", name="claims:clear_attention", opt=WRITE, status_code=200)
    async def clear_attention(self, request: Request, claim_id: FromPath[int]) -> Response:
        await load_claim(claim_id)
        await services.clear_attention(claim_id, actor_of(request))
        return navigate(request, request.url_for("claims:claim", claim_id=claim_id), notice="Flag cleared.")

    @post("/{claim_id:int}/secondary", name="claims:secondary", opt=WRITE, status_code=200)
    async def secondary(self, request: Request, claim_id: FromPath[int]) -> Response:
        await load_claim(claim_id)
        try:
            new_id = await services.create_secondary_claim(claim_id, actor_of(request))
        except Invalid as invalid:
            return render(request, "claims/claim.html", await claim_context(request, claim_id), status_code=422,
                          error=next(iter(invalid.errors.values())))
        return navigate(request, request.url_for("claims:claim", claim_id=new_id),
                        notice="Secondary claim created as a draft.")

    @get("/payers", name="claims:payers", opt=WRITE)
    async def payer_list(self, request: Request) -> Response:
        return render(request, "claims/payers.html", await payers_context())

    @post("/payers", name="claims:payer_add", opt=WRITE, status_code=200)
    async def payer_add(self, request: Request) -> Response:
        form = await read_form(request)
        _, form.errors = check(PAYER_FORM, form.values)
        if not form.errors:
            try:
                await payers.add_payer(form.values, actor_of(request))
            except Invalid as invalid:
                form.errors = invalid.errors
        if form.errors:
            return render(request, "claims/payers.html", await payers_context(add_form=form), block="payer_list",
                          status_code=422)
        return render(request, "claims/payers.html", await payers_context(), block="payer_list", notice="Payer added.")

    @post("/payers/{payer_id:int}", name="claims:payer_update", opt=WRITE, status_code=200)
    async def payer_update(self, request: Request, payer_id: FromPath[int]) -> Response:
        form = await read_form(request)
        try:
            await payers.get_payer(payer_id)
        except payers.PayerNotFound:
            raise NotFoundException() from None
        clean, form.errors = check(PAYER_EDIT_FORM, form.values)
        version = parse_integer(form.get("version"), minimum=1) or -1
        if not form.errors:
            try:
                await payers.update_payer(payer_id, clean, version, actor_of(request))
            except Invalid as invalid:
                form.errors = invalid.errors
            except payers.EditConflict:
                form.errors = {"_": "Someone changed this payer meanwhile. Check it and save again."}
        if form.errors:
            return render(request, "claims/payers.html", await payers_context(edit={"id": payer_id, "form": form}),
                          block="payer_list", status_code=422)
        return render(request, "claims/payers.html", await payers_context(), block="payer_list", notice="Payer saved.")

    @post("/settings", name="claims:settings_save", opt=WRITE, status_code=200)
    async def settings_save(self, request: Request) -> Response:
        form = await read_form(request)
        clean, form.errors = check(SETTINGS_FORM, form.values)
        version = parse_integer(form.get("version"), minimum=0)
        if not form.errors:
            try:
                await payers.save_claim_settings(clean, -1 if version is None else version, actor_of(request))
            except Invalid as invalid:
                form.errors = invalid.errors
            except payers.EditConflict:
                form.errors = {"_": "Someone changed these settings meanwhile. Check them and save again."}
        if form.errors:
            return render(request, "claims/payers.html", await payers_context(settings_form=form),
                          block="claim_settings", status_code=422)
        return render(request, "claims/payers.html", await payers_context(), block="claim_settings",
                      notice="Claim settings saved.")


async def load_claim(claim_id: int) -> dict:
    try:
        return await services.get_claim(claim_id)
    except services.ClaimNotFound:
        raise NotFoundException() from None


async def claim_context(request: Request, claim_id: int, *, form: Form | None = None) -> dict:
    claim = await load_claim(claim_id)
    await shown_patients(request, [claim["patient"]], "claim")
    claim["patient_name"] = (await queries.patient_names({claim["patient"]})).get(claim["patient"], "")
    claim["payer_row"] = await payers.get_payer(claim["payer"])
    names = await queries.staff_names({event["staff"] for event in claim["events"]})
    for event in claim["events"]:
        event["staff_name"] = names.get(event["staff"], "")
        event["to_label"] = services.STATES.get(event["to_state"], event["to_state"])
    claim["secondary_policy"] = None
    if claim["state"] in services.ADJUDICATED and not claim["primary_claim"]:
        claim["secondary_policy"] = await services.secondary_policy_for(claim)
    return {"claim": claim, "state_form": form or Form(),
            "state_spec": STATE_FORM.with_choices("to_state", claim["next_states"])}


async def payers_context(*, add_form: Form | None = None, edit: dict | None = None,
                         settings_form: Form | None = None) -> dict:
    rows = await payers.list_payers()
    for row in rows:
        row["form"] = Form(values={key: str(row[key] or "") for key in (
            "name", "payer_code", "address_line1", "city", "region", "postal_code", "claim_format")} | {
            "active": "1" if row["active"] else "", "version": str(row["version"])})
        if edit and edit["id"] == row["id"]:
            row["form"] = edit["form"]
    if settings_form is None:
        current = await payers.claim_settings()
        settings_form = Form(values={key: str(current[key] or "") for key in (
            "billing_npi", "tax_id", "submitter_id", "receiver_id", "receiver_name", "contact_phone")} | {
            "waiting_days": str(current["waiting_days"]), "test_mode": "1" if current["test_mode"] else "",
            "version": str(current["version"])})
    return {"payers": rows, "add_form": add_form or Form(values={"claim_format": "837p"}), "payer_form": PAYER_FORM,
            "edit_form": PAYER_EDIT_FORM, "settings_form": settings_form, "settings_spec": SETTINGS_FORM}
