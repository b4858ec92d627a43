"""The patient's access report: every access to their record in a period, and nothing else."""

from __future__ import annotations

import datetime as dt
import io

import time_machine
from pypdf import PdfReader

from clinic.audit.services import Actor, record
from clinic.core import clock
from clinic.db.schema import raw
from tests.audit.tampering import without_triggers
from tests.factories import make_patient, make_staff, post, sign_in_as
from tests.helpers import html, one


def period(harness) -> dict:
    """The last week up to today in the clinic's time zone (the form refuses days after today)."""
    today = clock.today_in(harness.app.state.settings.timezone)
    return {"date_from": (today - dt.timedelta(days=7)).isoformat(), "date_to": today.isoformat()}


def naming(harness, patient_id: int) -> set[int]:
    """This test's audit entries that name the patient, alone or among others."""
    rows = harness.audit("patient_id = {} OR id IN (SELECT event_id FROM audit_event_patient WHERE patient_id = {})",
                         patient_id, patient_id, columns="id")
    return {row["id"] for row in rows}


def accesses_in_a_week(harness, client):
    """Ann's record read, listed, changed and opened by breaking the glass; Bob's read; one of Ann's reads
    long ago and one dated after the period (a clock that ran ahead)."""
    nurse = harness.run(make_staff, "nurse", name="Nora Nurse")
    ann = harness.run(make_patient, nurse["id"], first_name="Ann", last_name="Zephyr")
    bob = harness.run(make_patient, nurse["id"], first_name="Bob", last_name="Quill")
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)
    with time_machine.travel(long_ago, tick=False):
        old = harness.run(record, "patient.read", Actor(staff_id=nurse["id"], role="nurse"), entity_type="patient",
                          entity_id=ann, patient_id=ann, detail="chart")
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3), tick=False):
        later = harness.run(record, "patient.read", Actor(staff_id=nurse["id"], role="nurse"), entity_type="patient",
                            entity_id=ann, patient_id=ann, detail="timeline")
    doctor = sign_in_as(harness, "doctor", name="Dora Doctor")
    assert client.get(f"/patients/{ann}").status_code == 200
    assert client.get(f"/patients/{bob}").status_code == 200
    assert client.get("/patients").status_code == 200  # the list shows both
    changed = post(client, f"/patients/{ann}/vitals", {"systolic": "120", "diastolic": "80", "weight": "150",
                                                       "height": "66"}, htmx=True)
    assert changed.status_code < 400
    sign_in_as(harness, "receptionist", name="Rita Reception")
    post(client, f"/patients/{ann}/break-glass", {"reason": "Ambulance crew asked for allergies"}, htmx=True)
    assert client.get(f"/patients/{ann}").status_code == 200
    return {"ann": ann, "bob": bob, "old": old, "later": later, "doctor": doctor}


def test_it_lists_every_access_of_the_patient_in_the_period_and_nothing_else(harness, client):
    made = accesses_in_a_week(harness, client)
    ann, bob = made["ann"], made["bob"]
    admin = sign_in_as(harness, "admin", name="Ada Admin")
    assert client.get(f"/patients/{ann}/access-report").status_code == 200
    expected = naming(harness, ann) - {made["old"], made["later"]}
    bob_only = naming(harness, bob) - naming(harness, ann)
    response = post(client, f"/patients/{ann}/access-report", period(harness))
    assert response.status_code == 200, response.text
    tree = html(response)
    shown = {int(row.attributes["data-access-id"]) for row in tree.css("tr[data-access-id]")}
    assert expected <= shown
    # Anything else shown is older than this test (SQLite may give a new patient a used id).
    assert all(entry < harness.audit_start for entry in shown - expected)
    assert made["old"] not in shown and made["later"] not in shown and not shown & bob_only
    text = one(tree, "[data-testid=access-report]").text()
    assert "Bob" not in text and "Quill" not in text
    assert "Dora Doctor" in text and "Rita Reception" in text and "Viewed the chart" in text
    assert "one of several patients" in text and "Doctor" in text and "Receptionist" in text
    glass = tree.css("tr[data-break-glass]")
    assert len(glass) == 2  # breaking the glass, and the chart read under it
    assert all("Ambulance crew asked for allergies" in row.text() for row in glass)
    assert "was verified" in one(tree, "[data-testid=verification]").text()
    produced = harness.audit("action = 'patient.access_report'", columns="staff_id, patient_id, outcome, detail")
    assert produced == [{"staff_id": admin["id"], "patient_id": ann, "outcome": "success",
                         "detail": f"page {period(harness)['date_from']} {period(harness)['date_to']}"}]


