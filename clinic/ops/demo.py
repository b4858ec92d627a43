"""A realistic, deterministic demo clinic.

The same seed gives the same clinic: staff, a few hundred patients with
medical histories, and an appointment book (demo_book): three weeks of history
and the next four weeks filled within the clinicians' working hours, with no
clinician double-booked except on purpose. Only the dates move with the
calendar, so the demo always shows a busy "today".

Every fact fits the patient it is about (demo_rules): visit reasons, emergency
contacts and insurance by age and sex (demo_people), conditions, medicines,
vaccines and history at the age they happen (demo_history), and growth and
vital signs by age (demo_growth).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from clinic.core import clock
from clinic.ops import demo_book
from clinic.ops.demo_billing import add_demo_billing
from clinic.ops.demo_claims import add_demo_claims
from clinic.ops.demo_history import add_histories
from clinic.ops.demo_people import DemoPatient, add_identifiers_and_insurance, demo_patients
from clinic.ops.demo_prescriptions import add_prescriptions
from clinic.ops.demo_rules import VISIT_REASONS, age_in_years, visit_reasons_for
from clinic.ops.demo_visits import add_demo_visits
from clinic.patients.tables import Patient
from clinic.practice import services as practice_services
from clinic.practice.tables import ClinicProfile
from clinic.scheduling.tables import Appointment
from clinic.security.passwords import demo_password as role_demo_password
from clinic.security.passwords import hash_password
from clinic.security.tables import Staff

SEED = 2026
PATIENT_COUNT = 300


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


DEMO_LICENCES = {"amara.okafor@demo.clinic": "MD-D-4821", "samuel.reyes@demo.clinic": "MD-D-5307"}


def demo_password(person: DemoStaff) -> str:
    # The scheme lives with the password policy, which refuses these as anyone's real password.
    return role_demo_password(person.role)


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
    await demo_book.set_clinic_hours(zone)
    rng = random.Random(SEED)
    now = (now or clock.now()).astimezone(zone)
    today = now.date()
    staff_rows = [
        Staff(email=person.email, email_key=person.email.lower(), full_name=person.full_name,
              display_name=person.display_name, role=person.role, colour=person.colour,
              password_hash=hash_password(demo_password(person)),
              # Doctors sign prescriptions, which print their licence number (made up, like everyone here).
              licence_number=DEMO_LICENCES.get(person.email, ""))
        for person in DEMO_STAFF
    ]
    # One transaction: a demo that fails half-way leaves nothing behind (so
    # `demo --if-empty` can try again), and one commit is far quicker than hundreds.
    async with Staff._meta.db.transaction():
        await Staff.insert(*staff_rows)
        clinicians = [row for row, person in zip(staff_rows, DEMO_STAFF) if person.sees_patients]
        people = demo_patients(rng, patient_count, today, clinicians)
        for start in range(0, len(people), 200):
            await Patient.insert(*[person.row for person in people[start:start + 200]])
        await add_identifiers_and_insurance(rng, people, today)
        chart_entries = await add_histories(rng, people, clinicians, today)
        prescriptions = await add_prescriptions(clinicians)
        type_ids, room_ids = await demo_book.set_up_the_book(zone, clinicians)
        plan = demo_book.plan_book(rng, zone, now, clinicians, people, visit_reason)
        receptionist = next(row for row in staff_rows if row.role == "receptionist")
        appointments = await demo_book.write_book(plan, zone, now, type_ids, room_ids, receptionist.id)
        await _note_last_visits(appointments)
        visits = await add_demo_visits(now.astimezone(dt.timezone.utc))
        invoices = await add_demo_billing()
        claims = await add_demo_claims()
    await _give_the_clinic_an_address(zone)
    return {"staff": len(staff_rows), "patients": len(people), "appointments": len(appointments),
            "chart_entries": chart_entries, "visits": visits, "prescriptions": prescriptions, "invoices": invoices,
            "claims": claims}


DEMO_ADDRESS = {"address_line1": "120 Harbour Street", "address_line2": "Suite 4", "city": "Springfield",
                "region": "OR", "postal_code": "97477", "phone": "+1 541-555-0142", "email": "desk@demo.clinic.test"}


async def _give_the_clinic_an_address(zone: ZoneInfo) -> None:
    """Printouts and the header show the clinic's contact details: the demo
    fills them in once, never over an address someone has typed."""
    await practice_services.practice({"timezone": zone.key})
    await ClinicProfile.update(DEMO_ADDRESS).where(ClinicProfile.address_line1 == "")
    practice_services.forget()


async def _note_last_visits(appointments: list[Appointment]) -> None:
    latest: dict[int, dt.datetime] = {}
    for appointment in appointments:
        if appointment.status == "completed":
            latest[appointment.patient] = max(latest.get(appointment.patient, appointment.starts_at),
                                              appointment.starts_at)
    for patient_id, when in latest.items():
        await Patient.update({Patient.last_visit_at: when}).where(Patient.id == patient_id)


def visit_reason(rng: random.Random, person: DemoPatient, day: dt.date, *, nurse: bool) -> str:
    """A reason this patient would come in for: often their own conditions, check-ups more than most."""
    about_chart, everyday = visit_reasons_for(age_in_years(person.born, day), person.sex, person.codes, nurse=nurse)
    if "Prenatal visit" in about_chart and rng.random() < 0.8:
        return "Prenatal visit"
    if about_chart and rng.random() < 0.4:
        return rng.choice(about_chart)
    return rng.choices(everyday, weights=[VISIT_REASONS[reason].weight for reason in everyday])[0]
