"""The patient list: filters, sorting and pages."""

from __future__ import annotations

from tests.factories import make_patient, sign_in_as
from tests.helpers import html


def test_the_patient_list_filters_sorts_and_pages(harness, client):
    doctor = sign_in_as(harness, "doctor")
    for n in range(30):
        harness.run(make_patient, first_name=f"P{n:02d}", last_name=f"Family{n:02d}",
                    primary_provider=str(doctor["id"]) if n % 3 == 0 else "")
    first = html(client.get("/patients"))
    assert len(first.css("tr[data-patient-id]")) == 25 and "Page 1 of 2" in first.css_first(".pagination").text()
    mine = html(client.get(f"/patients?provider={doctor['id']}", headers={"HX-Request": "true"}))
    assert len(mine.css("tr[data-patient-id]")) == 10
    newest = html(client.get("/patients?sort=-name"))
    assert newest.css_first("tr[data-patient-id] a").text().startswith("Family29")
    never = html(client.get("/patients?last_visit=never"))
    assert len(never.css("tr[data-patient-id]")) == 25
    for evil in ("name;DROP TABLE patient", "1 OR 1=1"):
        assert client.get("/patients", params={"sort": evil, "provider": evil, "status": evil}).status_code == 200
