"""The appointment, patients and clinical reports and the dashboard over HTTP, on constructed data."""

from __future__ import annotations

import csv
import datetime as dt
import io

import time_machine

from clinic.core import clock
from clinic.reports.csv_export import safe_cell
from clinic.visits.tables import Visit, VisitDiagnosis, VisitService
from tests.factories import local_time, make_patient, make_staff, sign_in_as
from tests.helpers import html, one, texts
from tests.reports.report_factories import DAY_ONE, DAY_TWO, appointment_at, build_money_clinic
from tests.reports.test_financial_reports import cells, total


def test_appointments_are_counted_per_provider_with_their_rates(harness):
    dr_a = harness.run(make_staff, "doctor", name="Dr Ada Alpha")
    dr_b = harness.run(make_staff, "doctor", name="Dr Ben Beta")
    patient = harness.run(make_patient)
    for hhmm, status, late in (("09:00", "completed", False), ("09:30", "completed", False),
                               ("10:00", "no_show", False), ("10:30", "cancelled", True),
                               ("11:00", "cancelled", False)):
        harness.run(appointment_at, patient, dr_a["id"], local_time(DAY_ONE, hhmm), status, late)
    harness.run(appointment_at, patient, dr_b["id"], local_time(DAY_TWO, "09:00"), "completed")
    harness.run(appointment_at, patient, dr_b["id"], local_time(DAY_TWO, "23:45"), "booked")  # 03:45 UTC next day
    harness.run(appointment_at, patient, dr_b["id"], local_time(DAY_TWO + dt.timedelta(days=1), "00:15"), "booked")
    sign_in_as(harness, "doctor")
    tree = html(harness.client.get(f"/reports/appointments?from={DAY_ONE}&to={DAY_TWO}"))
    assert cells(tree, "providers", "provider") == ["Dr Ada Alpha", "Dr Ben Beta"]
    assert [cells(tree, "providers", key)[0] for key in ("booked", "completed", "cancelled", "late_cancelled",
                                                          "no_show", "no_show_rate", "cancel_rate")] == [
        "5", "2", "1", "1", "1", "20.0 %", "40.0 %"]
    assert cells(tree, "providers", "booked")[1] == "2"
    assert total(tree, "providers", "booked") == "7"
    assert cells(tree, "rates", "booked") == ["5", "2"]
    # Each day named as a date, with or without appointments (a day's row once showed its bucket's index).
    assert cells(tree, "rates", "period") == ["03/09/2026", "03/10/2026"]
    only_b = html(harness.client.get(f"/reports/appointments?from={DAY_ONE}&to={DAY_TWO}&provider={dr_b['id']}"))
    assert cells(only_b, "rates", "booked") == ["0", "2"]


async def visit_on(patient_id: int, provider_id: int, moment: dt.datetime, diagnoses: list[tuple[str, str]],
                   services: list[tuple[str, int]] = ()) -> int:
    rows = await Visit.insert(Visit(patient=patient_id, provider=provider_id, created_at=moment, updated_at=moment,
                                    state="signed"))
    visit_id = rows[0]["id"]
    for position, (code, description) in enumerate(diagnoses):
        await VisitDiagnosis.insert(VisitDiagnosis(visit=visit_id, code=code, description=description,
                                                   position=position))
    for code, quantity in services:
        await VisitService.insert(VisitService(visit=visit_id, code=code, description=f"Service {code}",
                                               quantity=quantity))
    return visit_id


def test_top_diagnoses_and_services_count_visits_in_the_period_for_the_provider(harness):
    doctor = harness.run(make_staff, "doctor")
    other = harness.run(make_staff, "doctor")
    one_patient, two_patient = harness.run(make_patient), harness.run(make_patient, first_name="Ann")
    harness.run(visit_on, one_patient, doctor["id"], local_time(DAY_ONE, "09:00"),
                [("E11.9", "Type 2 diabetes"), ("I10", "Hypertension")], [("99213", 1)])
    harness.run(visit_on, two_patient, doctor["id"], local_time(DAY_ONE, "10:00"), [("E11.9", "Type 2 diabetes")],
                [("99213", 1), ("36415", 2)])
    harness.run(visit_on, two_patient, other["id"], local_time(DAY_ONE, "11:00"), [("I10", "Hypertension")])
    harness.run(visit_on, two_patient, doctor["id"], local_time(DAY_TWO, "11:00"), [("J02.9", "Pharyngitis")])
    sign_in_as(harness, "admin")
    tree = html(harness.client.get(f"/reports/clinical?from={DAY_ONE}&to={DAY_ONE}&provider={doctor['id']}"))
    assert list(zip(cells(tree, "diagnoses", "code"), cells(tree, "diagnoses", "visits"),
                    cells(tree, "diagnoses", "patients"))) == [("E11.9", "2", "2"), ("I10", "1", "1")]
    assert list(zip(cells(tree, "services", "code"), cells(tree, "services", "units"))) == [("36415", "2"),
                                                                                            ("99213", "2")]
    everyone = html(harness.client.get(f"/reports/clinical?from={DAY_ONE}&to={DAY_TWO}"))
    assert dict(zip(cells(everyone, "diagnoses", "code"), cells(everyone, "diagnoses", "visits"))) == {
        "E11.9": "2", "I10": "2", "J02.9": "1"}


