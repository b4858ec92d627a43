"""Payers, the clinic's claim settings, and eligibility checks of patients' policies.

A policy whose last check is older than ``RECENT_DAYS`` (or never checked, or last found
inactive) is flagged at arrival: front desk checks it again before the visit is billed.
"""

from __future__ import annotations

import datetime as dt
import re

from clinic.audit.services import Actor, record
from clinic.claims import queries
from clinic.claims.tables import ClaimSettings, EligibilityCheck, Payer
from clinic.core import clock
from clinic.core.errors import Invalid
from clinic.db.transactions import for_update

CLAIM_FORMATS = {"837p": "Electronic (837P)", "csv": "CSV file", "paper": "Paper (CMS-1500)"}
RESULTS = {"active": "Active coverage", "inactive": "Not covered", "unknown": "Could not confirm"}
RECENT_DAYS = 30


class PayerNotFound(LookupError):
    pass


class EditConflict(Exception):
    pass


def _text(values: dict, name: str, limit: int, errors: dict, *, required: bool = False, label: str = "") -> str:
    value = " ".join(str(values.get(name) or "").split())
    if required and not value:
        errors[name] = f"Enter the {label or name.replace('_', ' ')}."
    elif len(value) > limit:
        errors[name] = f"Use at most {limit} characters."
    return value


def check_payer(values: dict) -> dict:
    errors: dict[str, str] = {}
    clean = {
        "name": _text(values, "name", 120, errors, required=True, label="payer's name"),
        "payer_code": _text(values, "payer_code", 80, errors, required=True, label="payer id"),
        "address_line1": _text(values, "address_line1", 120, errors),
        "city": _text(values, "city", 60, errors),
        "region": _text(values, "region", 2, errors).upper(),
        "postal_code": _text(values, "postal_code", 15, errors),
        "claim_format": values.get("claim_format") or "837p",
        "active": bool(values.get("active", True)),
    }
    if "payer_code" not in errors and not re.fullmatch(r"[A-Za-z0-9]+", clean["payer_code"]):
        errors["payer_code"] = "Use letters and digits only, as the payer lists it."
    if clean["claim_format"] not in CLAIM_FORMATS:
        errors["claim_format"] = "Choose one of the options."
    if errors:
        raise Invalid(errors)
    return clean


async def list_payers(*, active_only: bool = False) -> list[dict]:
    query = Payer.select().order_by(Payer.name)
    if active_only:
        query = query.where(Payer.active == True)  # noqa: E712
    rows = await query
    for row in rows:
        row["format_label"] = CLAIM_FORMATS.get(row["claim_format"], row["claim_format"])
    return rows


async def get_payer(payer_id: int) -> dict:
    row = await Payer.select().where(Payer.id == payer_id).first()
    if row is None:
        raise PayerNotFound(payer_id)
    return row


async def _name_taken(name: str, except_id: int | None = None) -> bool:
    rows = await Payer.select(Payer.id, Payer.name)
    return any(row["name"].casefold() == name.casefold() and row["id"] != except_id for row in rows)


async def add_payer(values: dict, actor: Actor) -> int:
    clean = check_payer(values)
    if await _name_taken(clean["name"]):
        raise Invalid({"name": "A payer with this name exists already."})
    async with Payer._meta.db.transaction():
        rows = await Payer.insert(Payer(**clean, updated_at=clock.now(), updated_by=actor.staff_id))
        await record("claims.payer_add", actor, entity_type="payer", entity_id=rows[0]["id"], detail=clean["name"])
    return rows[0]["id"]


async def update_payer(payer_id: int, values: dict, version: int, actor: Actor) -> None:
    clean = check_payer(values)
    await get_payer(payer_id)
    if await _name_taken(clean["name"], payer_id):
        raise Invalid({"name": "A payer with this name exists already."})
    async with Payer._meta.db.transaction():
        row = await for_update(Payer.select(Payer.version).where(Payer.id == payer_id)).first()
        if row is None or row["version"] != version:
            raise EditConflict(payer_id)
        await Payer.update({**{getattr(Payer, key): value for key, value in clean.items()},
                            Payer.version: version + 1, Payer.updated_at: clock.now(),
                            Payer.updated_by: actor.staff_id}).where(Payer.id == payer_id)
        await record("claims.payer_update", actor, entity_type="payer", entity_id=payer_id, detail=clean["name"])


