"""Prescriptions: drafts, the safety checks, signing with a number, stopping, renewing.

A nurse or doctor (clinical.write) prepares a draft; only a prescriber
(prescriptions.write, checked by the route) signs, discontinues or renews.
Signing runs the safety checks again inside its transaction: a warning
the prescriber has not answered with a reason refuses the signature
(``SafetyWarnings``); answered, each warning is kept with the reason and
audited. Every change and its audit entry share one transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from clinic.audit.services import Actor, record
from clinic.clinical import services as clinical
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.forms import check, parse_integer
from clinic.db.errors import IntegrityViolation
from clinic.db.transactions import for_update
from clinic.prescriptions.druglist import by_name, class_label, plain
from clinic.prescriptions.forms import DISCONTINUE_FORM, DOSE_UNITS, PRESCRIPTION_FORM
from clinic.prescriptions.safety import Warning, check_prescription
from clinic.prescriptions.tables import Prescription, PrescriptionCounter, PrescriptionOverride
from clinic.security import fields
from clinic.security.tables import Staff

MIN_REASON = 10
EDITABLE = [name for name in PRESCRIPTION_FORM.names() if name != "internal_note"]
STATUS_LABELS = {"draft": "Draft", "active": "Signed", "discontinued": "Discontinued", "renewed": "Renewed",
                 "discarded": "Discarded"}


class PrescriptionNotFound(LookupError):
    """No such prescription for this patient (also when it is another patient's)."""


class SafetyWarnings(Exception):
    """Signing needs a reason: these warnings stand."""

    def __init__(self, warnings: list[Warning]):
        super().__init__("safety warnings")
        self.warnings = warnings


class WrongState(Exception):
    """The prescription is not in a state that allows this (signed already, not a draft...)."""


def number_label(number: int | None) -> str:
    return f"RX-{number:06d}" if number else ""


def dose_text(amount: Decimal | None, unit: str) -> str:
    if amount is None:
        return ""
    label = dict(DOSE_UNITS).get(unit, unit)
    if "(" in label:
        singular, _, plural_end = label.partition("(")
        label = singular if amount == 1 else singular + plural_end.rstrip(")")
    return f"{plain(Decimal(amount))} {label}"


def describe(row: dict) -> str:
    """One line: "Amoxicillin 500 mg capsule: 1 capsule by mouth three times daily for 7 days"."""
    drug = " ".join(part for part in (row["drug_name"], row["strength"], row["form"]) if part)
    how = " ".join(part for part in (dose_text(row["dose_amount"], row["dose_unit"]), row["route"],
                                     row["frequency"]) if part)
    if row["duration"]:
        how += f" for {row['duration']}"
    return f"{drug}: {how}" if how else drug


def _decorate(row: dict, names: dict[int, str]) -> dict:
    row["number_label"] = number_label(row["number"])
    row["status_label"] = STATUS_LABELS.get(row["status"], row["status"])
    row["free_text"] = not row["drug_key"]
    row["class_label"] = class_label(row["drug_class"])
    row["dose"] = dose_text(row["dose_amount"], row["dose_unit"])
    row["summary"] = describe(row)
    row["prepared_by_name"] = names.get(row["prepared_by"], "")
    row["signed_by_name"] = row["prescriber_name"] or names.get(row["signed_by"], "")
    row["stopped_by_name"] = names.get(row["stopped_by"], "")
    return row


async def prescriptions_of(patient_id: int, *, limit: int | None = None) -> list[dict]:
    """Every prescription of a patient, newest first (the internal notes stay sealed)."""
    query = Prescription.select(*[column for column in Prescription._meta.columns
                                  if column._meta.name != "internal_note"]).where(
        Prescription.patient == patient_id).order_by(Prescription.prepared_at, ascending=False).order_by(
        Prescription.id, ascending=False)
    if limit:
        query = query.limit(limit)
    rows = await query
    names = await clinical.staff_names({row["prepared_by"] for row in rows} | {row["signed_by"] for row in rows}
                                       | {row["stopped_by"] for row in rows})
    return [_decorate(row, names) for row in rows]


async def prescription(patient_id: int, prescription_id: int) -> dict:
    row = await Prescription.select().where(
        (Prescription.id == prescription_id) & (Prescription.patient == patient_id)).first()
    if row is None:
        raise PrescriptionNotFound(prescription_id)
    row["internal_note"] = fields.cipher().open(Prescription, "internal_note", row["id"], row["internal_note"])
    names = await clinical.staff_names({row["prepared_by"], row["signed_by"], row["stopped_by"]})
    return _decorate(row, names)


async def overrides_of(prescription_id: int) -> list[dict]:
    rows = await PrescriptionOverride.select().where(
        PrescriptionOverride.prescription == prescription_id).order_by(PrescriptionOverride.id)
    names = await clinical.staff_names({row["overridden_by"] for row in rows})
    for row in rows:
        row["overridden_by_name"] = names.get(row["overridden_by"], "")
    return rows


def clean_prescription(values: dict) -> dict:
    clean, errors = check(PRESCRIPTION_FORM, values)
    if errors:
        raise Invalid(errors)
    drug = by_name(clean["drug_name"])
    clean["drug_key"] = drug.key if drug else ""
    clean["drug_class"] = drug.drug_class if drug else ""
    if drug:
        clean["drug_name"] = drug.name  # as the list spells it
    clean["refills"] = clean["refills"] or 0
    return clean


def _visit_id(values: dict) -> int | None:
    return parse_integer(str(values.get("visit_id") or ""), minimum=1, maximum=2_147_483_647)


async def save_draft(patient_id: int, values: dict, actor: Actor, *, prescription_id: int | None = None,
                     renewed_from: int | None = None) -> int:
    """A new draft, or changes to one (a signed prescription is never edited)."""
    clean = clean_prescription(values)
    if renewed_from is not None:
        await renewable(patient_id, renewed_from)
    note = clean.pop("internal_note", "")
    now = clock.now()
    engine = Prescription._meta.db
    editing = prescription_id is not None
    async with engine.transaction():
        if not editing:
            rows = await Prescription.insert(Prescription(
                patient=patient_id, visit_id=_visit_id(values), renewed_from=renewed_from, **clean,
                prepared_at=now, prepared_by=actor.staff_id, updated_at=now, updated_by=actor.staff_id))
            prescription_id = rows[0]["id"]
        else:
            current = await for_update(Prescription.select(Prescription.status).where(
                (Prescription.id == prescription_id) & (Prescription.patient == patient_id))).first()
            if current is None:
                raise PrescriptionNotFound(prescription_id)
            if current["status"] != "draft":
                raise WrongState("Only a draft can be changed.")
            await Prescription.update({
                **{getattr(Prescription, name): value for name, value in clean.items()},
                Prescription.updated_at: now, Prescription.updated_by: actor.staff_id,
                Prescription.version: Prescription.version + 1,
            }).where(Prescription.id == prescription_id)
        await Prescription.update({Prescription.internal_note: fields.cipher().seal(
            Prescription, "internal_note", prescription_id, note)}).where(Prescription.id == prescription_id)
        await record("prescription.update" if editing
                     else ("prescription.renew" if renewed_from else "prescription.draft"), actor, entity_type="prescription", entity_id=prescription_id,
                     patient_id=patient_id, detail="free text" if not clean["drug_key"] else "")
    return prescription_id


async def warnings_for(patient_id: int, row: dict) -> list[Warning]:
    """The safety checks against the chart as it is now."""
    medications = await clinical.active_medications(patient_id)
    if row.get("renewed_from"):
        # Renewing: the medication the earlier prescription added is this very drug.
        earlier = await Prescription.select(Prescription.medication_id).where(
            Prescription.id == row["renewed_from"]).first()
        if earlier and earlier["medication_id"]:
            medications = [m for m in medications if m["id"] != earlier["medication_id"]]
    return check_prescription(row, await clinical.active_allergies(patient_id), medications)


async def _ensure_counter() -> None:
    if await PrescriptionCounter.exists().where(PrescriptionCounter.singleton == 1):
        return
    try:
        await PrescriptionCounter.insert(PrescriptionCounter(singleton=1, last_number=0))
    except IntegrityViolation:
        pass  # another signing made it first


async def _next_number() -> int:
    """The next number, taken under the counter row's lock (call inside the signing transaction)."""
    counter = await for_update(PrescriptionCounter.select(PrescriptionCounter.last_number).where(
        PrescriptionCounter.singleton == 1)).first()
    highest = await Prescription.select(Prescription.number).where(Prescription.number.is_not_null()).order_by(
        Prescription.number, ascending=False).first()
    number = max(counter["last_number"] if counter else 0, highest["number"] if highest else 0) + 1
    await PrescriptionCounter.update({PrescriptionCounter.last_number: number}).where(
        PrescriptionCounter.singleton == 1)
    return number


async def prescriber(staff_id: int | None) -> dict:
    row = await Staff.select(Staff.full_name, Staff.licence_number).where(Staff.id == staff_id).first()
    return row or {"full_name": "", "licence_number": ""}


async def sign(patient_id: int, prescription_id: int, actor: Actor, *, override_reason: str,
               today: dt.date) -> int:
    """Sign a draft: number it, add the drug to the current medications. Returns the number."""
    override_reason = " ".join(override_reason.split())
    signer = await prescriber(actor.staff_id)
    if not signer["licence_number"]:
        raise Invalid({"_sign": "Your licence number is not recorded. An administrator adds it on your staff "
                                "page; a prescription cannot be signed without it."})
    await _ensure_counter()
    engine = Prescription._meta.db
    async with engine.transaction():
        row = await for_update(Prescription.select().where(
            (Prescription.id == prescription_id) & (Prescription.patient == patient_id))).first()
        if row is None:
            raise PrescriptionNotFound(prescription_id)
        if row["status"] != "draft":
            raise WrongState("This prescription has already been signed or set aside.")
        warnings = await warnings_for(patient_id, row)
        if warnings and len(override_reason) < MIN_REASON:
            raise SafetyWarnings(warnings)
        number = await _next_number()
        now = clock.now()
        medication_id = await clinical.add_prescribed_medication(patient_id, {
            "name": " ".join(part for part in (row["drug_name"], row["strength"]) if part),
            "dose": dose_text(row["dose_amount"], row["dose_unit"]), "frequency": row["frequency"],
            "route": row["route"], "start_date": today, "prescriber": signer["full_name"],
        }, actor, note=f"Prescription {number_label(number)}")
        await Prescription.update({
            Prescription.status: "active", Prescription.number: number, Prescription.signed_at: now,
            Prescription.signed_by: actor.staff_id, Prescription.prescriber_name: signer["full_name"],
            Prescription.prescriber_licence: signer["licence_number"], Prescription.medication_id: medication_id,
            Prescription.updated_at: now, Prescription.updated_by: actor.staff_id,
        }).where(Prescription.id == prescription_id)
        for warning in warnings:
            await PrescriptionOverride.insert(PrescriptionOverride(
                prescription=prescription_id, safety_check=warning.check, warning=warning.message[:300],
                reason=override_reason[:500], overridden_at=now, overridden_by=actor.staff_id))
            await record("prescription.override", actor, entity_type="prescription", entity_id=prescription_id,
                         patient_id=patient_id, detail=f"{warning.check}: {override_reason}")
        if row["renewed_from"]:
            await _close_earlier(patient_id, row["renewed_from"], actor, today, now)
        await record("prescription.sign", actor, entity_type="prescription", entity_id=prescription_id,
                     patient_id=patient_id, detail=number_label(number))
    return number


async def _close_earlier(patient_id: int, earlier_id: int, actor: Actor, today: dt.date, now: dt.datetime) -> None:
    """A signed renewal replaces the prescription it renews (and its medication entry)."""
    earlier = await Prescription.select(Prescription.status, Prescription.medication_id).where(
        (Prescription.id == earlier_id) & (Prescription.patient == patient_id)).first()
    if not earlier or earlier["status"] != "active":
        return
    await Prescription.update({Prescription.status: "renewed", Prescription.stopped_at: now,
                               Prescription.stopped_by: actor.staff_id, Prescription.stop_reason: "Renewed",
                               Prescription.updated_at: now, Prescription.updated_by: actor.staff_id}).where(
        Prescription.id == earlier_id)
    if earlier["medication_id"]:
        await clinical.stop_prescribed_medication(patient_id, earlier["medication_id"], today, actor)


async def discontinue(patient_id: int, prescription_id: int, values: dict, actor: Actor, *, today: dt.date) -> None:
    clean, errors = check(DISCONTINUE_FORM, values)
    if errors:
        raise Invalid(errors)
    engine = Prescription._meta.db
    async with engine.transaction():
        row = await for_update(Prescription.select(Prescription.status, Prescription.medication_id).where(
            (Prescription.id == prescription_id) & (Prescription.patient == patient_id))).first()
        if row is None:
            raise PrescriptionNotFound(prescription_id)
        if row["status"] != "active":
            raise WrongState("Only a signed, current prescription can be discontinued.")
        now = clock.now()
        await Prescription.update({
            Prescription.status: "discontinued", Prescription.stopped_at: now, Prescription.stopped_by: actor.staff_id,
            Prescription.stop_reason: clean["stop_reason"], Prescription.updated_at: now,
            Prescription.updated_by: actor.staff_id,
        }).where(Prescription.id == prescription_id)
        if row["medication_id"]:
            await clinical.stop_prescribed_medication(patient_id, row["medication_id"], today, actor)
        await record("prescription.discontinue", actor, entity_type="prescription", entity_id=prescription_id,
                     patient_id=patient_id, detail=clean["stop_reason"])


async def renewable(patient_id: int, prescription_id: int) -> dict:
    """The prescription to renew: this patient's, signed and current."""
    row = await prescription(patient_id, prescription_id)
    if row["status"] != "active":
        raise WrongState("Only a signed, current prescription can be renewed.")
    return row


async def renew(patient_id: int, prescription_id: int, actor: Actor) -> int:
    """A new draft with the same drug and directions; signing it replaces this one.

    ``Invalid`` when the original lacks something a draft needs now (the form
    then opens with its values, for the prescriber to complete)."""
    row = await renewable(patient_id, prescription_id)
    values = form_values(row)
    values["internal_note"] = ""
    return await save_draft(patient_id, values, actor, renewed_from=prescription_id)


async def discard(patient_id: int, prescription_id: int, actor: Actor) -> None:
    engine = Prescription._meta.db
    async with engine.transaction():
        row = await for_update(Prescription.select(Prescription.status).where(
            (Prescription.id == prescription_id) & (Prescription.patient == patient_id))).first()
        if row is None:
            raise PrescriptionNotFound(prescription_id)
        if row["status"] != "draft":
            raise WrongState("Only a draft can be discarded.")
        await Prescription.update({Prescription.status: "discarded", Prescription.updated_at: clock.now(),
                                   Prescription.updated_by: actor.staff_id}).where(Prescription.id == prescription_id)
        await record("prescription.discard", actor, entity_type="prescription", entity_id=prescription_id,
                     patient_id=patient_id)


def form_values(row: dict) -> dict[str, str]:
    """A draft as its form shows it."""
    values = {name: "" if row.get(name) is None else str(row[name]) for name in PRESCRIPTION_FORM.names()}
    if row.get("dose_amount") is not None:
        values["dose_amount"] = plain(Decimal(row["dose_amount"]))
    return values


async def timeline_entries(patient_id: int, limit: int = 200) -> list[dict]:
    """(at, title, detail) for the patient's timeline: signed and stopped prescriptions."""
    rows = await Prescription.select(
        Prescription.drug_name, Prescription.strength, Prescription.number, Prescription.status,
        Prescription.signed_at, Prescription.stopped_at, Prescription.stop_reason,
    ).where((Prescription.patient == patient_id) & Prescription.signed_at.is_not_null()).order_by(
        Prescription.signed_at, ascending=False).limit(limit)
    entries = []
    for row in rows:
        drug = " ".join(part for part in (row["drug_name"], row["strength"]) if part)
        entries.append({"at": row["signed_at"], "title": f"Prescription signed ({number_label(row['number'])})",
                        "detail": drug})
        if row["stopped_at"] and row["status"] == "discontinued":
            entries.append({"at": row["stopped_at"], "title": "Prescription discontinued",
                            "detail": f"{drug}: {row['stop_reason']}"})
    return entries


async def prescriptions_for_export(patient_id: int) -> list[dict]:
    """Every prescription as plain data for the patient's complete record: internal notes and overrides included."""
    rows = await Prescription.select().where(Prescription.patient == patient_id).order_by(Prescription.id)
    overrides = await PrescriptionOverride.select().where(
        PrescriptionOverride.prescription.is_in([row["id"] for row in rows] or [0])).order_by(PrescriptionOverride.id)
    names = await clinical.staff_names({row["prepared_by"] for row in rows} | {row["signed_by"] for row in rows}
                                       | {row["stopped_by"] for row in rows})
    for row in rows:
        row["internal_note"] = fields.cipher().open(Prescription, "internal_note", row["id"], row["internal_note"])
        _decorate(row, names)
        row["overrides"] = [{"check": o["safety_check"], "warning": o["warning"], "reason": o["reason"],
                             "overridden_at": o["overridden_at"]} for o in overrides if o["prescription"] == row["id"]]
    return rows


async def _medication_stopped(patient_id: int, medication_id: int, status: str, actor: Actor) -> None:
    """Its medication stopped (or entered in error) on the chart's list: the prescription is no longer current,
    and no longer prints as valid."""
    row = await for_update(Prescription.select(Prescription.id).where(
        (Prescription.medication_id == medication_id) & (Prescription.patient == patient_id)
        & (Prescription.status == "active"))).first()
    if row is None:
        return
    reason = "Medication entered in error" if status == "entered_in_error" else "Stopped on the medication list"
    now = clock.now()
    await Prescription.update({
        Prescription.status: "discontinued", Prescription.stopped_at: now, Prescription.stopped_by: actor.staff_id,
        Prescription.stop_reason: reason, Prescription.updated_at: now, Prescription.updated_by: actor.staff_id,
    }).where(Prescription.id == row["id"])
    await record("prescription.discontinue", actor, entity_type="prescription", entity_id=row["id"],
                 patient_id=patient_id, detail=reason)


clinical.on_medication_stopped(_medication_stopped)
