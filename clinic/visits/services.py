"""A visit's life: opened (from the chart or an arrived appointment), drafted with autosave,
signed by its author (or co-signed by a doctor where the clinic asks for it), then read-only
with addenda. Every change is audited in its own transaction, with the patient id."""

from __future__ import annotations

from clinic.audit.services import Actor, record
from clinic.clinical.services import staff_names
from clinic.clinical.vitals import add_vitals, vitals_entry
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.db.transactions import for_update
from clinic.practice.services import practice
from clinic.security import fields
from clinic.security.tables import Staff
from clinic.visits import icd10
from clinic.visits.notes import MAX_SECTION_TEXT, SOAP, sections_from_json
from clinic.visits.queries import OPENABLE_STATUSES, appointment_for_visit
from clinic.visits.tables import (
    Addendum,
    NoteTemplate,
    Visit,
    VisitDiagnosis,
    VisitNoteSection,
    VisitService,
)

STATES = {"draft": "Draft", "signed": "Signed", "amended": "Signed, with addenda"}
MAX_DIAGNOSES = 12
MAX_SERVICES = 20


class VisitNotFound(LookupError):
    """No such visit for this patient (also when it is another patient's)."""


class VisitLocked(Invalid):
    """The note is signed: it no longer changes (an addendum does)."""

    def __init__(self):
        super().__init__({"_": "This note is signed and can no longer be changed. Add an addendum instead."})


class EditConflict(Exception):
    """Someone saved this part of the visit since it was opened here."""


def _seal(table, column: str, row_id: int, text: str) -> str:
    return fields.cipher().seal(table, column, row_id, text)


def _open(table, column: str, row_id: int, token: str) -> str:
    return fields.cipher().open(table, column, row_id, token)


async def open_visit(patient_id: int, actor: Actor, *, appointment_id: int | None = None,
                     template_id: int | None = None, provider_id: int | None = None, reason: str = "") -> int:
    """A new draft visit for the patient (or the one already open for this appointment).

    From an appointment: it must be this patient's and the patient must have arrived. The note's
    sections come from the template, or SOAP. A nurse's note needs a doctor's co-signature when
    the clinic says so (Clinic settings)."""
    reason = " ".join((reason or "").split())
    if len(reason) > 200:
        raise Invalid({"reason": "Use at most 200 characters."})
    sections, template_name = list(SOAP), ""
    if template_id:
        template = await NoteTemplate.select().where(
            (NoteTemplate.id == template_id) & (NoteTemplate.active == True)).first()  # noqa: E712
        if template is None:
            raise Invalid({"template_id": "Choose one of the listed templates."})
        sections, template_name = sections_from_json(template["sections"]), template["name"]
    requires_cosign = actor.role == "nurse" and (await practice()).cosign_nurse_notes
    engine = Visit._meta.db
    now = clock.now()
    async with engine.transaction():
        if appointment_id is not None:
            appointment = await appointment_for_visit(appointment_id)
            if appointment is None or appointment["patient"] != patient_id:
                raise Invalid({"appointment_id": "This appointment is not this patient's."})
            existing = await Visit.select(Visit.id).where(Visit.appointment == appointment_id).first()
            if existing:
                return existing["id"]
            if appointment["status"] not in OPENABLE_STATUSES:
                raise Invalid({"appointment_id": "A visit opens once the patient has arrived."})
            provider_id = provider_id or appointment["provider"]
            reason = reason or appointment["reason"]
        provider_id = provider_id or actor.staff_id
        if not provider_id or not await Staff.exists().where(Staff.id == provider_id):
            raise Invalid({"provider_id": "Choose the clinician seeing the patient."})
        rows = await Visit.insert(Visit(
            patient=patient_id, provider=provider_id, appointment=appointment_id, template_name=template_name,
            reason=reason, state="draft", requires_cosign=requires_cosign, created_by=actor.staff_id,
            created_at=now, updated_at=now, updated_by=actor.staff_id, version=1))
        visit_id = rows[0]["id"]
        for position, spec in enumerate(sections):
            section_rows = await VisitNoteSection.insert(VisitNoteSection(
                visit=visit_id, key=spec.key, title=spec.title, prompt=spec.prompt, position=position,
                version=1, updated_at=now, updated_by=actor.staff_id))
            if spec.text:
                section_id = section_rows[0]["id"]
                await VisitNoteSection.update({VisitNoteSection.text: _seal(
                    VisitNoteSection, "text", section_id, spec.text)}).where(VisitNoteSection.id == section_id)
        await record("visit.open", actor, entity_type="visit", entity_id=visit_id, patient_id=patient_id,
                     detail=f"appointment {appointment_id}" if appointment_id else "")
    return visit_id