async def payer_for_policy(policy: dict) -> dict | None:
    """The payer whose name the policy carries (as typed on the insurance card)."""
    wanted = " ".join((policy.get("payer_name") or "").split()).casefold()
    for row in await list_payers(active_only=True):
        if row["name"].casefold() == wanted:
            return row
    return None


# -- the clinic's identifiers ------------------------------------------------------------

SETTINGS_DEFAULTS = {"billing_npi": "", "tax_id": "", "submitter_id": "", "receiver_id": "", "receiver_name": "",
                     "contact_phone": "", "waiting_days": 30, "test_mode": True, "version": 0}


async def claim_settings() -> dict:
    row = await ClaimSettings.select().where(ClaimSettings.singleton == 1).first()
    return row or dict(SETTINGS_DEFAULTS)


def npi_is_valid(npi: str) -> bool:
    """The NPI check digit: Luhn over "80840" + the first nine digits."""
    if not re.fullmatch(r"\d{10}", npi or ""):
        return False
    digits = [int(d) for d in "80840" + npi[:9]]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def check_settings(values: dict) -> dict:
    errors: dict[str, str] = {}
    clean = {
        "billing_npi": _text(values, "billing_npi", 10, errors),
        "tax_id": re.sub(r"\D", "", str(values.get("tax_id") or "")),
        "submitter_id": _text(values, "submitter_id", 15, errors),
        "receiver_id": _text(values, "receiver_id", 15, errors),
        "receiver_name": _text(values, "receiver_name", 60, errors),
        "contact_phone": re.sub(r"\D", "", str(values.get("contact_phone") or "")),
        "waiting_days": values.get("waiting_days") or 30,
        "test_mode": bool(values.get("test_mode")),
    }
    if clean["billing_npi"] and not npi_is_valid(clean["billing_npi"]):
        errors["billing_npi"] = "This is not a valid NPI (10 digits with its check digit)."
    if clean["tax_id"] and len(clean["tax_id"]) != 9:
        errors["tax_id"] = "Enter the 9 digits of the tax id (EIN)."
    if len(clean["contact_phone"]) not in (0, 10):
        errors["contact_phone"] = "Enter a 10-digit phone number."
    for name in ("submitter_id", "receiver_id"):
        if clean[name] and not re.fullmatch(r"[A-Za-z0-9]+", clean[name]):
            errors[name] = "Use letters and digits only."
    if not isinstance(clean["waiting_days"], int) or not 1 <= clean["waiting_days"] <= 365:
        errors["waiting_days"] = "Enter a number of days from 1 to 365."
    if errors:
        raise Invalid(errors)
    return clean


async def save_claim_settings(values: dict, version: int, actor: Actor) -> None:
    clean = check_settings(values)
    engine = ClaimSettings._meta.db
    async with engine.transaction():
        current = await for_update(ClaimSettings.select().where(ClaimSettings.singleton == 1)).first()
        if (current["version"] if current else 0) != version:
            raise EditConflict("claim settings")
        if current is None:
            await ClaimSettings.insert(ClaimSettings(singleton=1, **clean, version=1, updated_at=clock.now()))
        else:
            await ClaimSettings.update({**{getattr(ClaimSettings, k): v for k, v in clean.items()},
                                        ClaimSettings.version: version + 1,
                                        ClaimSettings.updated_at: clock.now()}).where(ClaimSettings.singleton == 1)
        await record("claims.settings", actor, entity_type="claim_settings", entity_id=1)


