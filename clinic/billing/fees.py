"""The fee schedule (what each service code costs) and the clinic's no-show / late-cancel fees."""

from __future__ import annotations

from clinic.audit.services import Actor, record
from clinic.billing import queries
from clinic.billing.tables import BillingSettings, FeeScheduleItem
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.money import MAX_AMOUNT
from clinic.db.transactions import for_update


class FeeNotFound(LookupError):
    pass


class EditConflict(Exception):
    """Someone changed this since it was opened here."""


def _clean_fee(code: str, description: str, price: int) -> tuple[str, str]:
    errors = {}
    code = "".join((code or "").split()).upper()
    description = " ".join((description or "").split())
    if not code:
        errors["code"] = "Enter the code."
    elif len(code) > 20:
        errors["code"] = "Use at most 20 characters."
    if not description:
        errors["description"] = "Enter the description."
    elif len(description) > 200:
        errors["description"] = "Use at most 200 characters."
    if not 0 <= price <= MAX_AMOUNT:
        errors["price"] = "Enter a price of zero or more."
    if errors:
        raise Invalid(errors)
    return code, description


async def fee_schedule(*, include_inactive: bool = True) -> list[dict]:
    query = FeeScheduleItem.select().order_by(FeeScheduleItem.code)
    if not include_inactive:
        query = query.where(FeeScheduleItem.active == True)  # noqa: E712
    return await query


async def get_fee(fee_id: int) -> dict:
    row = await FeeScheduleItem.select().where(FeeScheduleItem.id == fee_id).first()
    if row is None:
        raise FeeNotFound(fee_id)
    return row


async def price_of_code(code: str, payer_name: str = "") -> int | None:
    """The active price of a service code, or None if the schedule has no such active code. With the
    payer a covered patient's policy names, that payer's own price where the clinic has set one."""
    code = "".join((code or "").split()).upper()
    if not code:
        return None
    row = await FeeScheduleItem.select(FeeScheduleItem.id, FeeScheduleItem.price).where(
        (FeeScheduleItem.code == code) & (FeeScheduleItem.active == True)).first()  # noqa: E712
    if row is None:
        return None
    if payer_name:
        special = await queries.payer_price(row["id"], payer_name)
        if special is not None:
            return special
    return row["price"]


async def add_fee(code: str, description: str, price: int, actor: Actor) -> int:
    code, description = _clean_fee(code, description, price)
    engine = FeeScheduleItem._meta.db
    async with engine.transaction():
        if await FeeScheduleItem.exists().where(FeeScheduleItem.code == code):
            raise Invalid({"code": "This code is already in the fee schedule."})
        rows = await FeeScheduleItem.insert(FeeScheduleItem(code=code, description=description, price=price,
                                                            updated_by=actor.staff_id))
        await record("billing.fee_create", actor, entity_type="fee", entity_id=rows[0]["id"], detail=code)
    return rows[0]["id"]


async def update_fee(fee_id: int, description: str, price: int, active: bool, version: int, actor: Actor) -> None:
    engine = FeeScheduleItem._meta.db
    async with engine.transaction():
        row = await for_update(FeeScheduleItem.select().where(FeeScheduleItem.id == fee_id)).first()
        if row is None:
            raise FeeNotFound(fee_id)
        _, description = _clean_fee(row["code"], description, price)
        if row["version"] != version:
            raise EditConflict()
        await FeeScheduleItem.update({
            FeeScheduleItem.description: description, FeeScheduleItem.price: price, FeeScheduleItem.active: active,
            FeeScheduleItem.version: version + 1, FeeScheduleItem.updated_at: clock.now(),
            FeeScheduleItem.updated_by: actor.staff_id,
        }).where(FeeScheduleItem.id == fee_id)
        await record("billing.fee_update", actor, entity_type="fee", entity_id=fee_id, detail=row["code"])


async def billing_settings() -> dict:
    row = await BillingSettings.select().where(BillingSettings.singleton == 1).first()
    return row or {"no_show_fee_enabled": False, "no_show_fee": 0, "late_cancel_fee_enabled": False,
                   "late_cancel_fee": 0, "late_cancel_hours": 24, "version": 0}


async def save_billing_settings(values: dict, version: int, actor: Actor) -> None:
    """values: no_show_fee_enabled, no_show_fee, late_cancel_fee_enabled, late_cancel_fee, late_cancel_hours."""
    errors = {}
    for name in ("no_show_fee", "late_cancel_fee"):
        if not 0 <= values[name] <= MAX_AMOUNT:
            errors[name] = "Enter a fee of zero or more."
    for switch, fee in (("no_show_fee_enabled", "no_show_fee"), ("late_cancel_fee_enabled", "late_cancel_fee")):
        if values[switch] and not values[fee] and fee not in errors:
            errors[fee] = "Enter the fee to charge, or switch it off."
    if not 1 <= values["late_cancel_hours"] <= 168:
        errors["late_cancel_hours"] = "Enter 1 to 168 hours."
    if errors:
        raise Invalid(errors)
    engine = BillingSettings._meta.db
    async with engine.transaction():
        row = await for_update(BillingSettings.select().where(BillingSettings.singleton == 1)).first()
        if (row["version"] if row else 0) != version:
            raise EditConflict()
        changes = {getattr(BillingSettings, name): values[name] for name in (
            "no_show_fee_enabled", "no_show_fee", "late_cancel_fee_enabled", "late_cancel_fee", "late_cancel_hours")}
        if row is None:
            await BillingSettings.insert(BillingSettings(singleton=1, version=1, updated_by=actor.staff_id,
                                                         **{column._meta.name: value for column, value in changes.items()}))
        else:
            await BillingSettings.update({**changes, BillingSettings.version: version + 1,
                                          BillingSettings.updated_at: clock.now(),
                                          BillingSettings.updated_by: actor.staff_id}).where(
                BillingSettings.singleton == 1)
        await record("billing.settings", actor, entity_type="billing_settings", entity_id=1)