async def _visit_row(patient_id: int, visit_id: int) -> dict:
    row = await Visit.select().where((Visit.id == visit_id) & (Visit.patient == patient_id)).first()
    if row is None:
        raise VisitNotFound(visit_id)
    return row


async def get_visit(patient_id: int, visit_id: int) -> dict:
    """The visit with its note opened, diagnoses, services, addenda and the people's names."""
    visit = await _visit_row(patient_id, visit_id)
    visit["follow_up"] = _open(Visit, "follow_up", visit_id, visit["follow_up"])
    sections = await VisitNoteSection.select().where(VisitNoteSection.visit == visit_id).order_by(
        VisitNoteSection.position)
    for section in sections:
        section["text"] = _open(VisitNoteSection, "text", section["id"], section["text"])
    addenda = await Addendum.select().where(Addendum.visit == visit_id).order_by(Addendum.written_at).order_by(
        Addendum.id)
    for addendum in addenda:
        addendum["text"] = _open(Addendum, "text", addendum["id"], addendum["text"])
    names = await staff_names({visit["provider"], visit["signed_by"], visit["cosigned_by"], visit["created_by"],
                               *(a["author"] for a in addenda)})
    for addendum in addenda:
        addendum["author_name"] = names.get(addendum["author"], "")
    visit.update({
        "sections": sections, "addenda": addenda,
        "diagnoses": await VisitDiagnosis.select().where(VisitDiagnosis.visit == visit_id).order_by(
            VisitDiagnosis.position).order_by(VisitDiagnosis.id),
        "services": await VisitService.select().where(VisitService.visit == visit_id).order_by(VisitService.id),
        "provider_name": names.get(visit["provider"], ""), "signed_by_name": names.get(visit["signed_by"], ""),
        "cosigned_by_name": names.get(visit["cosigned_by"], ""), "author_name": names.get(visit["created_by"], ""),
        "state_label": STATES.get(visit["state"], visit["state"]),
        "vitals": await _visit_vitals(patient_id, visit["vital_signs"]),
    })
    return visit


async def _visit_vitals(patient_id: int, vitals_id: int | None) -> dict | None:
    if not vitals_id:
        return None
    try:
        return await vitals_entry(patient_id, vitals_id)
    except LookupError:
        return None  # marked entered in error on the chart since


async def patient_visits(patient_id: int) -> list[dict]:
    """The chart's visit list: date, provider, reason, diagnoses, state; newest first."""
    visits = await Visit.select(
        Visit.id, Visit.created_at, Visit.reason, Visit.state, Visit.requires_cosign, Visit.cosigned_at,
        Visit.provider.display_name.as_alias("provider_name"),
    ).where(Visit.patient == patient_id).order_by(Visit.created_at, ascending=False).order_by(
        Visit.id, ascending=False).limit(100)
    if visits:
        codes: dict[int, list[str]] = {}
        for row in await VisitDiagnosis.select(VisitDiagnosis.visit, VisitDiagnosis.code).where(
                VisitDiagnosis.visit.is_in([v["id"] for v in visits])).order_by(VisitDiagnosis.position):
            codes.setdefault(row["visit"], []).append(row["code"])
        for visit in visits:
            visit["codes"] = codes.get(visit["id"], [])
            visit["state_label"] = STATES.get(visit["state"], visit["state"])
    return visits


async def _draft_for_change(patient_id: int, visit_id: int) -> dict:
    """The visit, locked for this transaction; refused once signed."""
    row = await for_update(Visit.select().where((Visit.id == visit_id) & (Visit.patient == patient_id))).first()
    if row is None:
        raise VisitNotFound(visit_id)
    if row["state"] != "draft":
        raise VisitLocked()
    return row


async def _touch(visit_id: int, actor: Actor, **values) -> None:
    await Visit.update({Visit.updated_at: clock.now(), Visit.updated_by: actor.staff_id, **{
        getattr(Visit, name): value for name, value in values.items()}}).where(Visit.id == visit_id)


