"""Prices per payer on the fee schedule: what a payer pays for a service where it differs from
the clinic's own price. Invoicing a covered patient's visit uses them (billing's price look-up)."""

from __future__ import annotations

from clinic.audit.services import Actor, record
from clinic.claims.tables import FeePayerPrice, Payer
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.money import MAX_AMOUNT
from clinic.db.transactions import for_update


async def prices_by_fee() -> dict[int, list[dict]]:
    """Each fee's payer prices, payers by name."""
    rows = await FeePayerPrice.select(FeePayerPrice.id, FeePayerPrice.fee, FeePayerPrice.payer,
                                      FeePayerPrice.price, FeePayerPrice.payer.name.as_alias("payer_name"))
    found: dict[int, list[dict]] = {}
    for row in sorted(rows, key=lambda row: row["payer_name"].casefold()):
        found.setdefault(row["fee"], []).append(row)
    return found


async def set_payer_price(fee_id: int, payer_id: int | None, price: int | None, actor: Actor) -> str:
    """The payer's price for this fee (None takes it away: the clinic's price applies again).
    Returns what was done: "set", "removed" or "unchanged"."""
    payer = await Payer.select(Payer.id, Payer.name).where(Payer.id == (payer_id or -1)).first()
    if payer is None:
        raise Invalid({"payer_id": "Choose a payer."})
    if price is not None and not 0 <= price <= MAX_AMOUNT:
        raise Invalid({"payer_price": "Enter a price of zero or more."})
    async with FeePayerPrice._meta.db.transaction():
        current = await for_update(FeePayerPrice.select().where(
            (FeePayerPrice.fee == fee_id) & (FeePayerPrice.payer == payer["id"]))).first()
        if price is None and current is None:
            return "unchanged"
        if price is None:
            await FeePayerPrice.delete().where(FeePayerPrice.id == current["id"])
            done = "removed"
        elif current is None:
            await FeePayerPrice.insert(FeePayerPrice(fee=fee_id, payer=payer["id"], price=price,
                                                     updated_at=clock.now(), updated_by=actor.staff_id))
            done = "set"
        else:
            await FeePayerPrice.update({FeePayerPrice.price: price, FeePayerPrice.version: FeePayerPrice.version + 1,
                                        FeePayerPrice.updated_at: clock.now(),
                                        FeePayerPrice.updated_by: actor.staff_id}).where(
                FeePayerPrice.id == current["id"])
            done = "set"
        await record("billing.fee_payer_price", actor, entity_type="fee_schedule_item", entity_id=fee_id,
                     detail=f"{payer['name']}: {done}")
    return done
