"""The demo clinic's patients: who they are, who to call, how they are insured.

About one patient in five is a child, as in a family practice. A child's
emergency contact is a parent or guardian, usually with the child's family
name; an adult names someone their age makes possible (a son or daughter only
from 40, a parent only up to 70). Registration and visits fall between birth
and today.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from clinic.ops.demo_rules import (
    EMERGENCY_RELATIONS,
    FEMALE,
    MALE,
    age_in_years,
    likely_relations,
    plans_for,
    subscriber_relations,
)
from clinic.patients.identifiers import new_mrn
from clinic.patients.normalise import name_key, phone_search_key
from clinic.patients.tables import Patient, PatientInsurance
from clinic.security import fields

UTC = dt.timezone.utc

FIRST_NAMES_F = [
    "Amara", "Beatriz", "Chloé", "Dana", "Elena", "Fatima", "Grace", "Hana", "Ingrid", "Jasmine", "Keiko",
    "Leila", "María", "Nadia", "Olivia", "Priya", "Rosa", "Sofía", "Tamar", "Uma", "Valentina", "Wen",
    "Yasmin", "Zoë", "Aoife", "Brigitte", "Carmen", "Daphne", "Esther", "Francesca", "Greta", "Helena",
]
FIRST_NAMES_M = [
    "Aarav", "Bruno", "Carlos", "Dmitri", "Emeka", "François", "Gabriel", "Hiroshi", "Ibrahim", "Jakub",
    "Kwame", "Liam", "Mateo", "Noah", "Omar", "Pedro", "Quentin", "Rafael", "Samuel", "Tomás", "Umar",
    "Viktor", "William", "Xavier", "Yusuf", "Zoltán", "Andrés", "Björn", "Connor", "Diego", "Élie", "Felix",
]
LAST_NAMES = [
    "Okafor", "García", "Nguyen", "Smith", "Johnson", "Müller", "Rossi", "Kowalski", "O'Brien", "Patel",
    "Kim", "Haddad", "Silva", "Andersson", "Dubois", "Novak", "Tanaka", "Cohen", "Hernández", "Mensah",
    "Ivanova", "Brown", "Davies", "Fernández", "Lefèvre", "Nakamura", "Popescu", "Santos", "Weber", "Yilmaz",
    "Zhang", "Chen", "Murphy", "Jensen", "Costa", "Papadopoulos", "Khan", "Ahmed", "Wilson", "Taylor",
    "Martin", "Lopez", "Moore", "Clark", "Lewis", "Walker", "Hall", "Young", "Allen", "King",
]
NICKNAMES = {
    "Valentina": "Vale", "Francesca": "Fran", "Elena": "Lena", "Helena": "Lena", "Beatriz": "Bia", "Jasmine": "Jas",
    "Gabriel": "Gabe", "Samuel": "Sam", "William": "Will", "Dmitri": "Dima", "Rafael": "Rafa", "Xavier": "Xavi",
    "Andrés": "Andy", "Tomás": "Tom", "Christopher": "Chris", "Ibrahim": "Ibo", "Hiroshi": "Hiro", "Zoltán": "Zoli",
}
STREETS = ["Maple Ave", "Oak Street", "Harbor Road", "Elm Court", "Sunset Blvd", "Pine Lane", "River Drive",
           "Cedar Way", "Hillside Terrace", "Market Street"]
CITIES = [("Springfield", "IL", "627"), ("Riverside", "CA", "925"), ("Fairview", "OR", "970"),
          ("Georgetown", "TX", "786"), ("Madison", "WI", "537")]
LANGUAGES = ["English", "English", "English", "Spanish", "Vietnamese", "Portuguese", "Arabic", "Polish"]
AREA_CODES = ["415", "212", "617", "312", "503", "512", "608"]
CHILD_SHARE = 0.2


@dataclass
class DemoPatient:
    """A patient row and what the rest of the demo needs to know about them."""

    row: Patient
    born: dt.date
    sex: str
    registered: dt.date
    visits: list[dt.date]  # past visits, oldest first; vital signs are taken at each
    codes: set[str] = field(default_factory=set)  # ICD-10 codes on the problem list, filled in by the chart


def demo_phone(rng: random.Random) -> str:
    # 555-0100..0199 are reserved for fiction in North America.
    return f"+1{rng.choice(AREA_CODES)}5550{rng.randrange(100, 200):03d}"[:12]


def demo_ssn(rng: random.Random) -> str:
    return f"{rng.randrange(100, 666):03d}{rng.randrange(10, 99):02d}{rng.randrange(1000, 9999):04d}"


def demo_patients(rng: random.Random, count: int, today: dt.date, clinicians: list) -> list[DemoPatient]:
    people, mrns = [], set()
    # A nurse is nobody's primary care provider.
    doctors = [person for person in clinicians if person.role == "doctor"] or clinicians
    for _ in range(count):
        sex = FEMALE if rng.random() < 0.52 else MALE
        first = rng.choice(FIRST_NAMES_F if sex == FEMALE else FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES)
        born = today - dt.timedelta(days=_age_in_days(rng))
        age = age_in_years(born, today)
        mrn = new_mrn(rng)
        while mrn in mrns:
            mrn = new_mrn(rng)
        mrns.add(mrn)
        preferred = NICKNAMES.get(first, "") if rng.random() < 0.4 else ""
        phone = demo_phone(rng)
        contact_name, relation = emergency_contact(rng, age, sex, last)
        registered = _registration_day(rng, born, today)
        visits = _visit_days(rng, registered, today, age)
        registered_at = dt.datetime.combine(registered, dt.time(14), tzinfo=UTC)
        row = Patient(
            mrn=mrn,
            first_name=first,
            last_name=last,
            preferred_name=preferred,
            date_of_birth=born,
            sex=sex,
            phone=phone,
            email=_email(rng, age, f"{first}.{last}", contact_name),
            emergency_contact_name=contact_name,
            emergency_contact_relation=relation,
            emergency_contact_phone=demo_phone(rng) if contact_name else "",
            primary_provider=rng.choice(doctors).id,
            last_visit_at=dt.datetime.combine(visits[-1], dt.time(16), tzinfo=UTC) if visits else None,
            last_name_key=name_key(last),
            first_name_key=name_key(first),
            preferred_name_key=name_key(preferred),
            phone_key=phone_search_key(phone),
            created_at=registered_at,
            updated_at=registered_at,
            **registration_details(rng),
        )
        people.append(DemoPatient(row=row, born=born, sex=sex, registered=registered, visits=visits))
    return people


def _age_in_days(rng: random.Random) -> int:
    if rng.random() < CHILD_SHARE:
        return rng.randrange(30, 18 * 365)
    return int(rng.triangular(18 * 365 + 5, 95 * 365, 45 * 365))


def emergency_contact(rng: random.Random, age: int, sex: str, family_name: str) -> tuple[str, str]:
    """(name, relation) of someone a patient of this age would name, or ("", "") for none.

    Every child has a parent or guardian on file; a quarter of adults give nobody.
    """
    if age >= 18 and rng.random() < 0.25:
        return "", ""
    weights = likely_relations(age)
    relation = rng.choices(list(weights), weights=list(weights.values()))[0]
    rule = EMERGENCY_RELATIONS[relation]
    contact_sex = rule.sex
    if not contact_sex:
        other = MALE if sex == FEMALE else FEMALE
        contact_sex = other if relation in ("spouse", "partner") and rng.random() < 0.9 else rng.choice([FEMALE, MALE])
    first = rng.choice(FIRST_NAMES_F if contact_sex == FEMALE else FIRST_NAMES_M)
    last = family_name if rng.random() < rule.shares_name else rng.choice(LAST_NAMES)
    return f"{first} {last}", relation


def _email(rng: random.Random, age: int, own_name: str, contact_name: str) -> str:
    # A young child's email on file is the parent's.
    name = contact_name.replace(" ", ".") if age < 13 else own_name
    if rng.random() >= 0.7:
        return ""
    return f"{name_key(name).replace(' ', '')}{rng.randrange(1, 99)}@example.com"


def _registration_day(rng: random.Random, born: dt.date, today: dt.date) -> dt.date:
    day = today - dt.timedelta(days=rng.randrange(950, 3000))
    if day <= born:
        # Registered as a newborn, in the first fortnight.
        day = min(born + dt.timedelta(days=rng.randrange(3, 15)), today - dt.timedelta(days=1))
    return day


def _visit_days(rng: random.Random, registered: dt.date, today: dt.date, age: int) -> list[dt.date]:
    """Past visits within the last two and a half years; children come more often (check-ups)."""
    count = rng.choice([1, 2, 2, 3, 3] if age < 18 else [0, 1, 1, 2, 3])
    start = max(registered, today - dt.timedelta(days=900))
    span = max(1, (today - start).days - 1)
    day, days = start + dt.timedelta(days=rng.randrange(span)), []
    for _ in range(count):
        if day >= today:
            break
        days.append(day)
        day += dt.timedelta(days=rng.randrange(40, 200))
    return days


def registration_details(rng: random.Random) -> dict:
    city, region, zip_prefix = rng.choice(CITIES)
    return {
        "address_line1": f"{rng.randrange(1, 9999)} {rng.choice(STREETS)}",
        "address_line2": f"Apt {rng.randrange(1, 40)}" if rng.random() < 0.2 else "",
        "city": city, "region": region, "postal_code": f"{zip_prefix}{rng.randrange(10, 99)}",
        "preferred_language": rng.choice(LANGUAGES),
        "phone_alt": demo_phone(rng) if rng.random() < 0.25 else "",
    }


HOLDERS = ("Maria", "James", "Linda", "Robert", "Patricia", "Michael", "Susan", "David")


async def add_identifiers_and_insurance(rng: random.Random, people: list[DemoPatient], today: dt.date) -> None:
    """Social security numbers and insurance plans the patient's age allows (Medicare from 65)."""
    cipher = fields.cipher()
    policies = []
    for person in people:
        patient, age = person.row, age_in_years(person.born, today)
        if rng.random() < 0.7:
            ssn = demo_ssn(rng)
            await Patient.update({
                Patient.national_id: cipher.seal(Patient, "national_id", patient.id, ssn),
                Patient.national_id_index: cipher.blind_index(Patient, "national_id", ssn),
            }).where(Patient.id == patient.id)
        if rng.random() < 0.8:
            plan = rng.choice(plans_for(age))
            holders = subscriber_relations(age, plan)
            number = f"{plan.payer[:1]}{rng.randrange(10**8, 10**9)}"
            group = "" if plan.own else f"G{rng.randrange(1000, 9999)}"
            relation = rng.choices(list(holders), weights=list(holders.values()))[0]
            # A holder who is not the patient is named as claims need it (no draw: the rest stays as it was).
            holder = {} if relation == "self" else {"subscriber_last_name": patient.last_name,
                                                     "subscriber_first_name": HOLDERS[patient.id % len(HOLDERS)]}
            policies.append((PatientInsurance(
                patient=patient.id, payer_name=plan.payer, plan_name=plan.plan, group_number=group,
                subscriber_relation=relation, **holder), number))
    for start in range(0, len(policies), 200):
        chunk = policies[start:start + 200]
        await PatientInsurance.insert(*[policy for policy, _ in chunk])
    for policy, number in policies:
        await PatientInsurance.update({
            PatientInsurance.member_number: cipher.seal(PatientInsurance, "member_number", policy.id, number),
            PatientInsurance.member_number_index: cipher.blind_index(PatientInsurance, "member_number", number),
        }).where(PatientInsurance.id == policy.id)