async def save_section(patient_id: int, visit_id: int, key: str, text: str, version: int, actor: Actor) -> int:
    """Autosave one section; returns its new version. EditConflict when it changed since ``version``."""
    text = (text or "").replace("\r\n", "\n")
    if len(text) > MAX_SECTION_TEXT:
        raise Invalid({"text": f"Use at most {MAX_SECTION_TEXT} characters in a section."})
    engine = Visit._meta.db
    async with engine.transaction():
        await _draft_for_change(patient_id, visit_id)
        section = await for_update(VisitNoteSection.select().where(
            (VisitNoteSection.visit == visit_id) & (VisitNoteSection.key == key))).first()
        if section is None:
            raise VisitNotFound(visit_id)
        if section["version"] != version:
            raise EditConflict()
        await VisitNoteSection.update({
            VisitNoteSection.text: _seal(VisitNoteSection, "text", section["id"], text.strip()),
            VisitNoteSection.version: version + 1, VisitNoteSection.updated_at: clock.now(),
            VisitNoteSection.updated_by: actor.staff_id,
        }).where(VisitNoteSection.id == section["id"])
        await _touch(visit_id, actor)
        await record("visit.note_saved", actor, entity_type="visit", entity_id=visit_id, patient_id=patient_id,
                     detail=key)
    return version + 1


async def update_details(patient_id: int, visit_id: int, values: dict, version: int, actor: Actor) -> None:
    """The reason for the visit and the follow-up plan."""
    reason = " ".join(str(values.get("reason", "")).split())
    follow_up = str(values.get("follow_up", "")).strip()
    errors = {}
    if len(reason) > 200:
        errors["reason"] = "Use at most 200 characters."
    if len(follow_up) > 2000:
        errors["follow_up"] = "Use at most 2000 characters."
    if errors:
        raise Invalid(errors)
    engine = Visit._meta.db
    async with engine.transaction():
        row = await _draft_for_change(patient_id, visit_id)
        if row["version"] != version:
            raise EditConflict()
        await _touch(visit_id, actor, reason=reason, follow_up=_seal(Visit, "follow_up", visit_id, follow_up),
                     version=version + 1)
        await record("visit.update", actor, entity_type="visit", entity_id=visit_id, patient_id=patient_id)


async def record_vitals(patient_id: int, visit_id: int, values: dict, actor: Actor, *, units: str) -> int:
    """Vital signs taken during the visit: a chart reading like any other, linked to the visit."""
    await get_draft(patient_id, visit_id)
    vitals_id = await add_vitals(patient_id, values, actor, units=units)
    engine = Visit._meta.db
    async with engine.transaction():
        await _draft_for_change(patient_id, visit_id)
        await _touch(visit_id, actor, vital_signs=vitals_id)
        await record("visit.vitals", actor, entity_type="visit", entity_id=visit_id, patient_id=patient_id)
    return vitals_id


async def get_draft(patient_id: int, visit_id: int) -> dict:
    row = await _visit_row(patient_id, visit_id)
    if row["state"] != "draft":
        raise VisitLocked()
    return row


async def add_diagnosis(patient_id: int, visit_id: int, code: str, actor: Actor) -> None:
    found = await icd10.find_code(code) if code and code.strip() else None
    if found is None:
        raise Invalid({"code": "Choose a code from the ICD-10-CM list."})
    if not found.billable:
        raise Invalid({"code": f"{found.code} is a heading: choose one of the more specific codes under it."})
    engine = Visit._meta.db
    async with engine.transaction():
        await _draft_for_change(patient_id, visit_id)
        present = await VisitDiagnosis.select(VisitDiagnosis.code).where(VisitDiagnosis.visit == visit_id)
        if any(row["code"] == found.code for row in present):
            raise Invalid({"code": f"{found.code} is already on this visit."})
        if len(present) >= MAX_DIAGNOSES:
            raise Invalid({"code": f"A visit takes at most {MAX_DIAGNOSES} diagnoses."})
        await VisitDiagnosis.insert(VisitDiagnosis(visit=visit_id, code=found.code,
                                                   description=found.description, position=len(present)))
        await _touch(visit_id, actor)
        await record("visit.diagnosis_add", actor, entity_type="visit", entity_id=visit_id, patient_id=patient_id,
                     detail=found.code)


async def remove_diagnosis(patient_id: int, visit_id: int, diagnosis_id: int, actor: Actor) -> None:
    engine = Visit._meta.db
    async with engine.transaction():
        await _draft_for_change(patient_id, visit_id)
        row = await VisitDiagnosis.select(VisitDiagnosis.code).where(
            (VisitDiagnosis.id == diagnosis_id) & (VisitDiagnosis.visit == visit_id)).first()
        if row is None:
            raise VisitNotFound(visit_id)
        await VisitDiagnosis.delete().where(VisitDiagnosis.id == diagnosis_id)
        await _touch(visit_id, actor)
        await record("visit.diagnosis_remove", actor, entity_type="visit", entity_id=visit_id,
                     patient_id=patient_id, detail=row["code"])


