"""The safety rules on their own: allergy by drug, class and cross-reactivity; duplicates; dose ranges."""

from __future__ import annotations

from decimal import Decimal

from clinic.prescriptions import druglist
from clinic.prescriptions.safety import check_prescription, names_same_drug


def checks(drug_name, allergies=(), medications=(), **values):
    warnings = check_prescription({"drug_name": drug_name, **values},
                                  [{"substance": s, "severity": "unknown"} for s in allergies],
                                  [{"name": m} for m in medications])
    return [(w.check, w.message) for w in warnings]


def test_the_shipped_list_has_the_classes_the_checks_need():
    classes = {drug.drug_class for drug in druglist.all_drugs()}
    assert {"penicillins", "cephalosporins", "sulfonamides", "nsaids", "opioids"} <= classes
    assert 150 <= len(druglist.all_drugs()) <= 300


def test_an_allergy_to_a_drug_warns_for_others_of_its_class():
    assert checks("Ampicillin", ["amoxicillin"]) == [
        ("allergy", "Allergy on file: amoxicillin. Ampicillin is one of the penicillins.")]


def test_a_penicillin_allergy_warns_of_cross_reactivity_with_cephalosporins():
    [(check, message)] = checks("Cephalexin", ["Penicillin"])
    assert check == "allergy" and "cross-reactivity is possible" in message


def test_class_words_as_people_write_them():
    assert checks("Naproxen", ["NSAIDs"])[0][0] == "allergy"
    assert checks("Ibuprofen", ["aspirin"])[0][0] == "allergy"
    assert checks("Oxycodone", ["opiates"])[0][0] == "allergy"
    assert checks("Sulfamethoxazole and trimethoprim", ["sulfa allergy"])[0][0] == "allergy"


def test_unrelated_allergies_and_free_text_stay_quiet():
    assert checks("Lisinopril", ["Peanuts", "Latex"]) == []
    assert checks("Grandma's tonic", ["Penicillin"]) == []
    # A free-text drug is still checked by name.
    assert checks("Amoxil 500", ["amoxil"])[0][0] == "allergy"


def test_the_same_drug_at_another_strength_is_a_duplicate_but_a_combination_is_not():
    assert names_same_drug("Amoxicillin 250 mg", "amoxicillin")
    assert not names_same_drug("Amoxicillin and clavulanate", "Amoxicillin")
    assert checks("Metformin", medications=["Metformin 500 mg"])[0][0] == "duplicate"


def test_doses_are_compared_in_mg_through_the_strength():
    assert checks("Ibuprofen", dose_amount=Decimal(2), dose_unit="tablet", strength="400 mg") == []
    [(check, message)] = checks("Ibuprofen", dose_amount=Decimal(3), dose_unit="tablet", strength="400 mg")
    assert check == "dose" and "1200 mg is above" in message
    assert checks("Levothyroxine", dose_amount=Decimal(50), dose_unit="mcg") == []
    assert checks("Levothyroxine", dose_amount=Decimal(1), dose_unit="g")[0][0] == "dose"
    assert checks("Albuterol", dose_amount=Decimal(20), dose_unit="puff") == []  # no range known