def test_the_pdf_holds_the_same_accesses_and_is_audited(harness, client):
    made = accesses_in_a_week(harness, client)
    sign_in_as(harness, "doctor", name="Dev Doctor")
    response = post(client, f"/patients/{made['ann']}/access-report/pdf", period(harness))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment;")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages).split())
    assert "Who accessed your record" in text and "Ann Zephyr" in text
    assert "Dora Doctor" in text and "Rita Reception" in text and "BREAK-THE-GLASS" in text
    assert "Ambulance crew asked for allergies" in text and "Quill" not in text
    assert "verified" in text
    details = [row["detail"] for row in harness.audit("action = 'patient.access_report'", columns="detail")]
    assert details and details[0].startswith("pdf ")


def test_a_tampered_trail_refuses_the_report_and_says_so(harness, client):
    made = accesses_in_a_week(harness, client)
    ann = made["ann"]
    engine = harness.engine
    victim = max(naming(harness, ann))
    original = harness.sql("SELECT detail FROM audit_event WHERE id = {}", victim)[0]["detail"]

    async def tamper():
        await raw(engine, "UPDATE audit_event SET detail = {} WHERE id = {}", "nothing to see", victim)

    async def restore():
        await raw(engine, "UPDATE audit_event SET detail = {} WHERE id = {}", original, victim)

    harness.run(without_triggers, engine, tamper)
    try:
        sign_in_as(harness, "admin")
        response = post(client, f"/patients/{ann}/access-report", period(harness))
        assert response.status_code == 409
        alert = one(html(response), "[data-testid=verification-failed]").text()
        assert "failed verification" in alert and f"#{victim}" in alert
        assert not html(response).css("tr[data-access-id]")
        failed = harness.audit("action = 'patient.access_report'", columns="outcome")
        assert [row["outcome"] for row in failed] == ["failure"]
    finally:
        harness.run(without_triggers, engine, restore)


def test_it_keeps_the_dates_and_explains_a_period_that_ends_before_it_starts(harness, client):
    patient = harness.run(make_patient)
    sign_in_as(harness, "admin")
    response = post(client, f"/patients/{patient}/access-report", {"date_from": "2026-05-10", "date_to": "2026-05-01"})
    assert response.status_code == 422
    tree = html(response)
    assert one(tree, "#f-date_from").attributes["value"] == "2026-05-10"
    assert "before the start" in one(tree, "#e-date_to").text()
    assert not harness.audit("action = 'patient.access_report'")


def test_only_administrators_and_doctors_may_produce_it(harness, client):
    patient = harness.run(make_patient)
    for role in ("nurse", "receptionist", "billing"):
        sign_in_as(harness, role)
        assert client.get(f"/patients/{patient}/access-report").status_code == 403
        assert post(client, f"/patients/{patient}/access-report", period(harness)).status_code == 403
    for role in ("admin", "doctor"):
        sign_in_as(harness, role)
        form = client.get(f"/patients/{patient}/access-report")
        assert form.status_code == 200
        assert one(html(form), "form[action$='/access-report']")
    sign_in_as(harness, "admin")
    chart = html(client.get(f"/patients/{patient}"))
    assert one(chart, "[data-testid=access-report-link]").attributes["href"] == f"/patients/{patient}/access-report"
