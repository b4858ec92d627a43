"""Per-payer prices on the fee schedule: set on the fee screen, used when a covered patient's visit
is invoiced, the split taken from that price (both backends)."""

from clinic.billing import invoices as billing
from clinic.claims import fee_prices
from tests.billing.billing_factories import BILLER, assert_ledger_adds_up, fee, visit_with_services
from tests.claims.claim_factories import add_payer
from tests.factories import add_policy, make_patient, post, sign_in_as
from tests.helpers import html, is_fragment, one


def test_a_payer_price_is_set_on_the_fee_screen_and_a_wrong_one_is_shown_with_the_input_kept(harness):
    fee_id = harness.run(fee, "99213", 12000)
    payer_id = harness.run(add_payer, "Aetna")
    sign_in_as(harness, "billing")
    page = html(harness.client.get("/billing/fees"))
    assert one(page, f"#f-payer_id-price-{fee_id} option[value='{payer_id}']")
    bad = post(harness.client, f"/billing/fees/{fee_id}/payer-prices",
               {"payer_id": str(payer_id), "payer_price": "80.999"}, htmx=True)
    assert bad.status_code == 422 and is_fragment(bad)
    tree = html(bad)
    assert one(tree, f"#e-payer_price-price-{fee_id}")
    assert one(tree, f"#f-payer_price-price-{fee_id}").attributes["value"] == "80.999"
    no_payer = post(harness.client, f"/billing/fees/{fee_id}/payer-prices", {"payer_price": "80"}, htmx=True)
    assert no_payer.status_code == 422 and one(html(no_payer), f"#e-payer_id-price-{fee_id}")
    assert harness.sql("SELECT COUNT(*) AS n FROM fee_payer_price")[0]["n"] == 0
    good = post(harness.client, f"/billing/fees/{fee_id}/payer-prices",
                {"payer_id": str(payer_id), "payer_price": "80.00"}, htmx=True)
    assert good.status_code == 200
    shown = one(html(good), f"tr[data-fee-id='{fee_id}'] [data-payer-price='{payer_id}']").text()
    assert "Aetna" in shown and "80.00" in shown
    assert [row["price"] for row in harness.sql("SELECT price FROM fee_payer_price")] == [8000]
    assert harness.audit("action = 'billing.fee_payer_price'", columns="detail")[-1]["detail"] == "Aetna: set"
    # An empty price takes it away: the clinic's price applies again.
    post(harness.client, f"/billing/fees/{fee_id}/payer-prices", {"payer_id": str(payer_id), "payer_price": ""})
    assert harness.sql("SELECT COUNT(*) AS n FROM fee_payer_price")[0]["n"] == 0


def test_a_covered_patients_visit_is_priced_as_their_payer_pays_and_split_from_that(harness):
    fee_id = harness.run(fee, "99213", 12000)
    harness.run(fee, "36415", 2500)
    aetna = harness.run(add_payer, "Aetna")
    harness.run(fee_prices.set_payer_price, fee_id, aetna, 8000, BILLER)
    covered = harness.run(make_patient)
    policy_id = harness.run(add_policy, covered, "aetna")  # as typed on the card
    harness.sql("UPDATE patient_insurance SET copay = 1500 WHERE id = {}", policy_id)
    self_pay = harness.run(make_patient)
    other_plan = harness.run(make_patient)
    harness.run(add_policy, other_plan, "Cigna")
    totals = {}
    for patient_id in (covered, self_pay, other_plan):
        visit_id, _ = harness.run(visit_with_services, patient_id, ("99213", "Office visit", 1),
                                  ("36415", "Blood draw", 1))
        invoice_id = harness.run(billing.invoice_from_visit, visit_id, BILLER)
        harness.run(billing.issue_invoice, invoice_id, BILLER)
        invoice = harness.run(billing.get_invoice, invoice_id)
        totals[patient_id] = (invoice["total"], invoice["patient_share"], invoice["insurance_share"])
        harness.run(assert_ledger_adds_up, patient_id)
    assert totals[covered] == (8000 + 2500, 1500, 8000 + 2500 - 1500)  # the payer's price, then the copay
    assert totals[self_pay] == (12000 + 2500, 12000 + 2500, 0)
    assert totals[other_plan][0] == 12000 + 2500  # no price of its own: the clinic's
    # An inactive payer's prices no longer apply.
    harness.sql("UPDATE payer SET active = {} WHERE id = {}", False, aetna)
    visit_id, _ = harness.run(visit_with_services, covered, ("99213", "Office visit", 1))
    later = harness.run(billing.invoice_from_visit, visit_id, BILLER)
    assert harness.run(billing.get_invoice, later)["total"] == 12000