def missing_identifiers(settings: dict) -> list[str]:
    """What an 837P needs from the clinic and is not set yet."""
    labels = {"billing_npi": "billing NPI", "tax_id": "tax id", "submitter_id": "submitter id",
              "receiver_id": "receiver id", "receiver_name": "receiver name", "contact_phone": "contact phone"}
    return [label for key, label in labels.items() if not settings.get(key)]


# -- eligibility --------------------------------------------------------------------------


async def record_eligibility(policy_id: int, checked_on: dt.date, result: str, reference: str, note: str,
                             actor: Actor) -> int:
    errors = {}
    patient_id = await queries.policy_patient(policy_id)
    if patient_id is None:
        raise Invalid({"policy_id": "Choose one of the patient's policies."})
    if result not in RESULTS:
        errors["result"] = "Choose one of the options."
    if checked_on > clock.now().date():
        errors["checked_on"] = "A check cannot be in the future."
    reference = " ".join((reference or "").split())
    note = " ".join((note or "").split())
    if len(reference) > 80:
        errors["reference"] = "Use at most 80 characters."
    if len(note) > 300:
        errors["note"] = "Use at most 300 characters."
    if errors:
        raise Invalid(errors)
    async with EligibilityCheck._meta.db.transaction():
        rows = await EligibilityCheck.insert(EligibilityCheck(
            policy=policy_id, patient=patient_id, checked_on=checked_on, result=result, reference=reference,
            note=note, checked_by=actor.staff_id, created_at=clock.now()))
        await record("claims.eligibility", actor, entity_type="policy", entity_id=policy_id, patient_id=patient_id,
                     detail=result)
    return rows[0]["id"]


def eligibility_flag(last_check: dict | None, today: dt.date) -> str:
    """Why a policy needs checking again at arrival, or "" when its last check is recent and active."""
    if last_check is None:
        return "Eligibility never checked"
    if last_check["result"] != "active":
        return f"Last check: {RESULTS.get(last_check['result'], last_check['result']).lower()}"
    days = (today - last_check["checked_on"]).days
    if days > RECENT_DAYS:
        return f"Eligibility not checked in {days} days"
    return ""


async def arrival_flags(patient_ids: list[int], today: dt.date) -> dict[int, str]:
    """For the day's list: each patient whose active policy needs checking, with why (the primary
    policy first). Two queries however many patients."""
    ids = sorted(set(patient_ids))
    if not ids:
        return {}
    policies = await queries.active_policies_of(ids)
    last: dict[int, dict] = {}
    rows = await EligibilityCheck.select(EligibilityCheck.policy, EligibilityCheck.checked_on,
                                         EligibilityCheck.result, EligibilityCheck.id).where(
        EligibilityCheck.patient.is_in(ids))
    for row in sorted(rows, key=lambda row: (row["checked_on"], row["id"])):
        last[row["policy"]] = row  # oldest first: the last one wins
    flags: dict[int, str] = {}
    for policy in sorted(policies, key=lambda row: (row["priority"] != "primary", row["id"])):
        if policy["patient"] in flags:
            continue
        flag = eligibility_flag(last.get(policy["id"]), today)
        if flag:
            flags[policy["patient"]] = f"{policy['payer_name']}: {flag[0].lower()}{flag[1:]}"
    return flags


async def eligibility_of(patient_id: int, today: dt.date) -> list[dict]:
    """The patient's active policies, each with its last check and the flag to show at arrival."""
    policies = [row for row in await queries.policies_of(patient_id) if row["active"]]
    checks = await EligibilityCheck.select().where(EligibilityCheck.patient == patient_id).order_by(
        EligibilityCheck.checked_on, ascending=False).order_by(EligibilityCheck.id, ascending=False)
    names = await queries.staff_names({row["checked_by"] for row in checks})
    for policy in policies:
        history = [row for row in checks if row["policy"] == policy["id"]]
        for row in history:
            row["result_label"] = RESULTS.get(row["result"], row["result"])
            row["checked_by_name"] = names.get(row["checked_by"], "")
        policy["checks"] = history[:5]
        policy["last_check"] = history[0] if history else None
        policy["flag"] = eligibility_flag(policy["last_check"], today)
    return policies
