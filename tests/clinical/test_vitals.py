"""The vital signs section: readings in the clinic's units, BMI, corrections."""

from __future__ import annotations

from decimal import Decimal

from clinic.audit.services import Actor
from clinic.clinical.vitals import add_vitals
from tests.factories import make_patient


def test_a_metric_reading_is_stored_to_one_decimal_on_every_backend(harness):
    patient_id = harness.run(make_patient)
    harness.run(add_vitals, patient_id, {"weight": "70.25", "temperature": "37.25", "height": "170.04"},
                Actor(role="test"), units="metric")
    row = harness.sql("SELECT weight_kg, temperature_c, height_cm FROM vital_signs")[0]
    assert [Decimal(str(row[name])) for name in ("weight_kg", "temperature_c", "height_cm")] == [
        Decimal("70.3"), Decimal("37.3"), Decimal("170.0")]
