"""The demo clinic's medical histories: plausible, deterministic, never real.

Built from one random generator passed in, so the same seed gives the same
charts. Free-text notes and identifiers go through the same encryption as
real data.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from clinic.clinical.tables import Allergy, HistoryItem, Immunization, Medication, Problem, VitalSigns
from clinic.patients.tables import Patient, PatientInsurance
from clinic.security import fields

UTC = dt.timezone.utc

ALLERGIES = [
    ("Penicillin", "Hives", "moderate"), ("Peanuts", "Anaphylaxis", "severe"), ("Sulfonamides", "Rash", "mild"),
    ("Latex", "Contact dermatitis", "mild"), ("Shellfish", "Swelling of lips", "moderate"),
    ("Ibuprofen", "Wheezing", "moderate"), ("Codeine", "Nausea and vomiting", "mild"),
    ("Bee stings", "Anaphylaxis", "severe"), ("Amoxicillin", "Rash", "mild"),
]
CONDITIONS = [
    ("Essential hypertension", "I10", [("Lisinopril", "10 mg", "once daily"), ("Amlodipine", "5 mg", "once daily")]),
    ("Type 2 diabetes mellitus without complications", "E11.9", [("Metformin", "500 mg", "twice daily")]),
    ("Hyperlipidemia, unspecified", "E78.5", [("Atorvastatin", "20 mg", "at night")]),
    ("Asthma, mild intermittent", "J45.20", [("Salbutamol inhaler", "100 mcg, 2 puffs", "as needed")]),
    ("Hypothyroidism, unspecified", "E03.9", [("Levothyroxine", "50 mcg", "once daily before breakfast")]),
    ("Gastro-esophageal reflux disease", "K21.9", [("Omeprazole", "20 mg", "once daily")]),
    ("Major depressive disorder, single episode", "F32.9", [("Sertraline", "50 mg", "once daily")]),
    ("Osteoarthritis of knee", "M17.9", [("Paracetamol", "1 g", "up to four times daily")]),
    ("Migraine without aura", "G43.009", [("Sumatriptan", "50 mg", "at onset, may repeat once")]),
    ("Chronic low back pain", "M54.50", []),
]
HISTORY = [
    ("surgical", "Appendectomy", "2009"), ("surgical", "Cesarean section", "2016"),
    ("surgical", "Knee arthroscopy", "2018"), ("family", "Father: myocardial infarction at 58", ""),
    ("family", "Mother: type 2 diabetes", ""), ("family", "Sister: breast cancer", ""),
    ("social", "Never smoker; drinks 2–3 units a week", ""), ("social", "Ex-smoker, quit 2015 (10 pack-years)", ""),
    ("social", "Works night shifts as a nurse", ""), ("medical", "Childhood asthma, resolved", "childhood"),
    ("medical", "Fractured left wrist", "2012"),
]
VACCINES = ["Influenza (seasonal)", "Tdap", "COVID-19 mRNA", "Hepatitis B", "Pneumococcal conjugate (PCV20)",
            "MMR", "Shingles (recombinant zoster)", "HPV"]
PAYERS = [("Aetna", "Choice POS II"), ("Blue Cross Blue Shield", "PPO"), ("Cigna", "Open Access Plus"),
          ("UnitedHealthcare", "Choice Plus"), ("Humana", "Gold Plus HMO"), ("Medicare", "Part B")]
STREETS = ["Maple Ave", "Oak Street", "Harbor Road", "Elm Court", "Sunset Blvd", "Pine Lane", "River Drive",
           "Cedar Way", "Hillside Terrace", "Market Street"]
CITIES = [("Springfield", "IL", "627"), ("Riverside", "CA", "925"), ("Fairview", "OR", "970"),
          ("Georgetown", "TX", "786"), ("Madison", "WI", "537")]
LANGUAGES = ["English", "English", "English", "Spanish", "Vietnamese", "Portuguese", "Arabic", "Polish"]
AREA_CODES = ["415", "212", "617", "312", "503", "512", "608"]


def demo_phone(rng: random.Random) -> str:
    # 555-0100..0199 are reserved for fiction in North America.
    return f"+1{rng.choice(AREA_CODES)}5550{rng.randrange(100, 200):03d}"[:12]


def demo_ssn(rng: random.Random) -> str:
    return f"{rng.randrange(100, 666):03d}{rng.randrange(10, 99):02d}{rng.randrange(1000, 9999):04d}"


def registration_details(rng: random.Random) -> dict:
    city, region, zip_prefix = rng.choice(CITIES)
    details = {
        "address_line1": f"{rng.randrange(1, 9999)} {rng.choice(STREETS)}",
        "address_line2": f"Apt {rng.randrange(1, 40)}" if rng.random() < 0.2 else "",
        "city": city, "region": region, "postal_code": f"{zip_prefix}{rng.randrange(10, 99)}",
        "preferred_language": rng.choice(LANGUAGES),
        "phone_alt": demo_phone(rng) if rng.random() < 0.25 else "",
    }
    return details


async def add_identifiers_and_insurance(rng: random.Random, patients: list[Patient]) -> None:
    cipher = fields.cipher()
    policies = []
    for patient in patients:
        if rng.random() < 0.7:
            ssn = demo_ssn(rng)
            await Patient.update({
                Patient.national_id: cipher.seal(Patient, "national_id", patient.id, ssn),
                Patient.national_id_index: cipher.blind_index(Patient, "national_id", ssn),
            }).where(Patient.id == patient.id)
        if rng.random() < 0.8:
            payer, plan = rng.choice(PAYERS)
            number = f"{payer[:1]}{rng.randrange(10**8, 10**9)}"
            policies.append((PatientInsurance(patient=patient.id, payer_name=payer, plan_name=plan,
                                              group_number=f"G{rng.randrange(1000, 9999)}"), number))
    for start in range(0, len(policies), 200):
        chunk = policies[start:start + 200]
        await PatientInsurance.insert(*[policy for policy, _ in chunk])
    for policy, number in policies:
        await PatientInsurance.update({
            PatientInsurance.member_number: cipher.seal(PatientInsurance, "member_number", policy.id, number),
            PatientInsurance.member_number_index: cipher.blind_index(PatientInsurance, "member_number", number),
        }).where(PatientInsurance.id == policy.id)


async def add_histories(rng: random.Random, patients: list[Patient], clinicians: list, today: dt.date) -> int:
    """Allergies, problems with their medications, history, immunisations, vitals."""
    rows: dict[type, list] = {table: [] for table in (Allergy, Problem, Medication, HistoryItem, Immunization,
                                                         VitalSigns)}
    notes: list[tuple[type, object, str]] = []
    for patient in patients:
        age_years = (today - patient.date_of_birth).days // 365
        author = rng.choice(clinicians)
        recorded = dt.datetime.combine(today - dt.timedelta(days=rng.randrange(30, 900)), dt.time(15), tzinfo=UTC)
        common = {"patient": patient.id, "recorded_by": author.id, "updated_by": author.id, "recorded_at": recorded,
                  "updated_at": recorded}
        for substance, reaction, severity in rng.sample(ALLERGIES, k=rng.choice([0, 0, 0, 1, 1, 2])):
            rows[Allergy].append(Allergy(substance=substance, reaction=reaction, severity=severity, **common))
        if age_years >= 18:
            for description, code, medicines in rng.sample(CONDITIONS, k=rng.choice([0, 1, 1, 2, 3])):
                onset = today - dt.timedelta(days=rng.randrange(200, 4000))
                rows[Problem].append(Problem(description=description, icd10_code=code, onset=onset, **common))
                for name, dose, frequency in medicines:
                    medication = Medication(name=name, dose=dose, frequency=frequency, route="by mouth",
                                            start_date=onset + dt.timedelta(days=14), prescriber=author.full_name,
                                            **common)
                    rows[Medication].append(medication)
                    if rng.random() < 0.15:
                        notes.append((Medication, medication, "Review dose at next visit; patient reports good adherence."))
            for kind, description, when in rng.sample(HISTORY, k=rng.choice([0, 1, 2])):
                rows[HistoryItem].append(HistoryItem(kind=kind, description=description, when_text=when, **common))
        for vaccine in rng.sample(VACCINES, k=rng.choice([0, 1, 2, 3])):
            given = today - dt.timedelta(days=rng.randrange(20, 2000))
            rows[Immunization].append(Immunization(vaccine=vaccine, given_on=given, dose_number="1",
                                                   lot_number=f"L{rng.randrange(10000, 99999)}", site="left deltoid",
                                                   given_by=author.full_name, **common))
        height = Decimal(rng.randrange(150, 195)) if age_years >= 16 else Decimal(50 + age_years * 6)
        weight = (height - 100 + Decimal(rng.randrange(-12, 25))).quantize(Decimal("0.1")) if age_years >= 16 else \
            Decimal(3 + age_years * 3)
        for reading in range(rng.choice([0, 1, 1, 2, 3])):
            measured = recorded + dt.timedelta(days=reading * rng.randrange(40, 200))
            vitals = VitalSigns(measured_at=measured, systolic=rng.randrange(105, 160), diastolic=rng.randrange(62, 98),
                                pulse=rng.randrange(55, 100), temperature_c=Decimal(f"36.{rng.randrange(4, 9)}"),
                                weight_kg=weight + Decimal(rng.randrange(-2, 3)), height_cm=height,
                                oxygen_saturation=rng.randrange(95, 100), respiratory_rate=rng.randrange(12, 20),
                                **common)
            rows[VitalSigns].append(vitals)
    total = 0
    for table, items in rows.items():
        for start in range(0, len(items), 250):
            await table.insert(*items[start:start + 250])
        total += len(items)
    cipher = fields.cipher()
    for table, item, text in notes:
        await table.update({table.notes: cipher.seal(table, "notes", item.id, text)}).where(table.id == item.id)
    return total
