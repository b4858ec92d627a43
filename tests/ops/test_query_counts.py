"""How many statements and transactions each hot screen costs, exactly.

With ``CLINIC_COUNT_QUERIES=1`` every response says how many SQL statements
and transactions it took (the session look-up, the clinic settings, the
handler and its audit entry included). These numbers are what the screens
cost today: a change that adds a query per row (an N+1) or another
transaction changes them and fails here. Lower them when a screen gets
cheaper; never raise one without saying why in the commit.

The data has several rows wherever a screen shows a list (patients, today's
visits, chart entries in every section), so a query per row cannot hide.
"""

from __future__ import annotations

import datetime as dt

import pytest
from litestar.testing import TestClient

from clinic.app import create_app
from clinic.audit.services import Actor
from clinic.clinical.sections import SECTIONS
from clinic.clinical.services import add_entry
from clinic.clinical.tables import VitalSigns
from clinic.core.clock import now as utcnow
from clinic.patients.tables import Patient
from clinic.piccolo_app import bind_tables
from clinic.practice.services import forget
from clinic.scheduling.tables import Appointment
from tests.conftest import Harness, empty_tables, settings_for
from tests.factories import (
    add_policy,
    locale,
    make_appointment_type,
    make_patient,
    make_room,
    make_staff,
    post,
    set_working_hours,
    sign_in_as,
)
from tests.visits.visit_factories import load_sample_codes

# (statements, transactions) per request, with the clinic settings cached and
# the session's last-seen time fresh (the usual request in a busy clinic).
# The same on SQLite and MariaDB. What they are made of (2026-11-30):
EXPECTED = {
    # the database check, pending migrations, the job queue (due, oldest, dead)
    "health": (4, 0),
    # session; one query for every reading of the text with each hit's next appointment;
    # the read entry (chain head, entry, patients shown, head update) in one transaction;
    # on MariaDB, the person's search count (read, write: clinic/web/rate_limits.py; SQLite counts in memory)
    "search": (6, 1),
    # session; patient; read entry (3); allergies and review (2); next and last
    # visit (2); six sections (6) and who recorded their entries (2); insurance;
    # the timeline's appointments, insurance history and vital signs (3): it is
    # built from the patient and the sections already read; the appointments card,
    # visits, prescriptions and documents (cards and their timeline entries) (7); the visits' diagnoses,
    # one query for all the visits listed (the chart patient has a visit since the visit page is counted)
    "chart": (29, 1),
    # session; count; page; clinicians for the filter; read entry (4)
    "patient list": (8, 1),
    # session; the day's visits; read entry (4); the day's patients' active policies and their eligibility
    # checks (2, however many patients: clinic/claims/payers.py arrival_flags)
    "today": (8, 1),
    # The appointment book, with two clinicians, four visits each today, types and rooms: none of these
    # grows with the rows shown (an N+1 would add four). Day: session; providers; their hours, time off,
    # the clinic's hours and closures; the appointments (one join); read entry (4). Week: the provider too.
    "day view": (12, 1),
    "week view": (13, 1),
    # session; types, providers and rooms for the form; the type; who offers it; providers; clinic hours and
    # closures; working hours; per searched window the providers' appointments, time off (no patients shown)
    "next available": (13, 0),
    # A draft visit (editable) with four diagnoses, four services and the clinic's four favourite codes
    # offered: session, patient and read entry, the visit and its parts, favourites, allergies and review;
    # none of these grows with the diagnoses, services or sections shown (an N+1 would add four).
    "visit page": (15, 1),
    # session; the favourites; favourites matching; the other matches (the word counts are cached), for a
    # code typed with or without its dot and for words alike. No patient is shown: no read entry.
    # On MariaDB the person's search count too (read, write).
    "ICD-10 search": (4, 0),
}
ROWS = 4  # patients on each list, visits today, entries in each chart section


