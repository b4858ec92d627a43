"""The demo clinic: realistic, deterministic, and never double-booked."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from clinic.ops.demo import DEMO_STAFF, _give_the_clinic_an_address, load_demo
from clinic.patients.identifiers import is_valid_mrn
from clinic.patients.tables import Patient
from clinic.scheduling.tables import Appointment
from clinic.security.tables import Staff
from tests.conftest import empty_tables
from tests.factories import sign_in_as
from tests.helpers import html

ZONE = ZoneInfo("America/New_York")
TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=ZONE)


async def snapshot():
    patients = await Patient.select(Patient.mrn, Patient.first_name, Patient.last_name, Patient.date_of_birth).order_by(Patient.mrn)
    visits = await Appointment.select(
        Appointment.patient.mrn, Appointment.provider.email, Appointment.starts_at, Appointment.ends_at, Appointment.status
    ).order_by(Appointment.starts_at).order_by(Appointment.provider.email)
    return patients, visits


def test_the_demo_is_the_same_every_time(harness):
    harness.run(load_demo, ZONE, now=NOW)
    first = harness.run(snapshot)
    harness.run(empty_tables, harness.engine)
    harness.run(load_demo, ZONE, now=NOW)
    assert harness.run(snapshot) == first
    assert len(first[0]) == 300 and len(first[1]) > 70


def test_the_demo_week_is_realistic(harness):
    created = harness.run(load_demo, ZONE, now=NOW)
    assert created["staff"] == len(DEMO_STAFF)
    assert created["patients"] == 300 and 1_800 <= created["chart_entries"] <= 2_600
    assert {row["role"] for row in harness.run(Staff.select(Staff.role).run)} == {
        "admin", "doctor", "nurse", "receptionist", "billing"}
    patients, visits = harness.run(snapshot)
    assert all(is_valid_mrn(row["mrn"]) for row in patients)
    assert len({row["mrn"] for row in patients}) == len(patients)
    assert all(row["date_of_birth"] < TODAY for row in patients)

    days = {row["starts_at"].astimezone(ZONE).date() for row in visits}
    week = {TODAY + dt.timedelta(days=offset) for offset in range(-3, 4)}
    assert days == {day for day in week if day.weekday() != 6}  # closed on Sundays
    per_day = {day: sum(1 for row in visits if row["starts_at"].astimezone(ZONE).date() == day) for day in days}
    weekdays = [count for day, count in per_day.items() if day.weekday() < 5]
    assert all(10 <= count <= 30 for count in weekdays), per_day
    for row in visits:
        local_start, local_end = row["starts_at"].astimezone(ZONE), row["ends_at"].astimezone(ZONE)
        assert dt.time(8, 30) <= local_start.time() and local_end.time() <= dt.time(17, 0)
        assert row["starts_at"].tzinfo is not None
    by_provider = {}
    for row in visits:
        by_provider.setdefault(row["provider.email"], []).append((row["starts_at"], row["ends_at"]))
    for slots in by_provider.values():
        slots.sort()
        assert all(previous[1] <= following[0] for previous, following in zip(slots, slots[1:])), "double-booked"


def test_todays_page_lists_the_demo_visits_in_clinic_time(harness):
    harness.run(load_demo, ZONE)
    sign_in_as(harness, "receptionist")
    tree = html(harness.client.get("/"))
    rows = tree.css("tr[data-appointment-id]")
    today = dt.datetime.now(ZONE).date()
    expected = [row for row in harness.run(snapshot)[1] if row["starts_at"].astimezone(ZONE).date() == today]
    assert len(rows) == len(expected) > 0
    first_time = rows[0].css_first("td").text().split("–")[0]
    assert first_time == expected[0]["starts_at"].astimezone(ZONE).strftime("%I:%M %p").lstrip("0")  # US clocks


def test_the_demo_sign_ins_in_the_readme_work(harness):
    import re
    from pathlib import Path

    from tests.factories import post

    harness.run(load_demo, ZONE, now=NOW, patient_count=3)
    readme = Path(__file__).resolve().parents[2].joinpath("README.md").read_text()
    pairs = re.findall(r"`([\w.]+@demo\.clinic)` / `([^`]+)`", readme)
    assert len(pairs) >= 2
    for email, password in pairs:
        harness.client.cookies.clear()
        response = post(harness.client, "/signin", {"email": email, "password": password, "next": "/"})
        assert response.status_code == 303, email


def test_the_demo_clinic_has_an_address_and_phone_for_printouts_but_keeps_a_typed_one(harness):
    from clinic.practice import services as practice_services
    from clinic.practice.tables import ClinicProfile

    harness.run(load_demo, ZONE, now=NOW)
    profile = harness.run(practice_services.practice)
    assert profile.address_line1 and profile.city and profile.phone

    async def retype_and_fill_again():
        await ClinicProfile.update({ClinicProfile.address_line1: "1 Typed Road"}, force=True)
        await _give_the_clinic_an_address(ZONE)
        return (await practice_services.practice()).address_line1

    assert harness.run(retype_and_fill_again) == "1 Typed Road"
