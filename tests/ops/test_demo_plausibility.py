"""The demo clinic is believable: every generated fact fits the patient's age and sex.

The demo is loaded once per backend and read back from the database; each test
checks one clinical rule over every patient. The limits are written out here
from clinical norms (growth charts, paediatric vital-sign ranges, the US
immunisation schedule), not taken from the generator, so the generator cannot
pass by agreeing with itself.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from clinic.clinical.tables import Allergy, HistoryItem, Immunization, Medication, Problem, VitalSigns
from clinic.ops.demo import load_demo
from clinic.ops.demo_people import FIRST_NAMES_F, FIRST_NAMES_M
from clinic.patients.tables import Patient, PatientInsurance
from clinic.scheduling.tables import Appointment
from tests.conftest import harness_for

ZONE = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=ZONE)
TODAY = NOW.date()


def years_old(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def months_old(born: dt.date, on: dt.date) -> int:
    return (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)


@dataclass
class DemoClinic:
    patients: dict[int, dict]
    appointments: list[dict]
    chart: dict[str, list[dict]]
    policies: list[dict]

    def patient(self, row: dict) -> dict:
        return self.patients[row["patient"]]

    def age(self, row: dict, on: dt.date | dt.datetime) -> int:
        on = on.astimezone(ZONE).date() if isinstance(on, dt.datetime) else on
        return years_old(self.patient(row)["date_of_birth"], on)

    def children(self) -> list[dict]:
        return [p for p in self.patients.values() if years_old(p["date_of_birth"], TODAY) < 18]


async def read_demo() -> DemoClinic:
    patients = {row["id"]: row for row in await Patient.select()}
    chart = {table._meta.tablename: await table.select()
             for table in (Allergy, Problem, Medication, HistoryItem, Immunization, VitalSigns)}
    return DemoClinic(patients=patients, appointments=await Appointment.select(), chart=chart,
                      policies=await PatientInsurance.select())


@pytest.fixture(scope="module")
def demo(app, backend) -> DemoClinic:
    """The demo clinic of 23 November 2026, read back from this backend."""
    with harness_for(app, backend) as harness:
        harness.run(load_demo, ZONE, now=NOW)
        return harness.run(read_demo)


# Visit reasons

def test_no_man_child_or_woman_over_fifty_has_a_prenatal_visit(demo):
    for visit in demo.appointments:
        if re.search(r"prenatal|antenatal|pregnan|postpartum", visit["reason"], re.I):
            patient = demo.patient(visit)
            assert patient["sex"] == "female", visit
            assert 14 <= demo.age(visit, visit["starts_at"]) <= 50, visit


def test_a_prenatal_visit_is_for_a_woman_whose_chart_shows_a_pregnancy(demo):
    pregnant = {row["patient"] for row in demo.chart["problem"] if row["icd10_code"].startswith(("Z34", "O"))}
    for visit in demo.appointments:
        if "prenatal" in visit["reason"].lower():
            assert visit["patient"] in pregnant, visit


def test_checkups_fit_the_patients_age(demo):
    for visit in demo.appointments:
        age, reason = demo.age(visit, visit["starts_at"]), visit["reason"].lower()
        if "well-child" in reason or "well child" in reason:
            assert age < 18, visit
        if "medicare" in reason:
            assert age >= 65, visit
        if "annual physical" in reason:
            assert age >= 18, visit
        if "sports physical" in reason:
            assert 8 <= age <= 22, visit


def test_the_week_has_checkups_for_children_and_medicare_patients(demo):
    reasons = [visit["reason"].lower() for visit in demo.appointments]
    assert any("well-child" in reason for reason in reasons)
    assert any("medicare" in reason for reason in reasons)


def test_visits_for_one_sex_are_for_patients_of_that_sex(demo):
    for visit in demo.appointments:
        reason, sex = visit["reason"].lower(), demo.patient(visit)["sex"]
        if re.search(r"cervical|pap smear|contracepti|menopaus|mammogra", reason):
            assert sex == "female", visit
        if re.search(r"prostate|psa", reason):
            assert sex == "male", visit


def test_a_review_of_a_chronic_condition_is_for_a_patient_who_has_it(demo):
    codes: dict[int, set[str]] = {}
    for row in demo.chart["problem"]:
        codes.setdefault(row["patient"], set()).add(row["icd10_code"][:3])
    for visit in demo.appointments:
        reason, has = visit["reason"].lower(), codes.get(visit["patient"], set())
        if "diabetes" in reason:
            assert has & {"E10", "E11"}, visit
        if "asthma" in reason:
            assert "J45" in has, visit
        if "thyroid" in reason:
            assert has & {"E03", "E05"}, visit


def test_no_patient_is_booked_in_two_places_at_once(demo):
    by_patient: dict[int, list] = {}
    for visit in demo.appointments:
        if visit["status"] != "cancelled":
            by_patient.setdefault(visit["patient"], []).append((visit["starts_at"], visit["ends_at"]))
    for slots in by_patient.values():
        slots.sort()
        assert all(earlier[1] <= later[0] for earlier, later in zip(slots, slots[1:]))


# Emergency contacts

PARENTS = {"mother", "father", "parent", "guardian"}
# The youngest and oldest patient each relation could belong to: an adult
# child needs a patient old enough to have one, a living parent one young
# enough, and a spouse, sibling or friend is an adult's contact.
RELATION_AGES = {
    "mother": (0, 75), "father": (0, 75), "parent": (0, 75), "guardian": (0, 17),
    "spouse": (18, 130), "partner": (18, 130), "wife": (18, 130), "husband": (18, 130),
    "sister": (18, 130), "brother": (18, 130), "sibling": (18, 130), "friend": (18, 130),
    "daughter": (36, 130), "son": (36, 130), "child": (36, 130),
}
FEMALE_RELATIONS = {"mother", "wife", "sister", "daughter"}
MALE_RELATIONS = {"father", "husband", "brother", "son"}


def test_every_child_has_a_parent_or_guardian_as_emergency_contact(demo):
    children = demo.children()
    assert children
    for child in children:
        assert child["emergency_contact_relation"].lower() in PARENTS, child
        assert child["emergency_contact_name"] and child["emergency_contact_phone"], child


def test_most_childrens_contacts_share_the_childs_family_name(demo):
    children = demo.children()
    same = [child for child in children if child["emergency_contact_name"].endswith(" " + child["last_name"])]
    assert len(same) >= 0.7 * len(children)


def test_every_emergency_contact_relation_is_possible_at_the_patients_age(demo):
    for patient in demo.patients.values():
        relation = patient["emergency_contact_relation"].lower()
        if relation:
            youngest, oldest = RELATION_AGES[relation]
            assert youngest <= years_old(patient["date_of_birth"], TODAY) <= oldest, patient


def test_an_emergency_contact_has_a_name_relation_and_phone_or_none_of_them(demo):
    for patient in demo.patients.values():
        given = [bool(patient[f"emergency_contact_{part}"]) for part in ("name", "relation", "phone")]
        assert all(given) or not any(given), patient


def test_a_mother_or_daughter_has_a_womans_name_and_a_father_or_son_a_mans(demo):
    for patient in demo.patients.values():
        relation, first = patient["emergency_contact_relation"].lower(), patient["emergency_contact_name"].split(" ")[0]
        if relation in FEMALE_RELATIONS:
            assert first in FIRST_NAMES_F, patient
        if relation in MALE_RELATIONS:
            assert first in FIRST_NAMES_M, patient


# Vital signs. Ages are at the time of measurement; the ranges are wide
# (beyond the 1st and 99th percentiles) so they catch the impossible, not the unusual.

def vital_ranges(age: int, sex: str) -> dict[str, tuple[float, float]]:
    if age < 1:
        return {"height_cm": (45, 82), "weight_kg": (2, 14), "pulse": (90, 180), "respiratory_rate": (25, 60)}
    if age < 3:
        return {"height_cm": (68, 105), "weight_kg": (6.3, 20), "pulse": (80, 150), "respiratory_rate": (20, 40)}
    if age < 6:
        return {"height_cm": (85, 128), "weight_kg": (10, 30), "pulse": (70, 130), "respiratory_rate": (18, 30),
                "systolic": (80, 120), "diastolic": (40, 80)}
    if age < 10:
        return {"height_cm": (105, 150), "weight_kg": (15, 50), "pulse": (60, 120), "respiratory_rate": (14, 26),
                "systolic": (80, 125), "diastolic": (40, 85)}
    if age < 14:
        return {"height_cm": (125, 180), "weight_kg": (22, 85), "pulse": (55, 115), "respiratory_rate": (12, 24),
                "systolic": (85, 130), "diastolic": (45, 85)}
    if age < 18:
        return {"height_cm": (140, 200), "weight_kg": (35, 120), "pulse": (50, 110), "respiratory_rate": (10, 22),
                "systolic": (90, 135), "diastolic": (50, 88)}
    height = (140, 190) if sex == "female" else (150, 205)
    return {"height_cm": height, "weight_kg": (38, 180), "pulse": (45, 110), "respiratory_rate": (10, 22),
            "systolic": (90, 190), "diastolic": (50, 115)}


def test_vital_signs_are_in_range_for_the_patients_age_when_measured(demo):
    readings = demo.chart["vital_signs"]
    assert readings
    for reading in readings:
        ranges = vital_ranges(demo.age(reading, reading["measured_at"]), demo.patient(reading)["sex"])
        for name, (low, high) in ranges.items():
            assert reading[name] is not None and low <= reading[name] <= high, (name, reading)
        assert Decimal("35.8") <= reading["temperature_c"] <= Decimal("38.5"), reading
        assert 92 <= reading["oxygen_saturation"] <= 100, reading


def test_no_blood_pressure_is_taken_from_a_child_under_three(demo):
    for reading in demo.chart["vital_signs"]:
        if demo.age(reading, reading["measured_at"]) < 3:
            assert reading["systolic"] is None and reading["diastolic"] is None, reading


def test_the_diastolic_pressure_is_well_below_the_systolic(demo):
    for reading in demo.chart["vital_signs"]:
        if reading["systolic"] is not None:
            assert reading["diastolic"] <= reading["systolic"] - 20, reading


def test_bmi_is_plausible_for_adults_and_children(demo):
    for reading in demo.chart["vital_signs"]:
        bmi = float(reading["weight_kg"]) / (float(reading["height_cm"]) / 100) ** 2
        low, high = (16, 45) if demo.age(reading, reading["measured_at"]) >= 18 else (11, 32)
        assert low <= bmi <= high, (round(bmi, 1), reading)


def readings_by_patient(demo) -> dict[int, list[dict]]:
    by_patient: dict[int, list[dict]] = {}
    for reading in sorted(demo.chart["vital_signs"], key=lambda row: row["measured_at"]):
        by_patient.setdefault(reading["patient"], []).append(reading)
    return by_patient


def test_children_grow_between_visits(demo):
    grew = 0
    for readings in readings_by_patient(demo).values():
        for earlier, later in zip(readings, readings[1:]):
            apart = later["measured_at"] - earlier["measured_at"]
            if demo.age(later, later["measured_at"]) < 14 and apart >= dt.timedelta(days=60):
                assert later["height_cm"] > earlier["height_cm"], (earlier, later)
                assert later["weight_kg"] >= earlier["weight_kg"] - 1, (earlier, later)
                grew += 1
    assert grew > 0


def test_an_adults_height_stays_the_same_between_visits(demo):
    for readings in readings_by_patient(demo).values():
        for earlier, later in zip(readings, readings[1:]):
            if demo.age(earlier, earlier["measured_at"]) >= 20:
                assert abs(later["height_cm"] - earlier["height_cm"]) <= 1, (earlier, later)


# Dates

def test_nothing_in_a_chart_is_dated_before_birth_or_after_today(demo):
    dated = {"allergy": [], "problem": ["onset"], "medication": ["start_date"], "history_item": [],
             "immunization": ["given_on"], "vital_signs": ["measured_at"]}
    for table, columns in dated.items():
        for row in demo.chart[table]:
            born = demo.patient(row)["date_of_birth"]
            for column in ["recorded_at", *columns]:
                value = row[column]
                if value is not None:
                    day = value.astimezone(ZONE).date() if isinstance(value, dt.datetime) else value
                    assert born <= day <= TODAY, (table, column, row)


def test_an_entry_is_recorded_no_earlier_than_what_it_records(demo):
    for table, column in (("problem", "onset"), ("immunization", "given_on"), ("vital_signs", "measured_at")):
        for row in demo.chart[table]:
            happened = row[column]
            happened = happened.astimezone(ZONE).date() if isinstance(happened, dt.datetime) else happened
            assert row["recorded_at"].astimezone(ZONE).date() >= happened, (table, row)


def test_registration_and_the_last_visit_fall_between_birth_and_today(demo):
    for patient in demo.patients.values():
        registered = patient["created_at"].astimezone(ZONE).date()
        assert patient["date_of_birth"] <= registered <= TODAY, patient
        if patient["last_visit_at"] is not None:
            assert registered <= patient["last_visit_at"].astimezone(ZONE).date() <= TODAY, patient


# Problems, medicines, immunisations, history

def test_no_man_child_or_woman_over_fifty_has_a_pregnancy_problem(demo):
    for problem in demo.chart["problem"]:
        if problem["icd10_code"].startswith(("O", "Z33", "Z34", "Z3A")) or "pregnan" in problem["description"].lower():
            assert demo.patient(problem)["sex"] == "female", problem
            assert 14 <= demo.age(problem, problem["onset"]) <= 50, problem


# Conditions that begin in adulthood, with the youngest plausible age at onset.
ADULT_CONDITIONS = {"I10": 18, "E11": 18, "E78": 18, "M17": 35, "M54": 18, "M81": 45, "N40": 40}
# Medicines a child would not be prescribed in primary care.
ADULT_MEDICINES = ("vastatin", "metformin", "lisinopril", "amlodipine", "sumatriptan", "alendronate",
                   "tamsulosin", "sertraline", "omeprazole 40")


def test_adult_conditions_begin_in_adulthood(demo):
    for problem in demo.chart["problem"]:
        youngest = ADULT_CONDITIONS.get(problem["icd10_code"][:3])
        if youngest is not None:
            assert demo.age(problem, problem["onset"]) >= youngest, problem


def test_no_child_is_on_an_adult_medicine(demo):
    for medication in demo.chart["medication"]:
        name = f"{medication['name']} {medication['dose']}".lower()
        if any(medicine in name for medicine in ADULT_MEDICINES):
            assert demo.age(medication, medication["start_date"]) >= 18, medication


def test_an_inhaler_is_inhaled_and_a_cream_applied_to_the_skin(demo):
    for medication in demo.chart["medication"]:
        name = medication["name"].lower()
        if "inhaler" in name:
            assert medication["route"] == "inhaled", medication
        if "cream" in name or "ointment" in name:
            assert medication["route"] == "topical", medication


# The ages, in months, at which each vaccine is given (US schedule; catch-up included).
# A combined vaccine ("DTaP-IPV/Hib") must fit every part of it.
VACCINE_AGES = {
    "hepatitis b": (0, 1560), "rotavirus": (1, 8), "dtap": (1, 83), "hib": (1, 59), "ipv": (1, 215),
    "mmr": (12, 215), "varicella": (12, 215), "hepatitis a": (12, 215), "tdap": (84, 1560),
    "hpv": (108, 323), "menacwy": (120, 263), "influenza": (6, 1560), "covid": (6, 1560),
    "pcv15": (1, 71), "pcv20": (780, 1560), "zoster": (600, 1560),
}


def test_vaccines_are_given_at_the_ages_they_are_given_at(demo):
    for dose in demo.chart["immunization"]:
        vaccine = dose["vaccine"].lower()
        windows = [ages for name, ages in VACCINE_AGES.items() if name in vaccine]
        assert windows, dose
        months = months_old(demo.patient(dose)["date_of_birth"], dose["given_on"])
        assert all(youngest <= months <= oldest for youngest, oldest in windows), dose


def test_infants_are_vaccinated_in_the_thigh_not_the_arm(demo):
    for dose in demo.chart["immunization"]:
        if months_old(demo.patient(dose)["date_of_birth"], dose["given_on"]) < 12:
            assert "deltoid" not in dose["site"], dose


def test_history_fits_the_patients_sex_and_lifetime(demo):
    for item in demo.chart["history_item"]:
        patient = demo.patient(item)
        if re.search(r"cesarean|caesarean|hysterectomy|pregnan", item["description"], re.I):
            assert patient["sex"] == "female", item
        for year in re.findall(r"\b(?:19|20)\d\d\b", f"{item['description']} {item['when_text']}"):
            assert patient["date_of_birth"].year <= int(year) <= TODAY.year, item
        if re.search(r"smoker|works|retired|drinks", item["description"], re.I):
            assert years_old(patient["date_of_birth"], TODAY) >= 18, item


def test_no_allergy_is_recorded_for_a_substance_a_baby_cannot_have_met(demo):
    for allergy in demo.chart["allergy"]:
        if demo.age(allergy, TODAY) < 2:
            assert allergy["substance"].lower() not in {"latex", "shellfish", "codeine", "bee stings"}, allergy


# Insurance

def test_medicare_covers_only_patients_of_sixty_five_and_over(demo):
    for policy in demo.policies:
        if "medicare" in f"{policy['payer_name']} {policy['plan_name']}".lower():
            assert demo.age(policy, TODAY) >= 65, policy


def test_a_childs_private_insurance_is_held_by_a_parent(demo):
    for policy in demo.policies:
        if demo.age(policy, TODAY) < 18 and "medicaid" not in policy["payer_name"].lower():
            assert policy["subscriber_relation"] == "child", policy