@pytest.fixture(scope="module")
def counting_app(backend, database_url, tmp_path_factory):
    """An app that counts, on the test database, with a small clinic in it (built once per backend)."""
    app = create_app(settings_for(database_url, tmp_path_factory.mktemp("counting"), CLINIC_COUNT_QUERIES="1"))
    with TestClient(app, base_url="http://testserver.local") as client:
        harness = Harness(app=app, client=client, backend=backend)
        harness.run(empty_tables, app.state.engine)
        doctor = sign_in_as(harness, "doctor")
        harness.run(small_clinic, doctor["id"])
        harness.run(load_sample_codes)
        harness.run(visit_with_rows, doctor["id"])
        yield harness


@pytest.fixture
def counting(counting_app):
    # Other modules' tests point the tables at their own app's engine.
    bind_tables(counting_app.engine)
    return counting_app


async def small_clinic(doctor_id: int) -> None:
    today = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    for number in range(ROWS):
        patient_id = await make_patient(first_name=f"Maria{number}", last_name=f"Garcia{number}",
                                        date_of_birth=f"198{number}-03-15", national_id=f"123-45-678{number}")
        await Appointment.insert(Appointment(patient=patient_id, provider=doctor_id, starts_at=today,
                                             ends_at=today + dt.timedelta(minutes=15)),
                                 Appointment(patient=patient_id, provider=doctor_id,
                                             starts_at=today + dt.timedelta(days=7 + number),
                                             ends_at=today + dt.timedelta(days=7 + number, minutes=15)))
    chart_id = patient_id
    await book_set_up(doctor_id)
    doctor = Actor(staff_id=doctor_id, role="doctor")
    reading = locale().reading
    for number in range(ROWS):
        # Recorded by a real clinician, as in a clinic: the chart shows who recorded each entry.
        for key, values in (("allergies", {"substance": f"Substance {number}", "severity": "mild", "notes": "Hives"}),
                            ("medications", {"name": f"Medicine {number}"}),
                            ("problems", {"description": f"Problem {number}"}),
                            ("history", {"kind": "medical", "description": f"Illness {number}"}),
                            ("immunizations", {"vaccine": f"Vaccine {number}", "given_on": f"2020-01-0{number + 1}"})):
            await add_entry(SECTIONS[key], chart_id, values, doctor, reading, accept_duplicate=True)
        await add_policy(chart_id, payer_name=f"Payer {number}")
        await VitalSigns.insert(VitalSigns(patient=chart_id, measured_at=utcnow() - dt.timedelta(days=number),
                                           systolic=120, diastolic=80, pulse=70, recorded_by=doctor_id))


async def visit_with_rows(doctor_id: int) -> None:
    """A draft visit on the chart patient with ROWS diagnoses and services, and ROWS favourite codes."""
    from clinic.visits import icd10
    from clinic.visits import services as visits

    doctor = Actor(staff_id=doctor_id, role="doctor")
    patient_id = (await Patient.select(Patient.id).order_by(Patient.id, ascending=False).first())["id"]
    visit_id = await visits.open_visit(patient_id, doctor, reason="Check-up")
    for code in ("E11.9", "I10", "J02.9", "J06.9")[:ROWS]:
        await visits.add_diagnosis(patient_id, visit_id, code, doctor)
        await icd10.add_favourite(code, doctor)
    for number in range(ROWS):
        await visits.add_service(patient_id, visit_id, {"service_code": f"9921{number}",
                                                        "service_description": f"Service {number}",
                                                        "quantity": "1"}, doctor)


async def book_set_up(doctor_id: int) -> None:
    """Types, a room, working hours for two clinicians, and the nurse's visits today: the book has
    several columns, types and rows wherever a query per row could hide."""
    nurse = await make_staff("nurse", name="Sam Baker")
    for provider in (doctor_id, nurse["id"]):
        await set_working_hours(provider, {day: [("00:00", "12:00"), ("12:30", "23:59")] for day in range(7)})
    first = await make_appointment_type("Check-up", minutes=15)
    await make_appointment_type("Dressing", minutes=20, needs_room=True)
    for number in range(ROWS):
        await make_room(f"Room {number}")
    today = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    patients = [row["id"] for row in await Patient.select(Patient.id)]
    for number, patient_id in enumerate(patients[:ROWS]):
        await Appointment.insert(Appointment(patient=patient_id, provider=nurse["id"], type=first,
                                             starts_at=today + dt.timedelta(minutes=20 * number),
                                             ends_at=today + dt.timedelta(minutes=20 * number + 15)))


