"""Chart entries. Free-text ``notes`` are encrypted (see clinic/security/fields.py).

Every entry keeps who recorded it and when, and who last changed it; entries
are marked inactive/resolved/entered-in-error, never deleted.
"""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Numeric, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from clinic.patients.merge import move_rows, register_merge_step
from clinic.patients.tables import Patient
from clinic.security import fields
from clinic.security.tables import Staff


class ChartEntry(Table, tags=["abstract"]):
    """Columns every chart entry has (not a table of its own)."""

    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False)
    status = Varchar(length=20, default="active")
    notes = Text(default="")
    recorded_at = Timestamptz(default=TimestamptzNow())
    recorded_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Integer(null=True, default=None)


class Allergy(ChartEntry, tablename="allergy"):
    substance = Varchar(length=120)
    reaction = Varchar(length=200, default="")
    severity = Varchar(length=20, default="unknown")
    onset = Date(null=True, default=None)


class AllergyReview(Table, tablename="allergy_review"):
    """"No known allergies", said and recorded: not the same as nothing recorded yet."""

    patient = ForeignKey(Patient, on_delete=OnDelete.restrict, null=False, unique=True)
    no_known_allergies = Boolean(default=False)
    reviewed_at = Timestamptz(default=TimestamptzNow())
    reviewed_by = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, default=None)


class Medication(ChartEntry, tablename="medication"):
    name = Varchar(length=160)
    dose = Varchar(length=80, default="")
    frequency = Varchar(length=80, default="")
    route = Varchar(length=40, default="")
    start_date = Date(null=True, default=None)
    stop_date = Date(null=True, default=None)
    prescriber = Varchar(length=120, default="")


class Problem(ChartEntry, tablename="problem"):
    description = Varchar(length=200)
    icd10_code = Varchar(length=10, default="")
    onset = Date(null=True, default=None)
    resolved_on = Date(null=True, default=None)


class HistoryItem(ChartEntry, tablename="history_item"):
    kind = Varchar(length=20)  # medical, surgical, family, social
    description = Varchar(length=300)
    when_text = Varchar(length=40, default="")


class Immunization(ChartEntry, tablename="immunization"):
    vaccine = Varchar(length=120)
    given_on = Date()
    dose_number = Varchar(length=20, default="")
    lot_number = Varchar(length=40, default="")
    site = Varchar(length=40, default="")
    given_by = Varchar(length=120, default="")


class VitalSigns(ChartEntry, tablename="vital_signs"):
    measured_at = Timestamptz()
    systolic = Integer(null=True, default=None)
    diastolic = Integer(null=True, default=None)
    pulse = Integer(null=True, default=None)
    temperature_c = Numeric(digits=(4, 1), null=True, default=None)
    weight_kg = Numeric(digits=(5, 1), null=True, default=None)
    height_cm = Numeric(digits=(5, 1), null=True, default=None)
    respiratory_rate = Integer(null=True, default=None)
    oxygen_saturation = Integer(null=True, default=None)


CHART_TABLES = (Allergy, Medication, Problem, HistoryItem, Immunization, VitalSigns)

for _table in CHART_TABLES:
    # Free-text clinical notes are encrypted at rest (bound to their row id,
    # which does not change when a merge moves the row to another patient).
    fields.register(_table, "notes")
    register_merge_step(_table._meta.tablename, move_rows(_table))


async def _merge_allergy_review(duplicate_id: int, survivor_id: int) -> int:
    """One review per patient: the survivor keeps its own; otherwise it takes the duplicate's."""
    moved = 0
    if not await AllergyReview.exists().where(AllergyReview.patient == survivor_id):
        moved = await move_rows(AllergyReview)(duplicate_id, survivor_id)
    # Runs after the allergies moved: allergies now on file end "no known allergies".
    if await Allergy.exists().where((Allergy.patient == survivor_id) & (Allergy.status == "active")):
        await AllergyReview.update({AllergyReview.no_known_allergies: False}).where(
            AllergyReview.patient == survivor_id)
    return moved


register_merge_step("allergy_review", _merge_allergy_review)
