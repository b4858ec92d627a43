"""The benchmark clinic, generated deterministically and inserted straight into the tables.

``year5``: a practice five years in: 4,000 patients, 40,000 appointments over
five years (and the next two months), chart histories, insurance, encrypted
identifiers. ``10x``: ten times every table. The days around today keep year
five's density at either scale (history absorbs the extra rows), so Today and
the schedule show the same clinic day and a screen's cost can only grow with
the size of the tables, which is what the 10x budget asks about.

Rows are built once in Python with the app's own functions (search keys, MRNs,
password hashes, field encryption with the server's keys, so the app reads
them as its own) and inserted with the database driver's executemany: no ORM
on the way in, a minute or less per backend for year five.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from piccolo.columns.defaults.base import Default
from piccolo.table import Table

from bench.billing import billing_rows
from bench.people import Person, generated_people, phone_number
from clinic.clinical.tables import Allergy, AllergyReview, HistoryItem, Immunization, Medication, Problem, VitalSigns
from clinic.core.crypto import Keyring
from clinic.db.urls import DatabaseURL
from clinic.patients.identifiers import new_mrn
from clinic.patients.normalise import name_key, phone_search_key
from clinic.patients.tables import Patient, PatientInsurance
from clinic.scheduling.tables import Appointment, AppointmentType, Room, WorkingHours
from clinic.security.fields import FieldCipher
from clinic.security.passwords import hash_password
from clinic.security.tables import Staff
from clinic.visits.notes import SOAP
from clinic.visits.tables import Visit, VisitDiagnosis, VisitNoteSection

UTC = dt.timezone.utc
CLINIC_ZONE = ZoneInfo("America/New_York")  # bench/server.py's CLINIC_TIMEZONE
# The book's set-up: (name, minutes, may overlap); every clinician offers every type.
TYPES = [("Follow-up", 15, False), ("Consultation", 30, False), ("Injection", 5, True)]
ROOMS = ["Exam room 1", "Exam room 2"]
# Working hours Monday to Friday within the clinic's default 9-17, with a lunch break (minutes after midnight).
WORKING_BLOCKS = [(9 * 60, 12 * 60 + 30), (13 * 60 + 30, 17 * 60)]
WINDOW_FILL = 0.8
SEED = 5
SCALES = {"year5": (4_000, 40_000), "10x": (40_000, 400_000)}
# Appointments in this window around today keep year five's density at any scale.
WINDOW_BACK, WINDOW_AHEAD = dt.timedelta(days=30), dt.timedelta(days=60)
HISTORY = dt.timedelta(days=5 * 365)
STAFF = [  # (full name, role, email); the password is bench_password(role)
    ("Dr. Amara Okafor", "doctor", "amara.okafor@bench.clinic"),
    ("Dr. Samuel Reyes", "doctor", "samuel.reyes@bench.clinic"),
    ("Dr. Lena Fischer", "doctor", "lena.fischer@bench.clinic"),
    ("Priya Natarajan, RN", "nurse", "priya.natarajan@bench.clinic"),
    ("Marcus Hill, RN", "nurse", "marcus.hill@bench.clinic"),
    ("Tom Becker", "receptionist", "tom.becker@bench.clinic"),
    ("Ana Ruiz", "receptionist", "ana.ruiz@bench.clinic"),
    ("Grace Liu", "billing", "grace.liu@bench.clinic"),
]
SUBSTANCES = [("Penicillin", "Hives", "moderate"), ("Peanuts", "Anaphylaxis", "severe"), ("Latex", "Rash", "mild"),
              ("Sulfonamides", "Rash", "moderate"), ("Shellfish", "Swelling", "severe"), ("Aspirin", "Wheezing", "mild")]
PROBLEMS = [("Essential hypertension", "I10"), ("Type 2 diabetes mellitus", "E11.9"), ("Asthma", "J45.909"),
            ("Hyperlipidaemia", "E78.5"), ("Hypothyroidism", "E03.9"), ("Major depressive disorder", "F32.9"),
            ("Osteoarthritis of knee", "M17.9"), ("Gastro-oesophageal reflux", "K21.9")]
MEDICATIONS = [("Lisinopril", "10 mg", "once daily"), ("Metformin", "500 mg", "twice daily"),
               ("Atorvastatin", "20 mg", "at night"), ("Levothyroxine", "50 mcg", "once daily"),
               ("Salbutamol inhaler", "2 puffs", "as needed"), ("Sertraline", "50 mg", "once daily")]
HISTORY_ITEMS = [("medical", "Appendicitis"), ("surgical", "Appendectomy"), ("family", "Father: heart disease"),
                 ("social", "Non-smoker"), ("social", "Drinks socially"), ("family", "Mother: type 2 diabetes")]
VACCINES = ["Influenza", "Tdap", "MMR", "Hepatitis B", "COVID-19", "Pneumococcal"]
REASONS = ["Annual check-up", "Follow-up", "Blood pressure review", "Cough", "Back pain", "Vaccination",
           "Diabetes review", "Skin rash", "Prescription renewal", "Sore throat"]
PAYERS = ["Blue Cross", "Aetna", "UnitedHealthcare", "Cigna", "Medicare", "Medicaid"]
NOTES = ["Discussed at visit; patient understands the plan.", "Reviewed with the patient.", "Recheck in 3 months."]


def bench_password(role: str) -> str:
    return f"bench-{role}-password-2026"


@dataclass
class Clinic:
    """Every row to insert, by table, plus what the load needs to know about them."""

    rows: dict[type[Table], list[dict]]
    patients: list[dict]
    staff: list[dict]

    def counts(self) -> dict[str, int]:
        return {table._meta.tablename: len(rows) for table, rows in self.rows.items()}


def build(patient_count: int, appointment_count: int, *, keyring: Keyring, index_key: str, now: dt.datetime,
          people: list[Person] | None = None) -> Clinic:
    """``people`` (from a CSV) replaces generated patients; pass ``appointment_count`` to match."""
    rng = random.Random(SEED)
    cipher = FieldCipher(keyring, index_key)
    people = people if people is not None else generated_people(rng, patient_count, now.date())
    staff = _staff(now)
    doctors = [row["id"] for row in staff if row["role"] == "doctor"]
    clinicians = [row["id"] for row in staff if row["role"] in ("doctor", "nurse")]
    patients = _patients(rng, people, doctors, cipher, now)
    appointments = _appointments(rng, patients, clinicians, appointment_count, now)
    _note_last_visits(patients, appointments)
    rows: dict[type[Table], list[dict]] = {Staff: staff, Patient: patients,
                                           PatientInsurance: _insurance(rng, patients, cipher, now),
                                           **_book_setup(clinicians), Appointment: appointments}
    rows.update(_charts(rng, patients, appointments, clinicians, cipher, now))
    rows.update(_visits(rng, appointments, cipher))
    billing_staff = next(row["id"] for row in staff if row["role"] == "billing")
    rows.update(billing_rows(rows[Visit], rows[VisitDiagnosis], rows[PatientInsurance], billing_staff, now))
    return Clinic(rows=rows, patients=patients, staff=staff)


def _staff(now: dt.datetime) -> list[dict]:
    hashes: dict[str, str] = {}
    rows = []
    for number, (name, role, email) in enumerate(STAFF, start=1):
        if role not in hashes:
            hashes[role] = hash_password(bench_password(role))
        rows.append({"id": number, "email": email, "email_key": email, "full_name": name, "role": role,
                     "display_name": f"Dr. {name.split()[-1]}" if role == "doctor" else name.split()[0],
                     "colour": "teal" if role in ("doctor", "nurse") else "",
                     "password_hash": hashes[role], "created_at": now - HISTORY, "updated_at": now - HISTORY})
    return rows


def _patients(rng: random.Random, people: list[Person], doctors: list[int], cipher: FieldCipher,
              now: dt.datetime) -> list[dict]:
    rows, mrns = [], set()
    for number, person in enumerate(people, start=1):
        mrn = new_mrn(rng)
        while mrn in mrns:
            mrn = new_mrn(rng)
        mrns.add(mrn)
        phone = phone_number(rng)
        registered = now - dt.timedelta(seconds=rng.randrange(int(HISTORY.total_seconds())))
        preferred = person.first_name[:3] if rng.random() < 0.05 else ""
        row = {
            "id": number, "mrn": mrn, "first_name": person.first_name, "last_name": person.last_name,
            "date_of_birth": person.date_of_birth, "sex": person.sex, "phone": phone,
            "email": f"{name_key(person.first_name)}.{number}@example.org" if rng.random() < 0.6 else "",
            "preferred_name": preferred, "city": "Springfield", "region": "IL", "postal_code": "62704",
            "address_line1": f"{rng.randrange(1, 999)} Maple Ave", "primary_provider": rng.choice(doctors),
            "last_name_key": name_key(person.last_name), "first_name_key": name_key(person.first_name),
            "preferred_name_key": name_key(preferred), "phone_key": phone_search_key(phone),
            "created_at": registered, "updated_at": registered,
            "archived_at": registered + dt.timedelta(days=30) if rng.random() < 0.02 else None,
        }
        if rng.random() < 0.5:
            ssn = f"{rng.randrange(100, 665)}{rng.randrange(10, 99)}{rng.randrange(1000, 9999)}"
            row["national_id"] = cipher.seal(Patient, "national_id", number, ssn)
            row["national_id_index"] = cipher.blind_index(Patient, "national_id", ssn)
        rows.append(row)
    return rows


def _working_days(first: dt.date, last: dt.date) -> list[dt.date]:
    days, day = [], first
    while day <= last:
        if day.weekday() != 6:  # closed on Sundays
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _book_setup(clinicians: list[int]) -> dict[type[Table], list[dict]]:
    """Appointment types, rooms and working hours, so the book and next available see a real clinic."""
    types = [{"id": number, "name": name, "minutes": minutes, "colour": "", "needs_room": False,
              "may_overlap": overlap, "active": True} for number, (name, minutes, overlap) in enumerate(TYPES, 1)]
    rooms = [{"id": number, "name": name, "active": True} for number, name in enumerate(ROOMS, 1)]
    hours = [{"provider": provider, "weekday": weekday, "starts": starts, "ends": ends}
             for provider in clinicians for weekday in range(5) for starts, ends in WORKING_BLOCKS]
    for number, row in enumerate(hours, 1):
        row["id"] = number
    return {AppointmentType: types, Room: rooms, WorkingHours: hours}


def _window_slots(rng: random.Random, clinicians: list[int], window: list[dt.date]):
    """(day, provider, local minutes, length) of the days around today: each clinician's working hours
    filled back to back about four fifths full, never double-booked."""
    for day in window:
        if day.weekday() >= 5:
            continue
        for provider in clinicians:
            for block_start, block_end in WORKING_BLOCKS:
                cursor = block_start
                while cursor < block_end:
                    length = rng.choice((15, 15, 30))
                    if cursor + length > block_end:
                        break
                    if rng.random() < WINDOW_FILL:
                        yield day, provider, cursor, length
                    cursor += length


def _local(day: dt.date, minutes: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=CLINIC_ZONE).astimezone(UTC)


def _appointments(rng: random.Random, patients: list[dict], clinicians: list[int], count: int,
                  now: dt.datetime) -> list[dict]:
    today = now.date()
    window = _working_days(today - WINDOW_BACK, today + WINDOW_AHEAD)
    history = _working_days(today - HISTORY, today - WINDOW_BACK - dt.timedelta(days=1))
    slots = list(_window_slots(rng, clinicians, window))[:count]
    planned = [(_local(day, minutes), provider, length) for day, provider, minutes, length in slots]
    for day in sorted(rng.choice(history) for _ in range(count - len(planned))):
        planned.append((_local(day, 9 * 60 + 15 * rng.randrange(32)), rng.choice(clinicians),
                        rng.choice((15, 15, 30))))
    planned.sort(key=lambda item: (item[0], item[1]))
    # Some patients come often, most a few times.
    weights = [rng.lognormvariate(0, 1) for _ in patients]
    chosen = rng.choices(patients, weights=weights, k=count)
    rows = []
    for number, ((start, provider, length), patient) in enumerate(zip(planned, chosen), start=1):
        end = start + dt.timedelta(minutes=length)
        roll = rng.random()
        if end <= now:
            status = "no_show" if roll < 0.06 else "cancelled" if roll < 0.1 else "completed"
        elif start <= now:
            status = "arrived"
        else:
            status = "cancelled" if roll < 0.05 else "booked"
        rows.append({"id": number, "patient": patient["id"], "provider": provider, "starts_at": start,
                     "ends_at": end, "status": status, "reason": rng.choice(REASONS), "type": 1 if length == 15 else 2,
                     "created_at": start - dt.timedelta(days=14), "updated_at": start})
    return rows


def _note_last_visits(patients: list[dict], appointments: list[dict]) -> None:
    last: dict[int, dt.datetime] = {}
    for row in appointments:
        if row["status"] == "completed":
            last[row["patient"]] = max(last.get(row["patient"], row["starts_at"]), row["starts_at"])
    for patient in patients:
        patient["last_visit_at"] = last.get(patient["id"])


def _insurance(rng: random.Random, patients: list[dict], cipher: FieldCipher, now: dt.datetime) -> list[dict]:
    rows = []
    for patient in patients:
        if rng.random() < 0.8:
            number = len(rows) + 1
            member = f"M{rng.randrange(10**8, 10**9)}"
            rows.append({"id": number, "patient": patient["id"], "payer_name": rng.choice(PAYERS),
                         "plan_name": "PPO", "member_number": cipher.seal(PatientInsurance, "member_number", number,
                                                                         member),
                         "member_number_index": cipher.blind_index(PatientInsurance, "member_number", member),
                         "created_at": patient["created_at"], "updated_at": patient["created_at"]})
    return rows


def _charts(rng: random.Random, patients: list[dict], appointments: list[dict], clinicians: list[int],
            cipher: FieldCipher, now: dt.datetime) -> dict[type[Table], list[dict]]:
    tables: dict[type[Table], list[dict]] = {table: [] for table in (Allergy, AllergyReview, Problem, Medication,
                                                                       HistoryItem, Immunization, VitalSigns)}

    def add(table: type[Table], patient: dict, when: dt.datetime, **values: Any) -> None:
        rows = tables[table]
        number = len(rows) + 1
        by = rng.choice(clinicians)
        notes = cipher.seal(table, "notes", number, rng.choice(NOTES)) if rng.random() < 0.2 else ""
        rows.append({"id": number, "patient": patient["id"], "recorded_at": when, "recorded_by": by,
                     "updated_at": when, "updated_by": by, "notes": notes, **values})

    for patient in patients:
        when = patient["created_at"]
        for substance, reaction, severity in rng.sample(SUBSTANCES, k=rng.choice((0, 0, 0, 1, 1, 2))):
            add(Allergy, patient, when, substance=substance, reaction=reaction, severity=severity)
        if not tables[Allergy] or tables[Allergy][-1]["patient"] != patient["id"]:
            if rng.random() < 0.6:
                tables[AllergyReview].append({"id": len(tables[AllergyReview]) + 1, "patient": patient["id"],
                                              "no_known_allergies": True, "reviewed_at": when,
                                              "reviewed_by": rng.choice(clinicians)})
        for description, code in rng.sample(PROBLEMS, k=rng.choice((0, 0, 1, 1, 2, 3))):
            add(Problem, patient, when, description=description, icd10_code=code, onset=when.date())
        for name, dose, frequency in rng.sample(MEDICATIONS, k=rng.choice((0, 0, 1, 2, 3))):
            add(Medication, patient, when, name=name, dose=dose, frequency=frequency, route="oral",
                start_date=when.date())
        for kind, description in rng.sample(HISTORY_ITEMS, k=rng.choice((0, 1, 2, 3))):
            add(HistoryItem, patient, when, kind=kind, description=description)
        for vaccine in rng.sample(VACCINES, k=rng.choice((0, 1, 2, 4))):
            add(Immunization, patient, when, vaccine=vaccine, given_on=when.date(), site="Left deltoid")
    by_id = {patient["id"]: patient for patient in patients}
    for visit in appointments:
        if visit["status"] == "completed" and rng.random() < 0.5:
            add(VitalSigns, by_id[visit["patient"]], visit["starts_at"], measured_at=visit["starts_at"],
                systolic=rng.randrange(105, 160), diastolic=rng.randrange(65, 100), pulse=rng.randrange(55, 100),
                temperature_c=Decimal("36.8"), weight_kg=Decimal(rng.randrange(500, 1100)) / 10,
                height_cm=Decimal(rng.randrange(1500, 1950)) / 10)
    return tables


VISIT_SHARE = 0.1  # of completed appointments: a signed visit with a SOAP note and a diagnosis
NOTE_TEXTS = {"subjective": "Feels well; no new complaints.", "objective": "BP and weight as recorded.",
              "assessment": "Stable.", "plan": "Continue current treatment. Review in 3 months."}


def _visits(rng: random.Random, appointments: list[dict], cipher: FieldCipher) -> dict[type[Table], list[dict]]:
    """Signed visits for some completed appointments (the visit page and the ICD-10 sample's codes;
    the codes themselves come from `clinic icd10 load --sample`, see bench/run.py)."""
    visits: list[dict] = []
    sections: list[dict] = []
    diagnoses: list[dict] = []
    for appointment in appointments:
        if appointment["status"] != "completed" or rng.random() >= VISIT_SHARE:
            continue
        number = len(visits) + 1
        when, by = appointment["starts_at"], appointment["provider"]
        visits.append({"id": number, "patient": appointment["patient"], "provider": by,
                       "appointment": appointment["id"], "reason": appointment.get("reason") or rng.choice(REASONS),
                       "follow_up": cipher.seal(Visit, "follow_up", number, "Review in 3 months."),
                       "state": "signed", "signed_by": by, "signed_at": when, "created_by": by, "created_at": when,
                       "updated_at": when, "updated_by": by})
        for position, spec in enumerate(SOAP):
            section_id = len(sections) + 1
            sections.append({"id": section_id, "visit": number, "key": spec.key, "title": spec.title,
                             "prompt": spec.prompt, "position": position, "updated_at": when, "updated_by": by,
                             "text": cipher.seal(VisitNoteSection, "text", section_id, NOTE_TEXTS[spec.key])})
        description, code = rng.choice(PROBLEMS)
        diagnoses.append({"id": len(diagnoses) + 1, "visit": number, "code": code, "description": description})
    return {Visit: visits, VisitNoteSection: sections, VisitDiagnosis: diagnoses}


# -- inserting -------------------------------------------------------------------


def complete(table: type[Table], rows: list[dict]) -> tuple[list[str], Iterable[tuple]]:
    """Column names and value tuples, with the table's defaults where a row says nothing."""
    columns = [column for column in table._meta.columns if not column._meta.primary_key]
    names = ["id", *[column._meta.db_column_name for column in columns]]
    defaults = []
    for column in columns:
        value = column.get_default_value()
        defaults.append(value.python() if isinstance(value, Default) else value)

    def values(row: dict) -> tuple:
        return (row["id"], *[row.get(name, default) for name, default in zip(names[1:], defaults)])

    return names, (values(row) for row in rows)


