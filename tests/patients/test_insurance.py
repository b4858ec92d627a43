"""A patient's insurance: its own permissions, member numbers masked and revealed."""

from __future__ import annotations

from tests.factories import add_policy, make_patient, post, sign_in_as
from tests.helpers import html, one


def test_insurance_needs_its_own_permissions(harness, client):
    sign_in_as(harness, "nurse")  # may edit demographics, not insurance
    patient_id = harness.run(make_patient)
    harness.run(add_policy, patient_id, "Cigna", "C987654321")
    assert client.get(f"/patients/{patient_id}/insurance").status_code == 403
    refused = post(client, f"/patients/{patient_id}/insurance", {"payer_name": ""}, htmx=True)
    assert refused.status_code == 403 and "Cigna" not in refused.text
    timeline = client.get(f"/patients/{patient_id}/timeline").text
    assert "Cigna" not in timeline


def test_insurance_is_added_masked_and_revealed(harness, client):
    sign_in_as(harness, "receptionist")
    patient_id = harness.run(make_patient)
    bad = post(client, f"/patients/{patient_id}/insurance", {"payer_name": "", "member_number": "!"}, htmx=True)
    assert bad.status_code == 422 and "Enter the insurer" in bad.text
    added = post(client, f"/patients/{patient_id}/insurance",
                 {"payer_name": "Aetna", "plan_name": "PPO", "member_number": "W123456789", "priority": "primary",
                  "subscriber_relation": "self"}, htmx=True)
    policy = html(added).css_first("li[data-insurance-id]")
    assert "Aetna" in policy.text() and "6789" in policy.text() and "W123456789" not in policy.text()
    insurance_id = int(policy.attributes["data-insurance-id"])
    sign_in_as(harness, "billing")
    revealed = post(client, f"/patients/{patient_id}/insurance/{insurance_id}/reveal", htmx=True)
    assert one(html(revealed), "[data-testid=revealed]").text() == "W123456789"
