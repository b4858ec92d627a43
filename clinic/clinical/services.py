"""Recording and changing chart entries, each change audited with the patient id."""

from __future__ import annotations

import datetime as dt

from clinic.audit.services import Actor, record
from clinic.clinical.sections import Section, clean_entry
from clinic.clinical.tables import ChartEntry
from clinic.core.errors import Invalid
from clinic.security import fields
from clinic.staff.tables import Staff

UTC = dt.timezone.utc


class EntryNotFound(LookupError):
    """No such entry for this patient (also when it belongs to another patient)."""


async def staff_names(ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = await Staff.select(Staff.id, Staff.full_name).where(Staff.id.is_in(list(ids)))
    return {row["id"]: row["full_name"] for row in rows}


def _open_notes(table: type[ChartEntry], row: dict) -> dict:
    row["notes"] = fields.cipher().open(table, "notes", row["id"], row["notes"])
    return row


async def entries(section: Section, patient_id: int, *, include_errors: bool = False) -> list[dict]:
    table = section.table
    condition = table.patient == patient_id
    if not include_errors:
        condition &= table.status != "entered_in_error"
    order = getattr(table, section.order_by)
    rows = await table.select().where(condition).order_by(order, ascending=False).order_by(table.id,
                                                                                           ascending=False)
    names = await staff_names({row["recorded_by"] for row in rows} | {row["updated_by"] for row in rows})
    for row in rows:
        _open_notes(table, row)
        row["recorded_by_name"] = names.get(row["recorded_by"], "")
        row["updated_by_name"] = names.get(row["updated_by"], "")
    # Active entries first, then the rest; each group newest first.
    return sorted(rows, key=lambda row: row["status"] != "active")


async def entry(section: Section, patient_id: int, entry_id: int) -> dict:
    table = section.table
    row = await table.select().where((table.id == entry_id) & (table.patient == patient_id)).first()
    if row is None:
        raise EntryNotFound(entry_id)
    return _open_notes(table, row)


async def add_entry(section: Section, patient_id: int, values: dict, actor: Actor, *, date_order: str,
                    today: dt.date) -> int:
    clean = clean_entry(section, values, date_order=date_order, today=today)
    notes = clean.pop("notes", "")
    table = section.table
    engine = table._meta.db
    now = dt.datetime.now(UTC)
    async with engine.transaction():
        rows = await table.insert(table(patient=patient_id, **clean, recorded_at=now, recorded_by=actor.staff_id,
                                        updated_at=now, updated_by=actor.staff_id))
        entry_id = rows[0]["id"]
        if notes:
            await table.update({table.notes: fields.cipher().seal(table, "notes", entry_id, notes)}).where(
                table.id == entry_id)
        await record("clinical.create", actor, entity_type=table._meta.tablename, entity_id=entry_id,
                     patient_id=patient_id)
    return entry_id


async def update_entry(section: Section, patient_id: int, entry_id: int, values: dict, actor: Actor, *,
                       date_order: str, today: dt.date) -> None:
    await entry(section, patient_id, entry_id)  # 404 for another patient's entry
    clean = clean_entry(section, values, date_order=date_order, today=today)
    notes = clean.pop("notes", "")
    table = section.table
    engine = table._meta.db
    async with engine.transaction():
        await table.update({
            **{getattr(table, name): value for name, value in clean.items()},
            table.notes: fields.cipher().seal(table, "notes", entry_id, notes),
            table.updated_at: dt.datetime.now(UTC), table.updated_by: actor.staff_id,
        }).where((table.id == entry_id) & (table.patient == patient_id))
        await record("clinical.update", actor, entity_type=table._meta.tablename, entity_id=entry_id,
                     patient_id=patient_id)


async def set_status(section: Section, patient_id: int, entry_id: int, status: str, actor: Actor) -> None:
    if status not in dict(section.statuses):
        raise Invalid({"status": "Choose one of the listed statuses."})
    await entry(section, patient_id, entry_id)
    table = section.table
    engine = table._meta.db
    async with engine.transaction():
        await table.update({table.status: status, table.updated_at: dt.datetime.now(UTC),
                            table.updated_by: actor.staff_id}).where(
            (table.id == entry_id) & (table.patient == patient_id))
        await record("clinical.status", actor, entity_type=table._meta.tablename, entity_id=entry_id,
                     patient_id=patient_id, detail=status)


async def active_allergies(patient_id: int) -> list[dict]:
    from clinic.clinical.tables import Allergy

    return await Allergy.select(Allergy.substance, Allergy.severity, Allergy.reaction).where(
        (Allergy.patient == patient_id) & (Allergy.status == "active")).order_by(Allergy.substance)
