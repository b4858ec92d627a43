"""Recording and changing chart entries, each change audited with the patient id."""

from __future__ import annotations

import datetime as dt
from typing import Awaitable, Callable

from clinic.audit.services import Actor, record
from clinic.clinical.sections import SECTIONS, Section, clean_entry, same_thing
from clinic.clinical.tables import Allergy, AllergyReview, ChartEntry, Medication
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.forms import Reading
from clinic.db.errors import IntegrityViolation
from clinic.security import fields
from clinic.security.tables import Staff

UTC = dt.timezone.utc


class EntryNotFound(LookupError):
    """No such entry for this patient (also when it belongs to another patient)."""


class PossibleDuplicateEntry(Exception):
    """The patient already has an active entry naming the same thing."""

    def __init__(self, existing: dict):
        super().__init__("possible duplicate")
        self.existing = existing


async def staff_names(ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = await Staff.select(Staff.id, Staff.full_name).where(Staff.id.is_in(list(ids)))
    return {row["id"]: row["full_name"] for row in rows}


def _open_notes(table: type[ChartEntry], row: dict) -> dict:
    row["notes"] = fields.cipher().open(table, "notes", row["id"], row["notes"])
    return row


async def _rows(section: Section, patient_id: int) -> list[dict]:
    table = section.table
    order = getattr(table, section.order_by)
    rows = await table.select().where(table.patient == patient_id).order_by(order, ascending=False).order_by(
        table.id, ascending=False)
    for row in rows:
        _open_notes(table, row)
    # Active entries first, then the rest; each group newest first.
    return sorted(rows, key=lambda row: row["status"] != "active")


async def _name_authors(rows: list[dict]) -> None:
    names = await staff_names({row["recorded_by"] for row in rows} | {row["updated_by"] for row in rows})
    for row in rows:
        row["recorded_by_name"] = names.get(row["recorded_by"], "")
        row["updated_by_name"] = names.get(row["updated_by"], "")


async def entries(section: Section, patient_id: int) -> list[dict]:
    """Every entry of one section (entered-in-error ones included, for the record)."""
    rows = await _rows(section, patient_id)
    await _name_authors(rows)
    return rows


async def chart_entries(patient_id: int) -> dict[str, list[dict]]:
    """Every section's entries for the chart page, authors named in one query."""
    by_section = {key: await _rows(section, patient_id) for key, section in SECTIONS.items()}
    await _name_authors([row for rows in by_section.values() for row in rows])
    return by_section


async def entry(section: Section, patient_id: int, entry_id: int) -> dict:
    table = section.table
    row = await table.select().where((table.id == entry_id) & (table.patient == patient_id)).first()
    if row is None:
        raise EntryNotFound(entry_id)
    return _open_notes(table, row)


async def _active_duplicate(section: Section, patient_id: int, value: str, exclude_id: int | None = None):
    table = section.table
    column = getattr(table, section.duplicate_of)
    rows = await table.select(table.id, column).where((table.patient == patient_id) & (table.status == "active"))
    wanted = same_thing(value)
    return next((row for row in rows if same_thing(row[section.duplicate_of]) == wanted and row["id"] != exclude_id),
                None)


async def add_entry(section: Section, patient_id: int, values: dict, actor: Actor, reading: Reading, *,
                    accept_duplicate: bool = False) -> int:
    clean = clean_entry(section, values, reading)
    notes = clean.pop("notes", "")
    table = section.table
    engine = table._meta.db
    now = clock.now()
    async with engine.transaction():
        if section.duplicate_of and not accept_duplicate:
            existing = await _active_duplicate(section, patient_id, clean[section.duplicate_of])
            if existing:
                raise PossibleDuplicateEntry(existing)
        rows = await table.insert(table(patient=patient_id, **clean, recorded_at=now, recorded_by=actor.staff_id,
                                        updated_at=now, updated_by=actor.staff_id))
        entry_id = rows[0]["id"]
        if notes:
            await table.update({table.notes: fields.cipher().seal(table, "notes", entry_id, notes)}).where(
                table.id == entry_id)
        if table is Allergy:
            # An allergy on file ends an earlier "no known allergies".
            await AllergyReview.update({AllergyReview.no_known_allergies: False, AllergyReview.reviewed_at: now,
                                        AllergyReview.reviewed_by: actor.staff_id}).where(
                AllergyReview.patient == patient_id)
        await record("clinical.create", actor, entity_type=table._meta.tablename, entity_id=entry_id,
                     patient_id=patient_id)
    return entry_id


async def update_entry(section: Section, patient_id: int, entry_id: int, values: dict, actor: Actor,
                       reading: Reading) -> None:
    await entry(section, patient_id, entry_id)  # 404 for another patient's entry
    clean = clean_entry(section, values, reading)
    notes = clean.pop("notes", "")
    table = section.table
    engine = table._meta.db
    async with engine.transaction():
        await table.update({
            **{getattr(table, name): value for name, value in clean.items()},
            table.notes: fields.cipher().seal(table, "notes", entry_id, notes),
            table.updated_at: clock.now(), table.updated_by: actor.staff_id,
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
        await table.update({table.status: status, table.updated_at: clock.now(),
                            table.updated_by: actor.staff_id}).where(
            (table.id == entry_id) & (table.patient == patient_id))
        await record("clinical.status", actor, entity_type=table._meta.tablename, entity_id=entry_id,
                     patient_id=patient_id, detail=status)
        if table is Medication and status != "active":
            for hook in _medication_stopped_hooks:
                await hook(patient_id, entry_id, status, actor)


# Domains that follow the medication list (a prescription ends when its medication is stopped
# there): each is called as hook(patient_id, medication_id, status, actor) inside the change's
# transaction. Registered by those domains, so this one needs to know nothing about them.
MedicationStopped = Callable[[int, int, str, Actor], Awaitable[None]]
_medication_stopped_hooks: list[MedicationStopped] = []


def on_medication_stopped(hook: MedicationStopped) -> None:
    if hook not in _medication_stopped_hooks:
        _medication_stopped_hooks.append(hook)


async def active_allergies(patient_id: int) -> list[dict]:
    return await Allergy.select(Allergy.substance, Allergy.severity, Allergy.reaction).where(
        (Allergy.patient == patient_id) & (Allergy.status == "active")).order_by(Allergy.substance)


async def allergy_review(patient_id: int) -> dict | None:
    """"No known allergies" as recorded (who and when), or None if never stated."""
    row = await AllergyReview.select(
        AllergyReview.no_known_allergies, AllergyReview.reviewed_at,
        AllergyReview.reviewed_by.full_name.as_alias("reviewed_by_name"),
    ).where(AllergyReview.patient == patient_id).first()
    return row if row and row["no_known_allergies"] else None


async def record_no_known_allergies(patient_id: int, actor: Actor) -> None:
    """The patient was asked and has no allergies: a recorded state, not a blank."""
    engine = AllergyReview._meta.db
    now = clock.now()
    async with engine.transaction():
        if await Allergy.exists().where((Allergy.patient == patient_id) & (Allergy.status == "active")):
            raise Invalid({"no_known_allergies": "This patient has active allergies on file. Mark them inactive or "
                                                 "entered in error first."})
        values = {AllergyReview.no_known_allergies: True, AllergyReview.reviewed_at: now,
                  AllergyReview.reviewed_by: actor.staff_id}
        if await AllergyReview.exists().where(AllergyReview.patient == patient_id):
            await AllergyReview.update(values).where(AllergyReview.patient == patient_id)
        else:
            try:
                await AllergyReview.insert(AllergyReview(patient=patient_id, no_known_allergies=True,
                                                         reviewed_at=now, reviewed_by=actor.staff_id))
            except IntegrityViolation:  # a colleague recorded it at the same moment
                await AllergyReview.update(values).where(AllergyReview.patient == patient_id)
        await record("clinical.no_known_allergies", actor, entity_type="allergy_review", entity_id=patient_id,
                     patient_id=patient_id)


# -- for prescriptions: the medication list follows what is signed and stopped --


async def active_medications(patient_id: int) -> list[dict]:
    return await Medication.select(Medication.id, Medication.name, Medication.dose, Medication.frequency).where(
        (Medication.patient == patient_id) & (Medication.status == "active")).order_by(Medication.name)


async def add_prescribed_medication(patient_id: int, values: dict, actor: Actor, *, note: str = "") -> int:
    """A signed prescription's drug on the current medications (joins the caller's transaction)."""
    now = clock.now()
    rows = await Medication.insert(Medication(
        patient=patient_id, name=values["name"][:160], dose=values.get("dose", "")[:80],
        frequency=values.get("frequency", "")[:80], route=values.get("route", "")[:40],
        start_date=values.get("start_date"), prescriber=values.get("prescriber", "")[:120],
        recorded_at=now, recorded_by=actor.staff_id, updated_at=now, updated_by=actor.staff_id))
    medication_id = rows[0]["id"]
    if note:
        await Medication.update({Medication.notes: fields.cipher().seal(Medication, "notes", medication_id, note)}).where(
            Medication.id == medication_id)
    await record("clinical.create", actor, entity_type="medication", entity_id=medication_id, patient_id=patient_id,
                 detail="from a prescription")
    return medication_id


async def stop_prescribed_medication(patient_id: int, medication_id: int, stop_date: dt.date, actor: Actor) -> None:
    """A discontinued prescription stops its medication (if it is still active)."""
    still_active = (Medication.id == medication_id) & (Medication.patient == patient_id) & (
        Medication.status == "active")
    if await Medication.exists().where(still_active):
        await Medication.update({
            Medication.status: "stopped", Medication.stop_date: stop_date, Medication.updated_at: clock.now(),
            Medication.updated_by: actor.staff_id,
        }).where(still_active)
        await record("clinical.status", actor, entity_type="medication", entity_id=medication_id,
                     patient_id=patient_id, detail="stopped")
