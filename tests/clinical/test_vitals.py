"""The vital signs section: readings in the clinic's units, BMI, corrections."""

from __future__ import annotations

from decimal import Decimal

from clinic.audit.services import Actor
from clinic.clinical.vitals import add_vitals
from tests.factories import make_patient, post, sign_in_as
from tests.helpers import html, one, texts


def test_a_metric_reading_is_stored_to_one_decimal_on_every_backend(harness):
    patient_id = harness.run(make_patient)
    harness.run(add_vitals, patient_id, {"weight": "70.25", "temperature": "37.25", "height": "170.04"},
                Actor(role="test"), units="metric")
    row = harness.sql("SELECT weight_kg, temperature_c, height_cm FROM vital_signs")[0]
    assert [Decimal(str(row[name])) for name in ("weight_kg", "temperature_c", "height_cm")] == [
        Decimal("70.3"), Decimal("37.3"), Decimal("170.0")]


def test_vital_signs_are_typed_in_clinic_units_and_shown_with_bmi(harness, client):
    sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    bad = post(client, f"/patients/{patient_id}/vitals", {"systolic": "80", "diastolic": "120", "pulse": "720"},
               htmx=True)
    assert bad.status_code == 422
    assert "lower than the systolic" in bad.text and "Expected between 20 and 250" in bad.text
    saved = post(client, f"/patients/{patient_id}/vitals",
                 {"systolic": "128", "diastolic": "82", "pulse": "72", "temperature": "98.6", "weight": "154",
                  "height": "65"}, htmx=True)
    assert saved.status_code == 200
    row = harness.sql("SELECT temperature_c, weight_kg, height_cm FROM vital_signs")[0]
    assert (Decimal(str(row["temperature_c"])), Decimal(str(row["weight_kg"])), Decimal(str(row["height_cm"]))) == (
        Decimal("37.0"), Decimal("69.9"), Decimal("165.1"))
    table_row = html(saved).css_first("tr[data-vitals-id]")
    cells = texts(table_row, "td")
    assert cells[1] == "128/82" and cells[3] == "98.6" and cells[4] == "154.1"
    assert one(table_row, "[data-testid=bmi]").text() == "25.6"


def test_a_vital_signs_reading_can_be_corrected(harness, client):
    sign_in_as(harness, "nurse")
    patient_id = harness.run(make_patient)
    saved = post(client, f"/patients/{patient_id}/vitals", {"systolic": "182", "diastolic": "80", "pulse": "72",
                                                             "temperature": "98.6"}, htmx=True)
    vitals_id = int(html(saved).css_first("tr[data-vitals-id]").attributes["data-vitals-id"])
    form = html(client.get(f"/patients/{patient_id}/vitals/{vitals_id}/edit", headers={"HX-Request": "true"}))
    assert form.css_first("input[name=systolic]").attributes["value"] == "182"
    assert form.css_first("input[name=temperature]").attributes["value"] == "98.6"  # shown in °F again
    bad = post(client, f"/patients/{patient_id}/vitals/{vitals_id}", {"systolic": "70", "diastolic": "80"}, htmx=True)
    assert bad.status_code == 422 and "lower than the systolic" in bad.text
    fixed = post(client, f"/patients/{patient_id}/vitals/{vitals_id}",
                 {"systolic": "128", "diastolic": "80", "pulse": "72", "temperature": "98.6"}, htmx=True)
    assert texts(html(fixed).css_first("tr[data-vitals-id]"), "td")[1] == "128/80"
    assert harness.audit("action = 'clinical.update' AND entity_type = 'vital_signs'", columns="patient_id") == [
        {"patient_id": patient_id}]