def test_the_patients_report_counts_ages_sexes_and_visits_per_patient(harness):
    doctor = harness.run(make_staff, "doctor")
    with time_machine.travel(local_time(DAY_ONE, "08:00"), tick=False):
        child = harness.run(make_patient, first_name="Kid", date_of_birth="2018-05-01", sex="male")
        adult = harness.run(make_patient, first_name="Ada", date_of_birth="1980-03-15", sex="female")
    harness.run(make_patient, first_name="Late", date_of_birth="1950-01-01", sex="female")  # registered today
    for hhmm in ("09:00", "10:00", "11:00"):
        harness.run(visit_on, adult, doctor["id"], local_time(DAY_ONE, hhmm), [])
    harness.run(visit_on, child, doctor["id"], local_time(DAY_TWO, "09:00"), [])
    sign_in_as(harness, "admin")
    tree = html(harness.client.get(f"/reports/patients?from={DAY_ONE}&to={DAY_TWO}"))
    assert texts(tree, "dd[data-fact]") == ["3", "2", "2"]
    assert dict(zip(cells(tree, "ages", "band"), cells(tree, "ages", "patients"))) == {
        "0–17": "1", "18–34": "0", "35–49": "1", "50–64": "0", "65 and over": "0"}
    assert dict(zip(cells(tree, "sexes", "sex"), cells(tree, "sexes", "patients"))) == {"Female": "1", "Male": "1"}
    assert dict(zip(cells(tree, "visits", "band"), cells(tree, "visits", "patients"))) == {
        "1 visit": "1", "2 visits": "0", "3–5 visits": "1", "6 or more": "0"}


def test_a_cell_that_starts_like_a_formula_is_exported_as_text(harness):
    doctor = harness.run(make_staff, "doctor")
    patient = harness.run(make_patient)
    harness.run(visit_on, patient, doctor["id"], local_time(DAY_ONE, "09:00"),
                [("R69", '=HYPERLINK("http://x.example","click")'), ("R68", "+1 bad"), ("R67", "-2 worse"),
                 ("R66", "@SUM(A1)"), ("R65", "\tTabbed")])
    sign_in_as(harness, "admin")
    response = harness.client.get(f"/reports/clinical.csv?from={DAY_ONE}&to={DAY_ONE}&table=diagnoses")
    descriptions = [row[1] for row in csv.reader(io.StringIO(response.text))][1:]
    assert sorted(descriptions) == sorted(["'=HYPERLINK(\"http://x.example\",\"click\")", "'+1 bad", "'-2 worse",
                                           "'@SUM(A1)", "'\tTabbed"])


def test_safe_cell_leaves_ordinary_text_alone():
    assert safe_cell("Hypertension") == "Hypertension"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell("\rnext") == "'\rnext"
    assert safe_cell("") == ""


def test_the_dashboard_shows_today_money_owed_and_claims(harness):
    clinic = build_money_clinic(harness)
    today = clock.today_in("America/New_York")
    noon = local_time(today, "12:00")
    for status in ("completed", "completed", "no_show", "booked"):
        harness.run(appointment_at, clinic.uninsured, clinic.dr_a["id"], noon, status)
    sign_in_as(harness, "admin")
    page = harness.client.get("/reports")
    assert page.status_code == 200
    tree = html(page)
    assert one(tree, '[data-figure="appointments"]').text() == "4"
    assert one(tree, '[data-state="completed"]').text() == "2" and one(tree, '[data-state="no_show"]').text() == "1"
    # Owed now: the uninsured patient has 25.00 credit, the insured 7.00; insurance 30.00 is pending.
    assert one(tree, '[data-figure="patient-due"]').text().startswith("-$32.00")
    assert one(tree, '[data-figure="insurance-pending"]').text() == "$30.00"
    assert one(tree, '[data-figure="claims"]').text() == "0"
    assert one(tree, '[data-panel="backup"]')  # administrators look after backups
    assert "Reports" in texts(tree, "nav.nav a")
    doctor = html(sign_in_and_get(harness, "doctor", "/reports"))
    assert not doctor.css('[data-panel="backup"]')


def sign_in_and_get(harness, role: str, path: str):
    harness.client.cookies.clear()
    sign_in_as(harness, role)
    return harness.client.get(path)


def test_only_roles_that_read_reports_see_them(harness):
    for role, status in (("nurse", 403), ("receptionist", 403), ("billing", 200), ("doctor", 200), ("admin", 200)):
        response = sign_in_and_get(harness, role, f"/reports/day-sheet?day={DAY_ONE}")
        assert response.status_code == status, role
        nav = texts(html(sign_in_and_get(harness, role, "/account")), "nav.nav a")
        assert ("Reports" in nav) == (status == 200), role


def test_looking_at_a_report_is_recorded_without_any_patient(harness):
    sign_in_as(harness, "admin")
    harness.client.get("/reports/patients")
    entry = harness.audit("action = 'reports.read'", columns="entity_id, patient_id")[-1]
    assert (entry["entity_id"], entry["patient_id"]) == ("patients", None)
