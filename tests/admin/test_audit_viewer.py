"""The audit viewer speaks plainly: patients by name, actions in words."""

from __future__ import annotations

from tests.factories import add_chart_entry, make_patient, post, sign_in_as
from tests.helpers import html, one


def test_an_administrator_finds_a_patient_by_name(harness, client):
    sign_in_as(harness, "admin")
    patient_id = harness.run(make_patient, first_name="Hannah", last_name="Oduya")
    harness.run(make_patient, first_name="Maria", last_name="Garcia")
    response = post(client, "/admin/audit", {"patient": "oduya hann", "action": "patient.create"}, htmx=True)
    tree = html(response)
    assert one(tree, "#audit-results p.muted strong").text() == "Oduya, Hannah"
    assert f"patient={patient_id}" in response.headers["hx-push-url"]
    assert "oduya" not in response.headers["hx-push-url"].lower()  # what was typed stays out of the URL


def test_a_name_that_fits_several_patients_asks_which_one(harness, client):
    sign_in_as(harness, "admin")
    first = harness.run(make_patient, first_name="Ann", last_name="Lee")
    second = harness.run(make_patient, first_name="Anna", last_name="Lee", date_of_birth="1990-01-01")
    response = post(client, "/admin/audit", {"patient": "Lee"}, htmx=True)
    assert response.status_code == 422 and response.headers["hx-retarget"] == "#audit"
    tree = html(response)
    assert one(tree, "#e-patient").text() == "Several patients match: choose one below."
    links = [node.attributes["href"] for node in tree.css("[data-testid=patient-choices] a")]
    assert any(f"patient={first}" in link for link in links) and any(f"patient={second}" in link for link in links)
    assert one(tree, "#f-patient").attributes["value"] == "Lee"  # what was typed is kept


def test_a_name_nobody_has_is_explained_beside_the_field(harness, client):
    sign_in_as(harness, "admin")
    response = post(client, "/admin/audit", {"patient": "Nobody Atall"}, htmx=True)
    assert one(html(response), "#e-patient").text() == "No patient matches that name."


def test_entries_name_the_patient_and_say_what_happened(harness, client):
    sign_in_as(harness, "admin")
    patient_id = harness.run(make_patient, first_name="Hannah", last_name="Oduya")
    harness.run(add_chart_entry, "allergies", patient_id, substance="Latex")
    doctor = sign_in_as(harness, "doctor")
    client.get(f"/patients/{patient_id}")
    sign_in_as(harness, "admin")
    tree = html(client.get(f"/admin/audit?patient={patient_id}&staff={doctor['id']}"))
    row = tree.css_first("tr[data-event-id]")
    assert "Viewed the chart" in row.css_first("td[data-label=What]").text()
    assert row.css_first("td[data-label=Patient] a").text() == "Oduya, Hannah"


def test_a_strange_date_or_staff_filter_is_explained_not_a_crash(harness, client):
    sign_in_as(harness, "admin")
    for query in ("date_to=9999-12-31", "staff=%C2%B2", "date_from=31-31-2020", "page=" + "9" * 20):
        response = client.get(f"/admin/audit?{query}")
        assert response.status_code == 200, query
