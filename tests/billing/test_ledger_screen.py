"""The patient's billing screen: credit, refunds, policy terms and credit notes over HTTP."""

from clinic.billing import invoices as billing
from clinic.billing.payments import credit_available, record_payment
from tests.billing.billing_factories import BILLER, assert_ledger_adds_up, insured_patient, issued_invoice
from tests.factories import make_patient, post, sign_in_as
from tests.helpers import html, is_fragment, one


def test_the_ledger_shows_every_entry_and_the_running_balance(harness):
    sign_in_as(harness, "billing")
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(issued_invoice, patient_id, 8000)
    harness.run(record_payment, patient_id, 3000, "cash", BILLER, invoice_id=invoice_id)
    tree = html(harness.client.get(f"/patients/{patient_id}/billing"))
    assert [row.attributes["data-ledger-kind"] for row in tree.css("tr[data-ledger-kind]")] == ["payment", "charge"]
    assert one(tree, '[data-balance="patient"]').text() == "$50.00"


def test_an_overpayment_is_applied_later_and_the_rest_refunded(harness):
    sign_in_as(harness, "billing")
    patient_id = harness.run(make_patient)
    harness.run(record_payment, patient_id, 5000, "card", BILLER)
    invoice_id = harness.run(issued_invoice, patient_id, 2000)
    applied = post(harness.client, f"/patients/{patient_id}/billing/credit/apply", {"invoice_id": str(invoice_id)})
    assert applied.status_code == 303
    assert harness.run(billing.get_invoice, invoice_id)["state"] == "paid"
    too_much = post(harness.client, f"/patients/{patient_id}/billing/refunds",
                    {"amount": "30.01", "method": "card", "reason": "Leaving the area"}, htmx=True,
                    headers={"HX-Target": "payment-forms"})
    assert too_much.status_code == 422 and is_fragment(too_much)
    assert one(html(too_much), "#e-amount-refund")
    done = post(harness.client, f"/patients/{patient_id}/billing/refunds",
                {"amount": "30.00", "method": "card", "reason": "Leaving the area"})
    assert done.status_code == 303
    assert harness.run(credit_available, patient_id) == 0
    assert harness.run(assert_ledger_adds_up, patient_id).total == 0


def test_policy_terms_are_saved_and_split_the_next_invoice(harness):
    sign_in_as(harness, "billing")
    patient_id, policy_id = harness.run(insured_patient, copay=0, coinsurance_percent=0)
    bad = post(harness.client, f"/patients/{patient_id}/billing/policies/{policy_id}",
               {"copay": "abc", "coinsurance_percent": "101", "deductible": ""}, htmx=True,
               headers={"HX-Target": "policy-terms"})
    assert bad.status_code == 422
    tree = html(bad)
    assert one(tree, f"#e-copay-{policy_id}") and one(tree, f"#e-coinsurance_percent-{policy_id}")
    assert one(tree, f"#f-copay-{policy_id}").attributes["value"] == "abc"
    good = post(harness.client, f"/patients/{patient_id}/billing/policies/{policy_id}",
                {"copay": "20", "coinsurance_percent": "10", "deductible": ""}, htmx=True,
                headers={"HX-Target": "policy-terms"})
    assert good.status_code == 200
    invoice_id = harness.run(issued_invoice, patient_id, 12000, policy_id=policy_id)
    invoice = harness.run(billing.get_invoice, invoice_id)
    assert (invoice["patient_share"], invoice["insurance_share"]) == (3000, 9000)


def test_a_credit_note_is_issued_from_the_invoice_screen(harness):
    sign_in_as(harness, "billing")
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(issued_invoice, patient_id, 4000)
    url = f"/patients/{patient_id}/billing/invoices/{invoice_id}/credit-note"
    refused = post(harness.client, url, {"amount": "40.01", "reason": "Wrong code"}, htmx=True,
                   headers={"HX-Target": "invoice-actions"})
    assert refused.status_code == 422 and one(html(refused), "#e-amount-credit")
    assert post(harness.client, url, {"amount": "15", "reason": "Wrong code"}).status_code == 303
    page = html(harness.client.get(f"/patients/{patient_id}/billing"))
    assert one(page, '[data-balance="patient"]').text() == "$25.00"
    assert harness.run(assert_ledger_adds_up, patient_id).patient_due == 2500
