"""Merging a duplicate record into the one that survives.

One routine; each domain registers how to move what it attaches to a patient
(``register_merge_step``): chart entries, appointments, and later visits and
bills. Everything runs in one transaction with the audit entry, the
duplicate is archived and points at the survivor, and nothing is deleted.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from piccolo.table import Table

from clinic.audit.services import Actor, record
from clinic.core import clock
from clinic.db.transactions import for_update
from clinic.patients.tables import Patient, PatientInsurance

MergeStep = Callable[[int, int], Awaitable[int]]
_steps: dict[str, MergeStep] = {}


class MergeRefused(ValueError):
    pass


def register_merge_step(name: str, step: MergeStep) -> None:
    """``step(duplicate_id, survivor_id)`` moves rows and returns how many it moved."""
    _steps[name] = step


def move_rows(table: type[Table], column_name: str = "patient") -> MergeStep:
    """The usual step: repoint a foreign key column from the duplicate to the survivor."""

    async def step(duplicate_id: int, survivor_id: int) -> int:
        column = getattr(table, column_name)
        count = await table.count().where(column == duplicate_id)
        if count:
            await table.update({column: survivor_id}).where(column == duplicate_id)
        return count

    return step


register_merge_step("insurance", move_rows(PatientInsurance))


async def merge(duplicate_id: int, survivor_id: int, actor: Actor) -> dict[str, int]:
    if duplicate_id == survivor_id:
        raise MergeRefused("A record cannot be merged into itself.")
    engine = Patient._meta.db
    async with engine.transaction():
        rows = await for_update(Patient.select(Patient.id, Patient.merged_into, Patient.archived_at).where(
            Patient.id.is_in([duplicate_id, survivor_id])))
        found = {row["id"]: row for row in rows}
        if duplicate_id not in found or survivor_id not in found:
            raise MergeRefused("Both records must exist.")
        if found[duplicate_id]["merged_into"] or found[survivor_id]["merged_into"]:
            raise MergeRefused("One of these records has already been merged.")
        moved = {name: await step(duplicate_id, survivor_id) for name, step in _steps.items()}
        now = clock.now()
        await Patient.update({Patient.merged_into: survivor_id, Patient.archived_at: now,
                              Patient.version: Patient.version + 1, Patient.updated_at: now,
                              Patient.updated_by: actor.staff_id}).where(Patient.id == duplicate_id)
        summary = ",".join(f"{name}:{count}" for name, count in moved.items() if count)
        await record("patient.merge", actor, entity_type="patient", entity_id=duplicate_id, patient_id=survivor_id,
                     detail=f"merged {duplicate_id} into {survivor_id}; moved {summary or 'nothing'}"[:200])
        await record("patient.merged_away", actor, entity_type="patient", entity_id=duplicate_id,
                     patient_id=duplicate_id, detail=f"into {survivor_id}")
    return moved
