"""Vital signs: stored in metric, typed and shown in the clinic's units, BMI computed.

Ranges are wide enough for every real patient (newborns to adults) and
narrow enough to catch a typo such as a pulse of 720.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from clinic.audit.services import Actor, record
from clinic.clinical.services import EntryNotFound, staff_names
from clinic.clinical.tables import VitalSigns
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.forms import Field, FormSpec, check
from clinic.security import fields

UTC = dt.timezone.utc
ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class Measure:
    name: str
    label: str
    unit_us: str
    unit_metric: str
    low: Decimal
    high: Decimal
    integer: bool = False


def measures(units: str) -> list[Measure]:
    """Input ranges in the clinic's own units."""
    us = units == "us"
    return [
        Measure("systolic", "Systolic", "mmHg", "mmHg", Decimal(50), Decimal(300), integer=True),
        Measure("diastolic", "Diastolic", "mmHg", "mmHg", Decimal(20), Decimal(200), integer=True),
        Measure("pulse", "Pulse", "/min", "/min", Decimal(20), Decimal(250), integer=True),
        Measure("respiratory_rate", "Respiratory rate", "/min", "/min", Decimal(4), Decimal(80), integer=True),
        Measure("oxygen_saturation", "SpO₂", "%", "%", Decimal(50), Decimal(100), integer=True),
        Measure("temperature", "Temperature", "°F", "°C", Decimal(86) if us else Decimal(30),
                Decimal(113) if us else Decimal(45)),
        Measure("weight", "Weight", "lb", "kg", Decimal("0.5") if us else Decimal("0.2"),
                Decimal(1100) if us else Decimal(500)),
        Measure("height", "Height", "in", "cm", Decimal(8) if us else Decimal(20), Decimal(100) if us else Decimal(250)),
    ]


def to_metric(name: str, value: Decimal, units: str) -> Decimal:
    """A typed temperature, weight or height in metric, to the one decimal stored
    (MariaDB's DECIMAL(5,1) would round 70.25 and SQLite keep it: both get 70.3)."""
    if units != "us":
        return value.quantize(ONE_PLACE, ROUND_HALF_UP)
    if name == "temperature":
        return ((value - 32) * 5 / 9).quantize(ONE_PLACE, ROUND_HALF_UP)
    if name == "weight":
        return (value * Decimal("0.45359237")).quantize(ONE_PLACE, ROUND_HALF_UP)
    if name == "height":
        return (value * Decimal("2.54")).quantize(ONE_PLACE, ROUND_HALF_UP)
    return value


def from_metric(name: str, value: Decimal | None, units: str) -> Decimal | None:
    if value is None:
        return None
    value = Decimal(str(value))
    if units == "us":
        if name == "temperature":
            value = value * 9 / 5 + 32
        elif name == "weight":
            value = value / Decimal("0.45359237")
        elif name == "height":
            value = value / Decimal("2.54")
    return value.quantize(ONE_PLACE, ROUND_HALF_UP)


def bmi(weight_kg, height_cm) -> Decimal | None:
    if not weight_kg or not height_cm:
        return None
    metres = Decimal(str(height_cm)) / 100
    return (Decimal(str(weight_kg)) / (metres * metres)).quantize(ONE_PLACE, ROUND_HALF_UP)


def add_bmi(readings: list[dict]) -> None:
    """Each reading's BMI from its weight and its own height, or else the latest
    height measured (adults rarely re-measure height). Readings newest first."""
    latest_height = next((row["height_cm"] for row in readings if row["height_cm"]), None)
    for row in readings:
        row["bmi"] = bmi(row["weight_kg"], row["height_cm"] or latest_height)


METRIC_COLUMNS = {"temperature": "temperature_c", "weight": "weight_kg", "height": "height_cm"}


def vitals_form(units: str) -> FormSpec:
    """The vital-sign inputs in the clinic's units, with their plausible ranges."""
    fields_ = []
    for m in measures(units):
        unit = m.unit_us if units == "us" else m.unit_metric
        fields_.append(Field(m.name, m.label, kind="integer" if m.integer else "decimal", minimum=m.low,
                             maximum=m.high, unit=unit, max_length=12))
    fields_.append(Field("notes", "Notes", kind="textarea", max_length=4000, wide=True, hint="Kept encrypted."))
    return FormSpec(tuple(fields_))


def clean_vitals(values: dict, units: str, now: dt.datetime) -> dict:
    typed, errors = check(vitals_form(units), values)
    clean: dict = {}
    for measure in measures(units):
        number = typed[measure.name]
        column = METRIC_COLUMNS.get(measure.name, measure.name)
        clean[column] = None if number is None else (int(number) if measure.integer else
                                                     to_metric(measure.name, number, units))
    if clean.get("systolic") and clean.get("diastolic") and clean["diastolic"] >= clean["systolic"]:
        errors["diastolic"] = "The diastolic pressure must be lower than the systolic."
    # Checked with the other fields' problems (every problem at once), unless a
    # pressure was already refused: its range message says more.
    pressure_refused = "systolic" in errors or "diastolic" in errors
    if bool(clean.get("systolic")) != bool(clean.get("diastolic")) and not pressure_refused:
        errors["systolic" if not clean.get("systolic") else "diastolic"] = "Enter both blood pressure numbers."
    if not errors and all(value is None for value in clean.values()):
        errors["systolic"] = "Enter at least one measurement."
    if errors:
        raise Invalid(errors)
    clean["notes"] = typed["notes"]
    clean["measured_at"] = now
    return clean