async def add_service(patient_id: int, visit_id: int, values: dict, actor: Actor) -> None:
    code = " ".join(str(values.get("service_code", "")).split()).upper()
    description = " ".join(str(values.get("service_description", "")).split())
    quantity_text = str(values.get("quantity", "") or "1").strip()
    errors = {}
    if not description:
        errors["service_description"] = "Describe the service or procedure."
    elif len(description) > 200:
        errors["service_description"] = "Use at most 200 characters."
    if len(code) > 20:
        errors["service_code"] = "Use at most 20 characters."
    quantity = int(quantity_text) if quantity_text.isascii() and quantity_text.isdigit() else 0
    if not 1 <= quantity <= 99:
        errors["quantity"] = "Expected between 1 and 99."
    if errors:
        raise Invalid(errors)
    engine = Visit._meta.db
    async with engine.transaction():
        await _draft_for_change(patient_id, visit_id)
        if await VisitService.count().where(VisitService.visit == visit_id) >= MAX_SERVICES:
            raise Invalid({"service_description": f"A visit takes at most {MAX_SERVICES} services."})
        await VisitService.insert(VisitService(visit=visit_id, code=code, description=description,
                                               quantity=quantity))
        await _touch(visit_id, actor)
        await record("visit.service_add", actor, entity_type="visit", entity_id=visit_id, patient_id=patient_id,
                     detail=code)


async def remove_service(patient_id: int, visit_id: int, service_id: int, actor: Actor) -> None:
    engine = Visit._meta.db
    async with engine.transaction():
        await _draft_for_change(patient_id, visit_id)
        if not await VisitService.exists().where((VisitService.id == service_id) & (VisitService.visit == visit_id)):
            raise VisitNotFound(visit_id)
        await VisitService.delete().where(VisitService.id == service_id)
        await _touch(visit_id, actor)
        await record("visit.service_remove", actor, entity_type="visit", entity_id=visit_id,
                     patient_id=patient_id)


def may_sign(visit: dict, actor: Actor) -> bool:
    """The author signs their note; where it needs a co-signature, a doctor signs it instead."""
    if visit["state"] != "draft":
        return False
    if visit["requires_cosign"]:
        return actor.role == "doctor"
    return actor.staff_id in (visit["created_by"], visit["provider"])


async def sign(patient_id: int, visit_id: int, actor: Actor) -> None:
    engine = Visit._meta.db
    now = clock.now()
    async with engine.transaction():
        row = await _draft_for_change(patient_id, visit_id)
        if row["requires_cosign"] and actor.role != "doctor":
            raise Invalid({"_": "This note needs a doctor's co-signature: a doctor signs it."})
        if not may_sign(row, actor):
            raise Invalid({"_": "Only the note's author or the visit's clinician signs it."})
        values = {"state": "signed", "signed_by": actor.staff_id, "signed_at": now}
        if row["requires_cosign"]:
            values.update(cosigned_by=actor.staff_id, cosigned_at=now)
        await _touch(visit_id, actor, version=row["version"] + 1, **values)
        await record("visit.cosign" if row["requires_cosign"] else "visit.sign", actor, entity_type="visit",
                     entity_id=visit_id, patient_id=patient_id)


async def add_addendum(patient_id: int, visit_id: int, text: str, actor: Actor) -> int:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise Invalid({"addendum": "Write the addendum."})
    if len(text) > MAX_SECTION_TEXT:
        raise Invalid({"addendum": f"Use at most {MAX_SECTION_TEXT} characters."})
    engine = Visit._meta.db
    now = clock.now()
    async with engine.transaction():
        row = await for_update(Visit.select().where((Visit.id == visit_id) & (Visit.patient == patient_id))).first()
        if row is None:
            raise VisitNotFound(visit_id)
        if row["state"] == "draft":
            raise Invalid({"addendum": "The note is still a draft: change it directly."})
        rows = await Addendum.insert(Addendum(visit=visit_id, author=actor.staff_id, written_at=now))
        addendum_id = rows[0]["id"]
        await Addendum.update({Addendum.text: _seal(Addendum, "text", addendum_id, text)}).where(
            Addendum.id == addendum_id)
        await _touch(visit_id, actor, state="amended", version=row["version"] + 1)
        await record("visit.addendum", actor, entity_type="visit", entity_id=visit_id, patient_id=patient_id)
    return addendum_id


async def open_visit_for_appointment(appointment_id: int) -> int | None:
    """The visit already opened from this appointment, if any (for the book screens)."""
    row = await Visit.select(Visit.id).where(Visit.appointment == appointment_id).first()
    return row["id"] if row else None