def insert_sqlite(path: str, clinic: Clinic) -> None:
    import piccolo.engine.sqlite  # noqa: F401  (registers the adapters the app's engine reads back)

    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous = OFF")
    with connection:
        for table, rows in clinic.rows.items():
            names, values = complete(table, rows)
            sql = (f'INSERT INTO "{table._meta.tablename}" ({", ".join(chr(34) + n + chr(34) for n in names)}) '
                   f'VALUES ({", ".join("?" for _ in names)})')
            connection.executemany(sql, values)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def insert_mysql(database: DatabaseURL, clinic: Clinic, batch: int = 2000) -> None:
    import pymysql

    from clinic.db.mysql.values import adapt_parameter

    connection = pymysql.connect(host=database.host, port=database.port, user=database.user,
                                 password=database.password, database=database.name, charset="utf8mb4",
                                 autocommit=False, init_command="SET SESSION sql_mode = 'ANSI_QUOTES'")
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0, time_zone = '+00:00'")
        for table, rows in clinic.rows.items():
            names, values = complete(table, rows)
            sql = (f'INSERT INTO "{table._meta.tablename}" ({", ".join(chr(34) + n + chr(34) for n in names)}) '
                   f'VALUES ({", ".join("%s" for _ in names)})')
            chunk: list[tuple] = []
            for row in values:
                chunk.append(tuple(adapt_parameter(value) for value in row))
                if len(chunk) == batch:
                    cursor.executemany(sql, chunk)
                    chunk = []
            if chunk:
                cursor.executemany(sql, chunk)
        cursor.execute(f'ANALYZE TABLE {", ".join(chr(34) + t._meta.tablename + chr(34) for t in clinic.rows)}')
        cursor.fetchall()
    connection.commit()
    connection.close()

