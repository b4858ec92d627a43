"""Safety checks before a prescription is signed: pure rules, no database.

- an active allergy to the drug itself, to its class ("sulfa" and
  sulfamethoxazole), or to a class that cross-reacts (penicillin and a
  cephalosporin);
- the same drug already on the current medications;
- a dose outside the list's usual adult single dose, where the list knows one.

A free-text drug gets the name checks only; the warnings say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from clinic.prescriptions.druglist import (
    RELATED_CLASSES,
    Drug,
    by_name,
    class_words,
    classes_named_by,
    folded,
    plain,
    to_mg,
)

# Units a dose is given in that the strength converts to mg.
PER_UNIT = {"tablet", "tablets", "capsule", "capsules"}


@dataclass(frozen=True)
class Warning:
    check: str  # allergy, duplicate, dose
    message: str

    @property
    def code(self) -> str:
        return f"{self.check}:{self.message}"


def _words(text: str) -> set[str]:
    return {word for word in re.split(r"[^a-z0-9]+", folded(text)) if len(word) > 2}


def names_same_drug(a: str, b: str) -> bool:
    """"Amoxicillin" and "amoxicillin 500 mg capsule": the same drug; "Amoxicillin and clavulanate" is not."""
    a, b = folded(a), folded(b)
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    rest = longer[len(shorter):]
    return longer.startswith(shorter) and bool(re.match(r"^ [0-9(]", rest))


def allergy_warnings(drug_name: str, drug: Drug | None, allergies: list[dict]) -> list[Warning]:
    warnings = []
    for allergy in allergies:
        substance = allergy["substance"]
        severity = allergy.get("severity") or "unknown"
        said = f"{substance} ({severity})" if severity != "unknown" else substance
        allergic_to = classes_named_by(substance)
        same_name = names_same_drug(substance, drug_name) or bool(
            _words(substance) and _words(substance) <= _words(drug_name))
        if same_name:
            warnings.append(Warning("allergy", f"Allergy on file: {said}. This is the same drug."))
        elif drug is not None and drug.drug_class in allergic_to:
            warnings.append(Warning("allergy", f"Allergy on file: {said}. {drug.name} is one of the "
                                               f"{class_words(drug.drug_class)}."))
        elif drug is not None and any(drug.drug_class in RELATED_CLASSES.get(key, ()) for key in allergic_to):
            related = next(key for key in allergic_to if drug.drug_class in RELATED_CLASSES.get(key, ()))
            warnings.append(Warning("allergy", f"Allergy on file: {said} ({class_words(related)}). "
                                               f"{drug.name} is one of the {class_words(drug.drug_class)}: "
                                               f"cross-reactivity is possible."))
    return warnings


def duplicate_warnings(drug_name: str, medications: list[dict]) -> list[Warning]:
    for medication in medications:
        if names_same_drug(medication["name"], drug_name):
            detail = " ".join(part for part in (medication.get("dose", ""), medication.get("frequency", "")) if part)
            since = f" {detail}" if detail else ""
            return [Warning("duplicate", f"{medication['name']}{since} is already on the current medications.")]
    return []


def dose_in_mg(drug: Drug, amount: Decimal | None, unit: str, strength: str) -> Decimal | None:
    if amount is None:
        return None
    unit = unit.casefold()
    direct = to_mg(amount, unit)
    if direct is not None:
        return direct
    if unit in PER_UNIT:
        per_unit = drug.strength_mg(strength) if strength else None
        return amount * per_unit if per_unit is not None else None
    return None


def dose_warnings(drug: Drug | None, amount: Decimal | None, unit: str, strength: str) -> list[Warning]:
    if drug is None or drug.dose_low_mg is None:
        return []
    mg = dose_in_mg(drug, amount, unit, strength)
    if mg is None:
        return []
    if mg < drug.dose_low_mg or mg > drug.dose_high_mg:
        side = "above" if mg > drug.dose_high_mg else "below"
        return [Warning("dose", f"A dose of {plain(mg)} mg is {side} the usual adult single dose of "
                                f"{drug.name} ({drug.usual_dose}).")]
    return []


def check_prescription(values: dict, allergies: list[dict], medications: list[dict]) -> list[Warning]:
    """Every warning for a prescription's values (drug_name, strength, dose_amount, dose_unit)."""
    name = values.get("drug_name") or ""
    drug = by_name(name)
    return (allergy_warnings(name, drug, allergies) + duplicate_warnings(name, medications)
            + dose_warnings(drug, values.get("dose_amount"), values.get("dose_unit") or "", values.get("strength") or ""))
