"""What the demo clinic may say about a patient of a given age and sex.

The demo draws every visit reason, emergency contact, condition, medicine,
vaccine, history item, allergy and insurance plan from these tables, so a
19-year-old man never has a prenatal visit and a 6-year-old's emergency
contact is a parent. Ages are whole years on the day in question (months for
vaccines): an entry from three years ago is judged by the patient's age then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

FEMALE, MALE = "female", "male"
BOTH = (FEMALE, MALE)


def age_in_years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_in_months(born: dt.date, on: dt.date) -> int:
    return (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)


@dataclass(frozen=True)
class Fits:
    """Who something fits: ages in whole years (both ends included) and sexes."""

    youngest: int = 0
    oldest: int = 130
    sexes: tuple[str, ...] = BOTH

    def admits(self, age: int, sex: str = FEMALE) -> bool:
        return self.youngest <= age <= self.oldest and sex in self.sexes


WOMEN, MEN = (FEMALE,), (MALE,)


# Visit reasons --------------------------------------------------------------

@dataclass(frozen=True)
class VisitReason:
    fits: Fits
    needs: str = ""  # an ICD-10 code prefix the patient's problem list must have
    nurse: bool = False  # booked with the nurse (15 minutes) rather than a doctor
    weight: int = 1  # how often it is the reason, among those that fit


VISIT_REASONS = {
    "Well-child visit": VisitReason(Fits(0, 17), weight=6),
    "Sports physical": VisitReason(Fits(10, 18)),
    "Annual physical": VisitReason(Fits(18, 64), weight=3),
    "Medicare annual wellness visit": VisitReason(Fits(65), weight=4),
    "Fever": VisitReason(Fits(0, 12)),
    "Cough": VisitReason(Fits(0)),
    "Skin rash": VisitReason(Fits(0)),
    "Follow-up": VisitReason(Fits(0), weight=3),
    "Ear pain": VisitReason(Fits(1, 64)),
    "Travel consultation": VisitReason(Fits(1, 80)),
    "Sore throat": VisitReason(Fits(3)),
    "Headache": VisitReason(Fits(6)),
    "Knee pain": VisitReason(Fits(12)),
    "Fatigue": VisitReason(Fits(16)),
    "Back pain": VisitReason(Fits(18)),
    "Lab results": VisitReason(Fits(18)),
    "Contraception consultation": VisitReason(Fits(16, 48, WOMEN)),
    "Cervical screening": VisitReason(Fits(21, 65, WOMEN)),
    "Menopause symptoms": VisitReason(Fits(45, 58, WOMEN)),
    "Prostate screening discussion": VisitReason(Fits(50, 75, MEN)),
    "Medication review": VisitReason(Fits(65)),
    "Memory concerns": VisitReason(Fits(70)),
    "Falls assessment": VisitReason(Fits(75)),
    # Visits about what the chart already shows.
    "Prenatal visit": VisitReason(Fits(14, 50, WOMEN), needs="Z34"),
    "Diabetes review": VisitReason(Fits(18), needs="E11"),
    "Blood pressure review": VisitReason(Fits(18), needs="I10"),
    "Asthma review": VisitReason(Fits(3), needs="J45"),
    "Thyroid review": VisitReason(Fits(18), needs="E03"),
    "ADHD medication review": VisitReason(Fits(6), needs="F90"),
    "Mood follow-up": VisitReason(Fits(16), needs="F32"),
    # The nurse's list.
    "Vaccination": VisitReason(Fits(0), nurse=True, weight=2),
    "Wound check": VisitReason(Fits(2), nurse=True),
    "Blood test": VisitReason(Fits(12), nurse=True),
    "Blood pressure check": VisitReason(Fits(30), nurse=True),
}


def reason_fits(reason: str, age: int, sex: str, codes: Iterable[str] = ()) -> bool:
    rule = VISIT_REASONS[reason]
    return rule.fits.admits(age, sex) and (not rule.needs or any(code.startswith(rule.needs) for code in codes))


def visit_reasons_for(age: int, sex: str, codes: Iterable[str], *, nurse: bool) -> tuple[list[str], list[str]]:
    """(reasons about the patient's own conditions, everyday reasons) a visit could have."""
    codes = list(codes)
    fitting = [reason for reason, rule in VISIT_REASONS.items()
               if rule.nurse == nurse and reason_fits(reason, age, sex, codes)]
    return ([reason for reason in fitting if VISIT_REASONS[reason].needs],
            [reason for reason in fitting if not VISIT_REASONS[reason].needs])


# Emergency contacts ----------------------------------------------------------

@dataclass(frozen=True)
class Relation:
    patients: Fits  # the patient ages this relation is possible for
    sex: str = ""  # the contact's sex, when the word says it
    shares_name: float = 0.0  # how often the contact has the patient's family name


EMERGENCY_RELATIONS = {
    # A parent is alive and reachable for a patient up to about 70.
    "mother": Relation(Fits(0, 70), FEMALE, 0.75),
    "father": Relation(Fits(0, 70), MALE, 0.95),
    "guardian": Relation(Fits(0, 17), "", 0.3),
    "spouse": Relation(Fits(20), "", 0.6),
    "partner": Relation(Fits(18), "", 0.15),
    "sister": Relation(Fits(18), FEMALE, 0.6),
    "brother": Relation(Fits(18), MALE, 0.95),
    # An adult son or daughter needs a patient of 40 or more.
    "daughter": Relation(Fits(40), FEMALE, 0.6),
    "son": Relation(Fits(40), MALE, 0.95),
    "friend": Relation(Fits(18), "", 0.0),
}


def relation_fits(relation: str, age: int) -> bool:
    rule = EMERGENCY_RELATIONS.get(relation)
    return rule is not None and rule.patients.admits(age)


def likely_relations(age: int) -> dict[str, int]:
    """Who a patient of this age usually names, with weights; only relations that fit."""
    if age < 18:
        weights = {"mother": 55, "father": 35, "guardian": 10}
    elif age < 25:
        weights = {"mother": 40, "father": 20, "partner": 15, "sister": 10, "brother": 8, "friend": 7}
    elif age < 40:
        weights = {"spouse": 40, "partner": 20, "mother": 15, "father": 5, "sister": 10, "brother": 7, "friend": 3}
    elif age < 65:
        weights = {"spouse": 50, "partner": 10, "daughter": 8, "son": 7, "sister": 10, "brother": 7, "mother": 5,
                   "friend": 3}
    else:
        weights = {"spouse": 40, "daughter": 25, "son": 20, "sister": 7, "brother": 4, "friend": 4}
    return {relation: weight for relation, weight in weights.items() if relation_fits(relation, age)}


# Conditions and their medicines ----------------------------------------------

@dataclass(frozen=True)
class Medicine:
    name: str
    dose: str
    frequency: str
    route: str = "by mouth"
    fits: Fits = Fits()  # the patient's age when it is started


@dataclass(frozen=True)
class Condition:
    description: str
    icd10: str
    onset: Fits  # the patient's age and sex when it begins
    medicines: tuple[Medicine, ...] = ()
    unsafe_in_pregnancy: bool = False  # its usual medicine is (ACE inhibitors, statins)


CONDITIONS = (
    Condition("Essential hypertension", "I10", Fits(30), (
        Medicine("Lisinopril", "10 mg", "once daily", fits=Fits(18)),
        Medicine("Amlodipine", "5 mg", "once daily", fits=Fits(18))), unsafe_in_pregnancy=True),
    Condition("Type 2 diabetes mellitus without complications", "E11.9", Fits(30), (
        Medicine("Metformin", "500 mg", "twice daily with meals", fits=Fits(18)),)),
    Condition("Hyperlipidemia, unspecified", "E78.5", Fits(35), (
        Medicine("Atorvastatin", "20 mg", "at night", fits=Fits(18)),), unsafe_in_pregnancy=True),
    Condition("Asthma, mild intermittent", "J45.20", Fits(3, 60), (
        Medicine("Salbutamol inhaler", "100 mcg, 2 puffs", "as needed", "inhaled"),)),
    Condition("Hypothyroidism, unspecified", "E03.9", Fits(20), (
        Medicine("Levothyroxine", "50 mcg", "once daily before breakfast"),)),
    Condition("Gastro-esophageal reflux disease", "K21.9", Fits(18), (
        Medicine("Omeprazole", "20 mg", "once daily", fits=Fits(18)),)),
    Condition("Major depressive disorder, single episode", "F32.9", Fits(18), (
        Medicine("Sertraline", "50 mg", "once daily", fits=Fits(18)),)),
    Condition("Osteoarthritis of knee", "M17.9", Fits(45), (
        Medicine("Paracetamol", "1 g", "up to four times daily", fits=Fits(18)),)),
    Condition("Migraine without aura", "G43.009", Fits(16, 50), (
        Medicine("Sumatriptan", "50 mg", "at onset, may repeat once", fits=Fits(18)),)),
    Condition("Chronic low back pain", "M54.50", Fits(25)),
    Condition("Atopic dermatitis", "L20.9", Fits(0, 5), (
        Medicine("Emollient cream", "apply liberally", "twice daily", "topical"),
        Medicine("Hydrocortisone 1% cream", "thin layer", "twice daily during flares", "topical"))),
    Condition("Attention-deficit hyperactivity disorder, combined type", "F90.2", Fits(6, 12), (
        Medicine("Methylphenidate extended-release", "18 mg", "once daily in the morning", fits=Fits(6)),)),
    Condition("Allergic rhinitis due to pollen", "J30.1", Fits(3, 40), (
        Medicine("Cetirizine", "5 mg", "once daily", fits=Fits(2, 11)),
        Medicine("Cetirizine", "10 mg", "once daily", fits=Fits(12)))),
    Condition("Benign prostatic hyperplasia with lower urinary tract symptoms", "N40.1", Fits(50, 130, MEN), (
        Medicine("Tamsulosin", "0.4 mg", "once daily at bedtime"),)),
    Condition("Age-related osteoporosis without current pathological fracture", "M81.0", Fits(55, 130, WOMEN), (
        Medicine("Alendronate", "70 mg", "once weekly, fasting"),), unsafe_in_pregnancy=True),
)
PREGNANCY = Condition("Encounter for supervision of normal pregnancy, unspecified trimester", "Z34.90",
                      Fits(18, 44, WOMEN), (Medicine("Prenatal multivitamin", "1 tablet", "once daily"),))


def conditions_possible(age: int, sex: str) -> list[Condition]:
    """Conditions a patient of this age could have begun by now (not pregnancy: it is chosen on its own)."""
    return [condition for condition in CONDITIONS
            if age >= condition.onset.youngest and sex in condition.onset.sexes]


# Immunisations ----------------------------------------------------------------

# The ages in months each vaccine is given at (the US schedule, catch-up included).
VACCINE_MONTHS = {
    "Hepatitis B": (0, 1559),
    "Rotavirus": (1, 8),
    "DTaP-IPV/Hib": (1, 59),
    "DTaP-IPV": (48, 83),
    "Pneumococcal conjugate (PCV15)": (1, 71),
    "MMR": (12, 215),
    "Varicella": (12, 215),
    "Hepatitis A": (12, 215),
    "Tdap": (84, 1559),
    "HPV": (108, 323),
    "Meningococcal conjugate (MenACWY)": (120, 263),
    "Influenza (seasonal)": (6, 1559),
    "COVID-19 mRNA": (6, 1559),
    "Shingles (recombinant zoster)": (600, 1559),
    "Pneumococcal conjugate (PCV20)": (780, 1559),
}
# (vaccine, dose, age in months): what a child has had by each birthday.
CHILDHOOD_SCHEDULE = (
    ("Hepatitis B", 1, 0), ("Hepatitis B", 2, 1),
    ("DTaP-IPV/Hib", 1, 2), ("Pneumococcal conjugate (PCV15)", 1, 2), ("Rotavirus", 1, 2),
    ("DTaP-IPV/Hib", 2, 4), ("Pneumococcal conjugate (PCV15)", 2, 4), ("Rotavirus", 2, 4),
    ("DTaP-IPV/Hib", 3, 6), ("Pneumococcal conjugate (PCV15)", 3, 6), ("Rotavirus", 3, 6), ("Hepatitis B", 3, 6),
    ("MMR", 1, 12), ("Varicella", 1, 12), ("Hepatitis A", 1, 12), ("Pneumococcal conjugate (PCV15)", 4, 12),
    ("DTaP-IPV/Hib", 4, 15), ("Hepatitis A", 2, 18),
    ("DTaP-IPV", 5, 48), ("MMR", 2, 48), ("Varicella", 2, 48),
    ("Tdap", 1, 132), ("HPV", 1, 132), ("Meningococcal conjugate (MenACWY)", 1, 132),
    ("HPV", 2, 138), ("Meningococcal conjugate (MenACWY)", 2, 192),
)


def vaccine_fits(vaccine: str, age_months: int) -> bool:
    youngest, oldest = VACCINE_MONTHS[vaccine]
    return youngest <= age_months <= oldest


def injection_site(vaccine: str, age_months: int, left: bool) -> str:
    """Rotavirus is swallowed; injections go in the thigh until the arm has muscle enough (about 3)."""
    if vaccine == "Rotavirus":
        return "oral"
    side = "left" if left else "right"
    return f"{side} thigh" if age_months < 36 else f"{side} deltoid"


# History and allergies ------------------------------------------------------

@dataclass(frozen=True)
class HistoryEvent:
    kind: str  # medical, surgical, family, social
    description: str  # "{year}" is filled in with the year it happened
    fits: Fits  # the patient's age and sex now
    happened: tuple[int, int] | None = None  # the ages it happens at; its year is shown
    when_text: str = ""


HISTORY = (
    HistoryEvent("surgical", "Appendectomy", Fits(10), (8, 60)),
    HistoryEvent("surgical", "Tonsillectomy", Fits(6), (4, 12)),
    HistoryEvent("surgical", "Cesarean section", Fits(22, 130, WOMEN), (20, 44)),
    HistoryEvent("surgical", "Knee arthroscopy", Fits(28), (25, 70)),
    # Family history the patient's age allows: a father who had a heart attack at 58 has a grown child.
    HistoryEvent("family", "Father: myocardial infarction at 58", Fits(25)),
    HistoryEvent("family", "Mother: type 2 diabetes", Fits(10)),
    HistoryEvent("family", "Mother: asthma", Fits(0)),
    HistoryEvent("family", "Sister: breast cancer", Fits(30)),
    HistoryEvent("social", "Never smoker; drinks 2–3 units a week", Fits(21)),
    HistoryEvent("social", "Ex-smoker, quit {year} (10 pack-years)", Fits(35), (30, 70)),
    HistoryEvent("social", "Works night shifts as a nurse", Fits(23, 64)),
    HistoryEvent("social", "Retired teacher; walks daily", Fits(63)),
    HistoryEvent("social", "Lives with parents; goes to daycare", Fits(1, 4)),
    HistoryEvent("social", "Lives with parents; attends school", Fits(5, 17)),
    HistoryEvent("medical", "Born at term (39 weeks), normal delivery", Fits(0, 17), when_text="at birth"),
    HistoryEvent("medical", "Childhood asthma, resolved", Fits(16), when_text="childhood"),
    HistoryEvent("medical", "Fractured left wrist", Fits(8), (6, 70)),
)


def history_possible(age: int, sex: str) -> list[HistoryEvent]:
    return [event for event in HISTORY if event.fits.admits(age, sex)]


@dataclass(frozen=True)
class AllergyKind:
    substance: str
    reaction: str
    severity: str
    fits: Fits  # old enough to have met the substance


ALLERGIES = (
    AllergyKind("Amoxicillin", "Rash", "mild", Fits(0)),
    AllergyKind("Cow's milk protein", "Vomiting and blood in stool", "moderate", Fits(0, 4)),
    AllergyKind("Penicillin", "Hives", "moderate", Fits(1)),
    AllergyKind("Peanuts", "Anaphylaxis", "severe", Fits(1)),
    AllergyKind("Ibuprofen", "Wheezing", "moderate", Fits(2)),
    AllergyKind("Sulfonamides", "Rash", "mild", Fits(2)),
    AllergyKind("Shellfish", "Swelling of lips", "moderate", Fits(3)),
    AllergyKind("Bee stings", "Anaphylaxis", "severe", Fits(3)),
    AllergyKind("Latex", "Contact dermatitis", "mild", Fits(5)),
    AllergyKind("Codeine", "Nausea and vomiting", "mild", Fits(12)),
)


# Insurance ------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    payer: str
    plan: str
    fits: Fits
    own: bool = False  # a public plan: the patient is always the policy holder


PLANS = (
    Plan("Aetna", "Choice POS II", Fits(0, 64)),
    Plan("Blue Cross Blue Shield", "PPO", Fits(0, 64)),
    Plan("Cigna", "Open Access Plus", Fits(0, 64)),
    Plan("UnitedHealthcare", "Choice Plus", Fits(0, 64)),
    Plan("Medicaid", "CHIP", Fits(0, 18), own=True),
    Plan("Medicaid", "Managed care", Fits(19, 64), own=True),
    Plan("Medicare", "Part B", Fits(65), own=True),
    Plan("Humana", "Gold Plus HMO (Medicare Advantage)", Fits(65), own=True),
)


def plans_for(age: int) -> list[Plan]:
    return [plan for plan in PLANS if plan.fits.admits(age)]


def subscriber_relations(age: int, plan: Plan) -> dict[str, int]:
    """Who holds the policy, as the patient's relation to them (weights): children are on a parent's plan."""
    if plan.own:
        return {"self": 1}
    if age < 18:
        return {"child": 1}
    if age < 26:
        return {"child": 1, "self": 1}
    return {"self": 3, "spouse": 1}