async def add_vitals(patient_id: int, values: dict, actor: Actor, *, units: str) -> int:
    now = clock.now()
    clean = clean_vitals(values, units, now)
    notes = clean.pop("notes")
    engine = VitalSigns._meta.db
    async with engine.transaction():
        rows = await VitalSigns.insert(VitalSigns(patient=patient_id, **clean, recorded_at=now,
                                                  recorded_by=actor.staff_id, updated_at=now,
                                                  updated_by=actor.staff_id))
        vitals_id = rows[0]["id"]
        if notes:
            await VitalSigns.update({VitalSigns.notes: fields.cipher().seal(VitalSigns, "notes", vitals_id, notes)}
                                    ).where(VitalSigns.id == vitals_id)
        await record("clinical.create", actor, entity_type="vital_signs", entity_id=vitals_id, patient_id=patient_id)
    return vitals_id


async def vitals_entry(patient_id: int, vitals_id: int) -> dict:
    row = await VitalSigns.select().where(
        (VitalSigns.id == vitals_id) & (VitalSigns.patient == patient_id)
        & (VitalSigns.status != "entered_in_error")).first()
    if row is None:
        raise EntryNotFound(vitals_id)
    row["notes"] = fields.cipher().open(VitalSigns, "notes", vitals_id, row["notes"])
    return row


def vitals_form_values(row: dict, units: str) -> dict[str, str]:
    """A stored reading as the form shows it, in the clinic's units."""
    values = {}
    for measure in measures(units):
        column = METRIC_COLUMNS.get(measure.name, measure.name)
        value = row.get(column)
        if value is None:
            values[measure.name] = ""
        elif measure.integer:
            values[measure.name] = str(value)
        else:
            values[measure.name] = str(from_metric(measure.name, value, units))
    values["notes"] = row.get("notes", "")
    return values


async def update_vitals(patient_id: int, vitals_id: int, values: dict, actor: Actor, *, units: str) -> None:
    """Correct a reading; it keeps the time it was measured."""
    current = await vitals_entry(patient_id, vitals_id)
    clean = clean_vitals(values, units, current["measured_at"])
    notes = clean.pop("notes")
    clean.pop("measured_at")
    engine = VitalSigns._meta.db
    async with engine.transaction():
        await VitalSigns.update({
            **{getattr(VitalSigns, name): value for name, value in clean.items()},
            VitalSigns.notes: fields.cipher().seal(VitalSigns, "notes", vitals_id, notes),
            VitalSigns.updated_by: actor.staff_id, VitalSigns.updated_at: clock.now(),
        }).where((VitalSigns.id == vitals_id) & (VitalSigns.patient == patient_id))
        await record("clinical.update", actor, entity_type="vital_signs", entity_id=vitals_id, patient_id=patient_id)


async def mark_vitals_in_error(patient_id: int, vitals_id: int, actor: Actor) -> None:
    row = await VitalSigns.select(VitalSigns.id).where(
        (VitalSigns.id == vitals_id) & (VitalSigns.patient == patient_id)).first()
    if row is None:
        raise EntryNotFound(vitals_id)
    engine = VitalSigns._meta.db
    async with engine.transaction():
        await VitalSigns.update({VitalSigns.status: "entered_in_error", VitalSigns.updated_by: actor.staff_id,
                                 VitalSigns.updated_at: clock.now()}).where(VitalSigns.id == vitals_id)
        await record("clinical.status", actor, entity_type="vital_signs", entity_id=vitals_id, patient_id=patient_id,
                     detail="entered_in_error")


async def vitals_history(patient_id: int, units: str, limit: int = 50) -> list[dict]:
    rows = await VitalSigns.select().where(
        (VitalSigns.patient == patient_id) & (VitalSigns.status != "entered_in_error")
    ).order_by(VitalSigns.measured_at, ascending=False).limit(limit)
    names = await staff_names({row["recorded_by"] for row in rows})
    add_bmi(rows)
    for row in rows:
        row["notes"] = fields.cipher().open(VitalSigns, "notes", row["id"], row["notes"])
        row["temperature"] = from_metric("temperature", row["temperature_c"], units)
        row["weight"] = from_metric("weight", row["weight_kg"], units)
        row["height"] = from_metric("height", row["height_cm"], units)
        row["recorded_by_name"] = names.get(row["recorded_by"], "")
    return rows


def unit_labels(units: str) -> dict[str, str]:
    return {m.name: (m.unit_us if units == "us" else m.unit_metric) for m in measures(units)}
