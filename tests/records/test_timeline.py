"""The chart's timeline: what happened, as far as the reader may see."""

from __future__ import annotations

from tests.factories import add_chart_entry, make_patient, sign_in_as
from tests.helpers import html, texts


def test_the_timeline_lists_what_happened(harness, client):
    sign_in_as(harness, "doctor")
    patient_id = harness.run(make_patient)
    harness.run(add_chart_entry, "problems", patient_id, description="Asthma")
    events = texts(html(client.get(f"/patients/{patient_id}/timeline", headers={"HX-Request": "true"})), "li")
    assert any("Problem recorded" in event and "Asthma" in event for event in events)
    assert any("Registered" in event for event in events)
    sign_in_as(harness, "receptionist")
    events = texts(html(client.get(f"/patients/{patient_id}/timeline")), "ol.timeline li")
    assert not any("Asthma" in event for event in events)
