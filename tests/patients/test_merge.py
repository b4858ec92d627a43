"""Merging a duplicate record into the one to keep."""

from __future__ import annotations

import datetime as dt

from tests.factories import add_chart_entry, make_patient, mrn_of, post, sign_in_as
from tests.helpers import html, one


def test_merging_moves_everything_to_the_survivor(harness, client):
    from clinic.scheduling.tables import Appointment

    staff = sign_in_as(harness, "receptionist")
    survivor = harness.run(make_patient, first_name="Anna", last_name="Lee")
    duplicate = harness.run(make_patient, first_name="Ana", last_name="Lee")
    harness.run(add_chart_entry, "allergies", duplicate, substance="Penicillin", severity="severe")
    harness.run(Appointment.insert(Appointment(patient=duplicate, provider=staff["id"],
                                               starts_at=dt.datetime(2026, 12, 1, 15, tzinfo=dt.timezone.utc),
                                               ends_at=dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.timezone.utc))).run)
    survivor_mrn = mrn_of(harness, survivor)
    preview = post(client, f"/patients/{duplicate}/merge", {"survivor_mrn": survivor_mrn})
    assert "Anna" in one(html(preview), "[data-testid=merge-confirm]").text()
    done = post(client, f"/patients/{duplicate}/merge", {"survivor_mrn": survivor_mrn, "confirm": "1"})
    assert done.status_code == 303 and done.headers["location"] == f"/patients/{survivor}"
    assert harness.sql("SELECT patient FROM allergy") == [{"patient": survivor}]
    assert harness.sql("SELECT patient FROM appointment") == [{"patient": survivor}]
    gone = harness.sql("SELECT merged_into, archived_at FROM patient WHERE id = {}", duplicate)[0]
    assert gone["merged_into"] == survivor and gone["archived_at"] is not None
    merge_entry = harness.audit("action = 'patient.merge'", columns="patient_id, entity_id, detail")[0]
    assert merge_entry["patient_id"] == survivor and merge_entry["entity_id"] == str(duplicate)
    assert "allergy:1" in merge_entry["detail"] and "appointments:1" in merge_entry["detail"]
    again = post(client, f"/patients/{duplicate}/merge", {"survivor_mrn": survivor_mrn, "confirm": "1"})
    assert again.status_code == 409
