"""The chart shows billing staff the patient's balance, split; other roles do not see it."""

from tests.billing.billing_factories import insured_patient, issued_invoice
from tests.factories import sign_in_as
from tests.helpers import html, one


def test_billing_staff_see_the_balance_split_on_the_chart(harness):
    sign_in_as(harness, "billing")
    patient_id, policy_id = harness.run(insured_patient, copay=1500, coinsurance_percent=0)
    harness.run(issued_invoice, patient_id, 6000, policy_id=policy_id)
    tree = html(harness.client.get(f"/patients/{patient_id}"))
    card = one(tree, "#chart-billing")
    assert one(card, '[data-balance="patient"]').text() == "$15.00"
    assert one(card, '[data-balance="insurance"]').text() == "$45.00"
    assert one(card, "a").attributes["href"] == f"/patients/{patient_id}/billing"


def test_a_doctor_does_not_see_the_billing_card(harness):
    sign_in_as(harness, "doctor")
    patient_id, _ = harness.run(insured_patient)
    assert html(harness.client.get(f"/patients/{patient_id}")).css_first("#chart-billing") is None