def book_type(harness) -> int:
    return harness.sql("SELECT MIN(id) AS n FROM appointment_type")[0]["n"]


def counts(response) -> tuple[int, int]:
    assert response.status_code == 200, response.status_code
    return int(response.headers["x-query-count"]), int(response.headers["x-transaction-count"])


def warm(harness, request):
    """The second of two identical requests: the clinic settings are cached by then."""
    forget()
    request()
    return counts(request())


def chart_id(harness) -> int:
    return harness.sql("SELECT MAX(id) AS n FROM patient")[0]["n"]


def test_health_runs_the_statements_it_runs_today(counting):
    assert warm(counting, lambda: counting.client.get("/health")) == EXPECTED["health"]


def with_search_count(harness, expected: tuple[int, int]) -> tuple[int, int]:
    """A search on MariaDB also reads and writes the person's count, which instances share."""
    statements, transactions = expected
    return (statements + 2, transactions) if harness.backend == "mysql" else expected


def test_header_search_runs_the_statements_it_runs_today(counting):
    found = warm(counting, lambda: post(counting.client, "/patients/search", {"q": "garc"}, htmx=True))
    assert found == with_search_count(counting, EXPECTED["search"])


def test_chart_runs_the_statements_it_runs_today(counting):
    patient_id = chart_id(counting)
    assert warm(counting, lambda: counting.client.get(f"/patients/{patient_id}")) == EXPECTED["chart"]


def test_patient_list_runs_the_statements_it_runs_today(counting):
    assert warm(counting, lambda: counting.client.get("/patients")) == EXPECTED["patient list"]


def test_today_runs_the_statements_it_runs_today(counting):
    assert warm(counting, lambda: counting.client.get("/")) == EXPECTED["today"]


def test_day_view_runs_the_statements_it_runs_today(counting):
    day = dt.date.today().isoformat()
    assert warm(counting, lambda: counting.client.get(f"/book/{day}")) == EXPECTED["day view"]


def test_week_view_runs_the_statements_it_runs_today(counting):
    day = dt.date.today().isoformat()
    doctor = counting.sql("SELECT MIN(id) AS n FROM staff WHERE role = 'doctor'")[0]["n"]
    found = warm(counting, lambda: counting.client.get(f"/book/week/{day}/provider/{doctor}"))
    assert found == EXPECTED["week view"]


def test_next_available_runs_the_statements_it_runs_today(counting):
    path = f"/appointments/next-available?type={book_type(counting)}"
    assert warm(counting, lambda: counting.client.get(path)) == EXPECTED["next available"]


def test_visit_page_runs_the_statements_it_runs_today(counting):
    visit = counting.sql("SELECT id, patient FROM visit")[0]
    path = f"/patients/{visit['patient']}/visits/{visit['id']}"
    assert warm(counting, lambda: counting.client.get(path)) == EXPECTED["visit page"]


def test_icd10_search_runs_the_statements_it_runs_today(counting):
    for text in ("E11", "E119", "type 2 diabetes", "pharyngitis"):
        search = lambda text=text: counting.client.get(  # noqa: E731
            "/visits/codes", params={"code_query": text}, headers={"HX-Request": "true"})
        found = warm(counting, search)
        assert found == with_search_count(counting, EXPECTED["ICD-10 search"]), text


def test_nothing_is_counted_unless_asked(harness, client):
    sign_in_as(harness, "doctor")
    response = client.get("/")
    assert response.status_code == 200
    assert "x-query-count" not in response.headers and "x-transaction-count" not in response.headers
