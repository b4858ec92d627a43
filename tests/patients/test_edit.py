"""Editing a patient's details: two people at once never overwrite each other."""

from __future__ import annotations

from tests.factories import DEFAULT_PATIENT, make_patient, post, sign_in_as
from tests.helpers import html, one


def test_two_people_editing_at_once_cannot_overwrite_each_other(harness, client):
    first = sign_in_as(harness, "receptionist", name="Rita Front")
    patient_id = harness.run(make_patient)
    form = html(client.get(f"/patients/{patient_id}/edit"))
    version = form.css_first("input[name=version]").attributes["value"]
    values = {node.attributes["name"]: node.attributes.get("value", "") for node in form.css("form input[name]")
              if node.attributes.get("type") not in ("hidden",)}
    values.update({"sex": "female", "primary_provider": "", "front_desk_notes": "", "version": version})
    saved = post(client, f"/patients/{patient_id}/edit", {**values, "phone": "(617) 555-0100"})
    assert saved.status_code == 303
    # A second person had the same form open (the old version) and changes the email.
    sign_in_as(harness, "nurse")
    stale = post(client, f"/patients/{patient_id}/edit", {**values, "email": "new@example.org"}, htmx=True)
    assert stale.status_code == 409
    tree = html(stale)
    conflict = one(tree, "[data-testid=conflict]")
    assert "Rita Front changed this record" in conflict.text()
    changed = {row.attributes["data-field"]: row.css("td")[1].text() for row in conflict.css("tr[data-field]")}
    assert changed["phone"] == "(617) 555-0100"
    assert tree.css_first("input[name=email]").attributes["value"] == "new@example.org"  # their input is kept
    row = harness.sql("SELECT phone, email, version FROM patient WHERE id = {}", patient_id)[0]
    assert row == {"phone": "+16175550100", "email": "", "version": 2}
    # Saving again from the refreshed version is a deliberate decision and goes through.
    again = post(client, f"/patients/{patient_id}/edit", {**values, "email": "new@example.org",
                                                           "phone": "(617) 555-0100",
                                                           "version": tree.css_first("input[name=version]").attributes["value"]})
    assert again.status_code == 303
    assert harness.sql("SELECT email, version FROM patient WHERE id = {}", patient_id)[0] == {
        "email": "new@example.org", "version": 3}
    assert first
    assert "phone" in harness.audit("action = 'patient.update'", columns="detail")[0]["detail"]


def test_a_version_that_is_not_one_is_a_conflict_not_a_crash(harness, client):
    sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient)
    values = {**DEFAULT_PATIENT, "phone": "(617) 555-0100"}
    for version in ("", "²", "٣", "1.0", "99999999999999"):
        response = post(client, f"/patients/{patient_id}/edit", {**values, "version": version}, htmx=True)
        assert response.status_code == 409, version
    assert harness.sql("SELECT phone, version FROM patient WHERE id = {}", patient_id) == [
        {"phone": "+14155550123", "version": 1}]
