"""Archiving a patient and restoring them."""

from __future__ import annotations

from tests.factories import make_patient, post, sign_in_as
from tests.helpers import html


def test_archiving_hides_a_patient_from_search_and_restoring_brings_them_back(harness, client):
    sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient, last_name="Archer")
    assert post(client, f"/patients/{patient_id}/archive").status_code == 303
    assert html(post(client, "/patients/search", {"q": "arch"}, htmx=True)).css("[data-patient-id]") == []
    archived = html(post(client, "/patients/search", {"q": "arch", "archived": "1"}, htmx=True))
    assert len(archived.css("[data-patient-id]")) == 1
    listing = html(client.get("/patients?status=archived"))
    assert [int(r.attributes["data-patient-id"]) for r in listing.css("tr[data-patient-id]")] == [patient_id]
    assert post(client, f"/patients/{patient_id}/restore").status_code == 303
    assert len(html(post(client, "/patients/search", {"q": "arch"}, htmx=True)).css("[data-patient-id]")) == 1
    actions = [row["action"] for row in harness.audit("patient_id = {}", patient_id, columns="action")]
    assert "patient.archive" in actions and "patient.restore" in actions
