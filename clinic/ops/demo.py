"""A realistic, deterministic demo clinic.

The same seed gives the same clinic: staff, a few hundred patients with
medical histories, and a week of appointments around today (three days back,
three ahead; closed on Sunday, doctors only on Saturday morning), in the
clinic's time zone and working hours, with no clinician double-booked. Only the
dates move with the calendar, so the demo always shows a busy "today".
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from clinic.core import clock
from clinic.ops.demo_history import add_histories, add_identifiers_and_insurance, demo_phone, registration_details
from clinic.patients.identifiers import new_mrn
from clinic.patients.normalise import name_key, phone_search_key
from clinic.patients.tables import Patient
from clinic.scheduling.tables import Appointment
from clinic.security.passwords import hash_password
from clinic.security.tables import Staff

SEED = 2026
PATIENT_COUNT = 300

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
REASONS = [
    "Annual physical", "Follow-up", "Blood pressure check", "Vaccination", "Sore throat", "Back pain",
    "Diabetes review", "Medication review", "Skin rash", "Headache", "Prenatal visit", "Lab results",
    "Asthma review", "Ear pain", "Well-child visit", "Knee pain", "Fatigue", "Travel consultation",
]


@dataclass(frozen=True)
class DemoStaff:
    full_name: str
    display_name: str
    role: str
    email: str
    colour: str
    sees_patients: bool


DEMO_STAFF = [
    DemoStaff("Dr. Amara Okafor", "Dr. Okafor", "doctor", "amara.okafor@demo.clinic", "teal", True),
    DemoStaff("Dr. Samuel Reyes", "Dr. Reyes", "doctor", "samuel.reyes@demo.clinic", "indigo", True),
    DemoStaff("Priya Natarajan, RN", "Nurse Priya", "nurse", "priya.natarajan@demo.clinic", "amber", True),
    DemoStaff("Tom Becker", "Tom", "receptionist", "tom.becker@demo.clinic", "", False),
    DemoStaff("Grace Liu", "Grace", "billing", "grace.liu@demo.clinic", "", False),
    DemoStaff("Alex Morgan", "Alex", "admin", "alex.morgan@demo.clinic", "", False),
]


def demo_password(person: DemoStaff) -> str:
    return f"demo-{person.role}-password-2026"


def demo_sign_ins() -> list[str]:
    lines = []
    for person in DEMO_STAFF:
        note = "  (sets up two-step sign-in first)" if person.role == "admin" else ""
        lines.append(f"{person.role:<13} {person.email} / {demo_password(person)}{note}")
    return lines


async def is_empty() -> bool:
    return await Staff.count() == 0 and await Patient.count() == 0


async def load_demo(zone: ZoneInfo, *, now: dt.datetime | None = None, patient_count: int = PATIENT_COUNT) -> dict:
    """Fill an empty database with the demo clinic; returns what was created.

    ``now`` places the demo week (and today's statuses: earlier visits done,
    later ones booked); the same seed and ``now`` give the same clinic.
    """
    rng = random.Random(SEED)
    now = (now or clock.now()).astimezone(zone)
    today = now.date()

    staff_rows = [
        Staff(email=person.email, email_key=person.email.lower(), full_name=person.full_name,
              display_name=person.display_name, role=person.role, colour=person.colour,
              password_hash=hash_password(demo_password(person)))
        for person in DEMO_STAFF
    ]
    await Staff.insert(*staff_rows)
    clinicians = [row for row, person in zip(staff_rows, DEMO_STAFF) if person.sees_patients]

    patients = _demo_patients(rng, patient_count, today, clinicians)
    for start in range(0, len(patients), 200):
        await Patient.insert(*patients[start:start + 200])
    await add_identifiers_and_insurance(rng, patients)
    chart_entries = await add_histories(rng, patients, clinicians, today)

    appointments = _demo_week(rng, zone, now, clinicians, patients)
    for start in range(0, len(appointments), 200):
        await Appointment.insert(*appointments[start:start + 200])
    await _note_last_visits(appointments)
    return {"staff": len(staff_rows), "patients": len(patients), "appointments": len(appointments),
            "chart_entries": chart_entries}


def _demo_patients(rng: random.Random, count: int, today: dt.date, clinicians: list) -> list[Patient]:
    patients, mrns = [], set()
    for _ in range(count):
        female = rng.random() < 0.52
        first = rng.choice(FIRST_NAMES_F if female else FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES)
        age_days = int(rng.triangular(30, 95 * 365, 40 * 365))
        mrn = new_mrn(rng)
        while mrn in mrns:
            mrn = new_mrn(rng)
        mrns.add(mrn)
        handle = name_key(f"{first}.{last}").replace(" ", "")
        preferred = NICKNAMES.get(first, "") if rng.random() < 0.4 else ""
        phone = demo_phone(rng)
        visited = rng.random() < 0.85
        registered = dt.datetime.combine(today - dt.timedelta(days=rng.randrange(950, 3000)), dt.time(14),
                                         tzinfo=dt.timezone.utc)
        patients.append(
            Patient(
                mrn=mrn,
                first_name=first,
                last_name=last,
                preferred_name=preferred,
                date_of_birth=today - dt.timedelta(days=age_days),
                sex="female" if female else "male",
                phone=phone,
                email=f"{handle}{rng.randrange(1, 99)}@example.com" if rng.random() < 0.7 else "",
                emergency_contact_name=f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} {last}" if rng.random() < 0.6 else "",
                emergency_contact_relation=rng.choice(["spouse", "parent", "sibling", "child"]),
                emergency_contact_phone=demo_phone(rng),
                primary_provider=rng.choice(clinicians).id,
                last_visit_at=dt.datetime.combine(today - dt.timedelta(days=rng.randrange(10, 900)), dt.time(16),
                                                  tzinfo=dt.timezone.utc) if visited else None,
                last_name_key=name_key(last),
                first_name_key=name_key(first),
                preferred_name_key=name_key(preferred),
                phone_key=phone_search_key(phone),
                created_at=registered,
                updated_at=registered,
                **registration_details(rng),
            )
        )
    return patients


async def _note_last_visits(appointments: list[Appointment]) -> None:
    latest: dict[int, dt.datetime] = {}
    for appointment in appointments:
        if appointment.status == "completed":
            latest[appointment.patient] = max(latest.get(appointment.patient, appointment.starts_at),
                                              appointment.starts_at)
    for patient_id, when in latest.items():
        await Patient.update({Patient.last_visit_at: when}).where(Patient.id == patient_id)


def _demo_week(rng, zone, now, clinicians, patients) -> list[Appointment]:
    appointments = []
    today = now.date()
    for offset in range(-3, 4):
        day = today + dt.timedelta(days=offset)
        if day.weekday() == 6:
            continue  # closed on Sundays; Saturday is a doctors' morning clinic
        weekend = day.weekday() == 5
        for clinician in clinicians:
            if weekend and clinician.role != "doctor":
                continue
            cursor = dt.datetime.combine(day, dt.time(8, 30), tzinfo=zone)
            closing = dt.datetime.combine(day, dt.time(12, 30) if weekend else dt.time(17, 0), tzinfo=zone)
            while True:
                cursor += dt.timedelta(minutes=rng.choice([0, 0, 15, 30, 45]))
                length = dt.timedelta(minutes=rng.choice([15, 15, 30, 30, 45]) if clinician.role == "doctor" else 15)
                if cursor + length > closing:
                    break
                if rng.random() < 0.55:
                    appointments.append(
                        Appointment(
                            patient=rng.choice(patients).id,
                            provider=clinician.id,
                            starts_at=cursor.astimezone(dt.timezone.utc),
                            ends_at=(cursor + length).astimezone(dt.timezone.utc),
                            status=_status(rng, cursor + length <= now, cursor <= now),
                            reason=rng.choice(REASONS),
                        )
                    )
                cursor += length
    return appointments


def _status(rng: random.Random, over: bool, started: bool) -> str:
    roll = rng.random()
    if over:
        return "no_show" if roll < 0.06 else "cancelled" if roll < 0.1 else "completed"
    if started:
        return "arrived"
    return "cancelled" if roll < 0.05 else "booked"
