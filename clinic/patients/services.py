"""Patient records: register (with duplicate checks), edit safely, archive, identifiers.

Edits use optimistic concurrency: the form carries the version it was
loaded at, and a save against a newer version is refused with the other
person's changes, so two people never silently overwrite each other.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field

from clinic.audit.services import Actor, record
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.core.locale import Locale
from clinic.db.errors import IntegrityViolation
from clinic.db.transactions import for_update
from clinic.patients.identifiers import new_mrn
from clinic.patients.normalise import (
    format_national_id,
    mask_identifier,
    name_key,
    normalise_national_id,
    phone_search_key,
)
from clinic.patients.tables import Patient, PatientInsurance
from clinic.patients.validation import clean_insurance, clean_patient
from clinic.security import fields
from clinic.security.tables import Staff

UTC = dt.timezone.utc
# Fields a person edits on the registration form (national_id handled apart: it is sealed).
EDITABLE = (
    "first_name", "last_name", "preferred_name", "date_of_birth", "sex", "phone", "phone_alt", "email",
    "address_line1", "address_line2", "city", "region", "postal_code", "preferred_language",
    "emergency_contact_name", "emergency_contact_relation", "emergency_contact_phone", "front_desk_notes",
    "primary_provider",
)
LABELS = {
    "first_name": "First name", "last_name": "Last name", "preferred_name": "Preferred name",
    "date_of_birth": "Date of birth", "sex": "Sex", "phone": "Phone", "phone_alt": "Other phone", "email": "Email",
    "address_line1": "Address", "address_line2": "Address line 2", "city": "City", "region": "State / region",
    "postal_code": "Postal code", "preferred_language": "Preferred language",
    "emergency_contact_name": "Emergency contact", "emergency_contact_relation": "Relationship",
    "emergency_contact_phone": "Emergency contact phone", "front_desk_notes": "Front-desk notes",
    "primary_provider": "Primary clinician", "national_id": "SSN / national id",
}


class PatientNotFound(LookupError):
    pass


@dataclass
class PossibleDuplicates(Exception):
    matches: list[dict]


@dataclass
class EditConflict(Exception):
    current: dict
    changed: list[str] = field(default_factory=list)
    by: str = ""


def search_keys(clean: dict) -> dict:
    return {
        "last_name_key": name_key(clean["last_name"]),
        "first_name_key": name_key(clean["first_name"]),
        "preferred_name_key": name_key(clean["preferred_name"]),
        "phone_key": phone_search_key(clean["phone"]),
    }


def _similar(a: str, b: str) -> bool:
    return a == b or (len(a) > 3 and len(b) > 3 and difflib.SequenceMatcher(None, a, b).ratio() >= 0.8)


async def possible_duplicates(clean: dict, *, exclude_id: int | None = None) -> list[dict]:
    """Same date of birth and a similar name, or the same phone or email."""
    condition = Patient.date_of_birth == clean["date_of_birth"]
    if clean.get("phone"):
        condition |= Patient.phone == clean["phone"]
    if clean.get("email"):
        condition |= Patient.email == clean["email"]
    query = Patient.select(
        Patient.id, Patient.mrn, Patient.first_name, Patient.last_name, Patient.date_of_birth, Patient.phone,
        Patient.email, Patient.first_name_key, Patient.last_name_key, Patient.archived_at,
    ).where(condition & Patient.merged_into.is_null())
    last, first = name_key(clean["last_name"]), name_key(clean["first_name"])
    matches = []
    for row in await query.limit(200):
        if row["id"] == exclude_id:
            continue
        reasons = []
        if row["date_of_birth"] == clean["date_of_birth"] and (
            _similar(row["last_name_key"], last) or (_similar(row["first_name_key"], first) and
                                                    _similar(row["last_name_key"][:3], last[:3]))
        ):
            reasons.append("same date of birth, similar name")
        if clean.get("phone") and row["phone"] == clean["phone"]:
            reasons.append("same phone")
        if clean.get("email") and row["email"] == clean["email"]:
            reasons.append("same email")
        if reasons:
            matches.append({**row, "reasons": reasons})
    return matches[:10]


async def _check_provider(clean: dict) -> None:
    """A primary clinician must be someone who exists and sees patients."""
    provider = clean.get("primary_provider")
    if provider is not None and provider not in {row["id"] for row in await clinicians()}:
        raise Invalid({"primary_provider": "Choose a clinician from the list."})


async def register(values: dict, actor: Actor, locale: Locale, *, accept_duplicates: bool = False) -> int:
    clean = clean_patient(values, locale)
    await _check_provider(clean)
    if not accept_duplicates:
        matches = await possible_duplicates(clean)
        if matches:
            raise PossibleDuplicates(matches)
    national_id = clean.pop("national_id")
    engine = Patient._meta.db
    for _ in range(5):  # a new MRN collides with an existing one once in ~100,000 registrations
        try:
            async with engine.transaction():
                now = clock.now()
                rows = await Patient.insert(
                    Patient(mrn=new_mrn(), **clean, **search_keys(clean), created_at=now, updated_at=now,
                            created_by=actor.staff_id, updated_by=actor.staff_id)
                )
                patient_id = rows[0]["id"]
                if national_id:
                    await _store_national_id(patient_id, national_id)
                await record("patient.create", actor, entity_type="patient", entity_id=patient_id,
                             patient_id=patient_id)
                return patient_id
        except IntegrityViolation as violation:
            if violation.involves("mrn"):
                continue
            raise
    raise RuntimeError("could not allocate a medical record number")


async def _store_national_id(patient_id: int, national_id: str) -> None:
    cipher = fields.cipher()
    await Patient.update({
        Patient.national_id: cipher.seal(Patient, "national_id", patient_id, national_id),
        Patient.national_id_index: cipher.blind_index(Patient, "national_id", national_id),
    }).where(Patient.id == patient_id)


async def get_patient(patient_id: int) -> dict:
    row = await Patient.select(
        *Patient._meta.columns, Patient.primary_provider.display_name.as_alias("provider_name"),
        Patient.updated_by,
    ).where(Patient.id == patient_id).first()
    if row is None:
        raise PatientNotFound(patient_id)
    return row


def national_id_masked(row: dict) -> str:
    value = fields.cipher().open(Patient, "national_id", row["id"], row["national_id"])
    return mask_identifier(value)


async def reveal_national_id(patient_id: int, actor: Actor, country: str) -> str:
    row = await get_patient(patient_id)
    value = fields.cipher().open(Patient, "national_id", patient_id, row["national_id"])
    await record("patient.reveal", actor, entity_type="patient", entity_id=patient_id, patient_id=patient_id,
                 detail="national_id")
    return format_national_id(value, country)


async def find_by_national_id(value: str, country: str) -> list[int]:
    """Exact match through the blind index: no row is decrypted to search."""
    normalised = normalise_national_id(value, country)
    digest = fields.cipher().blind_index(Patient, "national_id", normalised)
    rows = await Patient.select(Patient.id).where(Patient.national_id_index == digest)
    return [row["id"] for row in rows]


def _comparable(value):
    return "" if value is None else value


async def update(patient_id: int, values: dict, version: int, actor: Actor, locale: Locale) -> int:
    """Save an edit made from ``version``; returns the new version, or raises EditConflict."""
    clean = clean_patient(values, locale)
    await _check_provider(clean)
    national_id = clean.pop("national_id")
    engine = Patient._meta.db
    async with engine.transaction():
        current = await for_update(Patient.select().where(Patient.id == patient_id)).first()
        if current is None:
            raise PatientNotFound(patient_id)
        if current["version"] != version:
            changed = [name for name in EDITABLE if _comparable(current[name]) != _comparable(clean.get(name))]
            by = ""
            if current["updated_by"]:
                person = await Staff.select(Staff.full_name).where(Staff.id == current["updated_by"]).first()
                by = person["full_name"] if person else ""
            raise EditConflict(current=current, changed=changed, by=by)
        changed = [name for name in EDITABLE if _comparable(current[name]) != _comparable(clean.get(name))]
        old_id = fields.cipher().open(Patient, "national_id", patient_id, current["national_id"])
        if national_id != old_id and (national_id or "national_id" in values):
            changed.append("national_id")
            if national_id:
                await _store_national_id(patient_id, national_id)
            else:
                await Patient.update({Patient.national_id: "", Patient.national_id_index: ""}).where(
                    Patient.id == patient_id)
        new_version = current["version"] + 1
        await Patient.update({
            **{getattr(Patient, name): clean[name] for name in EDITABLE},
            **{getattr(Patient, name): value for name, value in search_keys(clean).items()},
            Patient.version: new_version, Patient.updated_at: clock.now(), Patient.updated_by: actor.staff_id,
        }).where(Patient.id == patient_id)
        # Which fields changed, never their values.
        await record("patient.update", actor, entity_type="patient", entity_id=patient_id, patient_id=patient_id,
                     detail=",".join(changed)[:200])
    return new_version


async def set_archived(patient_id: int, archived: bool, actor: Actor) -> None:
    engine = Patient._meta.db
    async with engine.transaction():
        current = await for_update(Patient.select(Patient.archived_at, Patient.merged_into).where(
            Patient.id == patient_id)).first()
        if current is None:
            raise PatientNotFound(patient_id)
        if current["merged_into"] and not archived:
            raise ValueError("a merged record cannot be restored")
        await Patient.update({
            Patient.archived_at: clock.now() if archived else None,
            Patient.version: Patient.version + 1, Patient.updated_by: actor.staff_id,
            Patient.updated_at: clock.now(),
        }).where(Patient.id == patient_id)
        await record("patient.archive" if archived else "patient.restore", actor, entity_type="patient",
                     entity_id=patient_id, patient_id=patient_id)


# -- insurance ---------------------------------------------------------------------


async def insurance_of(patient_id: int, *, include_inactive: bool = False) -> list[dict]:
    condition = PatientInsurance.patient == patient_id
    if not include_inactive:
        condition &= PatientInsurance.active == True  # noqa: E712
    rows = await PatientInsurance.select().where(condition).order_by(PatientInsurance.priority).order_by(
        PatientInsurance.id)
    for row in rows:
        number = fields.cipher().open(PatientInsurance, "member_number", row["id"], row["member_number"])
        row["member_number_masked"] = mask_identifier(number)
    return rows


async def add_insurance(patient_id: int, values: dict, actor: Actor) -> int:
    clean = clean_insurance(values)
    member = clean.pop("member_number")
    cipher = fields.cipher()
    engine = PatientInsurance._meta.db
    async with engine.transaction():
        rows = await PatientInsurance.insert(PatientInsurance(patient=patient_id, **clean, created_by=actor.staff_id,
                                                              updated_by=actor.staff_id))
        insurance_id = rows[0]["id"]
        await PatientInsurance.update({
            PatientInsurance.member_number: cipher.seal(PatientInsurance, "member_number", insurance_id, member),
            PatientInsurance.member_number_index: cipher.blind_index(PatientInsurance, "member_number", member),
        }).where(PatientInsurance.id == insurance_id)
        await record("insurance.create", actor, entity_type="insurance", entity_id=insurance_id,
                     patient_id=patient_id)
    return insurance_id


async def end_insurance(patient_id: int, insurance_id: int, actor: Actor) -> None:
    await _require_insurance(patient_id, insurance_id)
    await PatientInsurance.update({PatientInsurance.active: False, PatientInsurance.updated_by: actor.staff_id,
                                   PatientInsurance.updated_at: clock.now()}).where(
        PatientInsurance.id == insurance_id)
    await record("insurance.end", actor, entity_type="insurance", entity_id=insurance_id, patient_id=patient_id)


async def reveal_member_number(patient_id: int, insurance_id: int, actor: Actor) -> str:
    row = await _require_insurance(patient_id, insurance_id)
    value = fields.cipher().open(PatientInsurance, "member_number", insurance_id, row["member_number"])
    await record("patient.reveal", actor, entity_type="insurance", entity_id=insurance_id, patient_id=patient_id,
                 detail="member_number")
    return value


async def _require_insurance(patient_id: int, insurance_id: int) -> dict:
    row = await PatientInsurance.select().where(
        (PatientInsurance.id == insurance_id) & (PatientInsurance.patient == patient_id)).first()
    if row is None:
        raise PatientNotFound(insurance_id)
    return row


async def clinicians() -> list[dict]:
    from clinic.security.permissions import CLINICIAN_ROLES

    return await Staff.select(Staff.id, Staff.full_name, Staff.display_name).where(
        Staff.role.is_in([role.value for role in CLINICIAN_ROLES]) & (Staff.active == True)  # noqa: E712
    ).order_by(Staff.full_name)


async def set_policy_terms(patient_id: int, insurance_id: int, *, copay: int, coinsurance_percent: int,
                           deductible: int, actor: Actor) -> None:
    """What the patient pays under a policy (billing splits invoices by it): amounts in minor units."""
    errors = {}
    for name, value in (("copay", copay), ("deductible", deductible)):
        if not 0 <= value <= 10**11:
            errors[name] = "Enter an amount of zero or more."
    if not 0 <= coinsurance_percent <= 100:
        errors["coinsurance_percent"] = "Enter a percentage from 0 to 100."
    if errors:
        raise Invalid(errors)
    await _require_insurance(patient_id, insurance_id)
    engine = PatientInsurance._meta.db
    async with engine.transaction():
        await PatientInsurance.update({
            PatientInsurance.copay: copay, PatientInsurance.coinsurance_percent: coinsurance_percent,
            PatientInsurance.deductible: deductible, PatientInsurance.updated_by: actor.staff_id,
            PatientInsurance.updated_at: clock.now(),
        }).where(PatientInsurance.id == insurance_id)
        await record("insurance.terms", actor, entity_type="insurance", entity_id=insurance_id, patient_id=patient_id)
