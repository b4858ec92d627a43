"""The billing user's screens that are not one patient's: the invoices list (their home) and the
fee schedule with the clinic's missed-appointment fees."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from clinic.billing import fees, queries
from clinic.billing.forms import FEE_EDIT_FORM, FEE_FORM, PAYER_PRICE_FORM, SETTINGS_FORM, STATE_FILTER
from clinic.billing.invoices import OPEN_STATES, STATES, _with_amounts
from clinic.billing.tables import Invoice
from clinic.claims import fee_prices, payers
from clinic.core.errors import Invalid
from clinic.core.forms import Form, check, parse_integer
from clinic.core.locale import Locale
from clinic.core.money import MoneyError, money_for_input, parse_money
from clinic.core.paging import Page, page_bounds, page_number
from clinic.patients.access import shown_patients
from clinic.web.actors import actor_of
from clinic.web.context import locale_of
from clinic.web.forms import read_form
from clinic.web.pages import render

WRITE = {"permission": "billing.write"}
PAGE_SIZE = 25


def read_amounts(form: Form, names: tuple[str, ...], locale: Locale, *, required: tuple[str, ...] = ()) -> dict:
    """Amounts typed as the clinic writes money, in minor units (empty optional ones are 0);
    problems go into ``form.errors``."""
    values = {}
    for name in names:
        text = form.get(name)
        if not text and name not in required:
            values[name] = 0
            continue
        try:
            values[name] = parse_money(text, locale)
        except MoneyError as problem:
            form.errors.setdefault(name, str(problem))
            values[name] = None
    return values


async def invoice_page(state: str, number: str, page: int) -> Page:
    condition = Invoice.kind == "invoice"
    if state == "open":
        condition &= Invoice.state.is_in(list(OPEN_STATES))
    elif state in STATES:
        condition &= Invoice.state == state
    wanted = parse_integer(number, minimum=1) if number else None
    if number:
        condition &= Invoice.number == (wanted or -1)
    total = await Invoice.count().where(condition)
    number_shown, pages, offset = page_bounds(page, total, PAGE_SIZE)
    rows = await Invoice.select().where(condition).order_by(Invoice.number, ascending=False).limit(
        PAGE_SIZE).offset(offset)
    names = await queries.patient_names({row["patient"] for row in rows})
    for row in rows:
        _with_amounts(row)
        row["patient_name"] = names.get(row["patient"], "")
    return Page(rows=rows, number=number_shown, pages=pages, total=total)


class BillingController(Controller):
    path = "/billing"

    @get(name="billing:invoices", opt={**WRITE, "shows": "invoices list"})
    async def invoices(self, request: Request) -> Response:
        state = request.query_params.get("state", "open")
        state = state if state in dict(STATE_FILTER) or state == "all" else "open"
        number = (request.query_params.get("number") or "").strip()[:12]
        page = await invoice_page(state, number, page_number(request.query_params.get("page")))
        await shown_patients(request, [row["patient"] for row in page.rows], "invoices list")
        return render(request, "billing/invoices.html", {
            "page": page, "state": state, "number": number, "states": STATE_FILTER,
        }, block="invoice_rows")

    @get("/fees", name="billing:fees", opt=WRITE)
    async def fee_schedule(self, request: Request) -> Response:
        return render(request, "billing/fees.html", await fees_context(request))

    @post("/fees", name="billing:fee_add", opt=WRITE, status_code=200)
    async def fee_add(self, request: Request) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        _, form.errors = check(FEE_FORM, form.values)
        price = read_amounts(form, ("price",), locale, required=("price",))["price"]
        if not form.errors:
            try:
                await fees.add_fee(form.get("code"), form.get("description"), price, actor_of(request))
            except Invalid as invalid:
                form.errors = invalid.errors
        if form.errors:
            return render(request, "billing/fees.html", await fees_context(request, add_form=form),
                          block="fee_list", status_code=422)
        return render(request, "billing/fees.html", await fees_context(request), block="fee_list",
                      notice="Fee added.")

    @post("/fees/{fee_id:int}", name="billing:fee_update", opt=WRITE, status_code=200)
    async def fee_update(self, request: Request, fee_id: FromPath[int]) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        try:
            row = await fees.get_fee(fee_id)
        except fees.FeeNotFound:
            raise NotFoundException() from None
        clean, form.errors = check(FEE_EDIT_FORM, form.values)
        price = read_amounts(form, ("price",), locale, required=("price",))["price"]
        version = parse_integer(form.get("version"), minimum=1) or -1
        if not form.errors:
            try:
                await fees.update_fee(fee_id, form.get("description"), price, clean["active"], version,
                                      actor_of(request))
            except Invalid as invalid:
                form.errors = invalid.errors
            except fees.EditConflict:
                form.errors = {"_": "Someone changed this fee meanwhile. Check it and save again."}
        if form.errors:
            return render(request, "billing/fees.html", await fees_context(
                request, edit={"id": fee_id, "code": row["code"], "form": form}), block="fee_list", status_code=422)
        return render(request, "billing/fees.html", await fees_context(request), block="fee_list",
                      notice="Fee saved.")

    @post("/fees/{fee_id:int}/payer-prices", name="billing:fee_payer_price", opt=WRITE, status_code=200)
    async def fee_payer_price(self, request: Request, fee_id: FromPath[int]) -> Response:
        form = await read_form(request)
        try:
            row = await fees.get_fee(fee_id)
        except fees.FeeNotFound:
            raise NotFoundException() from None
        choices = await payer_choices()
        _, form.errors = check(PAYER_PRICE_FORM.with_choices("payer_id", choices), form.values)
        price = read_amounts(form, ("payer_price",), locale_of(request))["payer_price"]
        done = ""
        if not form.errors:
            try:
                done = await fee_prices.set_payer_price(fee_id, parse_integer(form.get("payer_id"), minimum=1),
                                                        price if form.get("payer_price") else None,
                                                        actor_of(request))
            except Invalid as invalid:
                form.errors = invalid.errors
        if form.errors:
            return render(request, "billing/fees.html", await fees_context(
                request, price_edit={"id": fee_id, "code": row["code"], "form": form}), block="fee_list",
                status_code=422)
        notice = {"set": "Payer price saved.", "removed": "Payer price removed: the clinic's price applies.",
                  "unchanged": "Nothing to change."}[done]
        return render(request, "billing/fees.html", await fees_context(request), block="fee_list", notice=notice)

    @post("/settings", name="billing:settings_save", opt=WRITE, status_code=200)
    async def settings_save(self, request: Request) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        clean, form.errors = check(SETTINGS_FORM, form.values)
        amounts = read_amounts(form, ("no_show_fee", "late_cancel_fee"), locale)
        version = parse_integer(form.get("version"), minimum=0)
        if not form.errors:
            try:
                await fees.save_billing_settings({**clean, **amounts}, -1 if version is None else version,
                                                 actor_of(request))
            except Invalid as invalid:
                form.errors = invalid.errors
            except fees.EditConflict:
                form.errors = {"_": "Someone changed these settings meanwhile. Check them and save again."}
        if form.errors:
            return render(request, "billing/fees.html", await fees_context(request, settings_form=form),
                          block="billing_settings", status_code=422)
        return render(request, "billing/fees.html", await fees_context(request), block="billing_settings",
                      notice="Billing settings saved.")


async def payer_choices() -> list[tuple[str, str]]:
    return [(str(row["id"]), row["name"]) for row in await payers.list_payers(active_only=True)]


async def fees_context(request: Request, *, add_form: Form | None = None, settings_form: Form | None = None,
                       edit: dict | None = None, price_edit: dict | None = None) -> dict:
    locale = locale_of(request)
    rows = await fees.fee_schedule()
    payer_prices = await fee_prices.prices_by_fee()
    for row in rows:
        row["payer_prices"] = payer_prices.get(row["id"], [])
        row["price_form"] = price_edit["form"] if price_edit and price_edit["id"] == row["id"] else Form()
        row["form"] = Form(values={"description": row["description"], "price": money_for_input(row["price"], locale),
                                   "active": "1" if row["active"] else "", "version": str(row["version"])})
        if edit and edit["id"] == row["id"]:
            row["form"] = edit["form"]
    if settings_form is None:
        current = await fees.billing_settings()
        settings_form = Form(values={
            "no_show_fee_enabled": "1" if current["no_show_fee_enabled"] else "",
            "no_show_fee": money_for_input(current["no_show_fee"], locale) if current["no_show_fee"] else "",
            "late_cancel_fee_enabled": "1" if current["late_cancel_fee_enabled"] else "",
            "late_cancel_fee": money_for_input(current["late_cancel_fee"], locale) if current["late_cancel_fee"] else "",
            "late_cancel_hours": str(current["late_cancel_hours"]), "version": str(current["version"])})
    return {"fees": rows, "add_form": add_form or Form(), "fee_form": FEE_FORM, "edit_form": FEE_EDIT_FORM,
            "price_spec": PAYER_PRICE_FORM.with_choices("payer_id", await payer_choices()),
            "settings_form": settings_form, "settings_spec": SETTINGS_FORM}
