"""Payments, credit, refunds and insurance: the ledger adds up after every step (both backends)."""

import pytest

from clinic.billing import invoices as billing
from clinic.billing import ledger
from clinic.billing.corrections import settle_insurance
from clinic.billing.payments import apply_credit, credit_available, get_payment, record_payment, refund
from clinic.core.errors import Invalid
from tests.billing.billing_factories import (
    BILLER,
    assert_ledger_adds_up,
    draft_invoice,
    insured_patient,
    issued_invoice,
)
from tests.factories import make_patient


def test_a_partial_then_full_cash_payment_moves_the_invoice_to_paid(harness):
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(issued_invoice, patient_id, 10000)
    harness.run(record_payment, patient_id, 4000, "cash", BILLER, invoice_id=invoice_id)
    assert harness.run(billing.get_invoice, invoice_id)["state"] == "partially_paid"
    assert harness.run(assert_ledger_adds_up, patient_id).patient_due == 6000
    harness.run(record_payment, patient_id, 6000, "card", BILLER)
    assert harness.run(billing.get_invoice, invoice_id)["state"] == "paid"
    assert harness.run(assert_ledger_adds_up, patient_id).total == 0


def test_receipts_are_numbered_in_order(harness):
    patient_id = harness.run(make_patient)
    harness.run(issued_invoice, patient_id, 10000)
    first = harness.run(record_payment, patient_id, 100, "cash", BILLER)
    second = harness.run(record_payment, patient_id, 100, "cash", BILLER)
    numbers = [harness.run(get_payment, payment)["receipt_number"] for payment in (first, second)]
    assert numbers[1] == numbers[0] + 1


def test_an_overpayment_is_kept_as_credit_and_applied_to_the_next_invoice(harness):
    patient_id = harness.run(make_patient)
    harness.run(issued_invoice, patient_id, 3000)
    harness.run(record_payment, patient_id, 5000, "bank_transfer", BILLER, reference="TRX-1")
    balance = harness.run(assert_ledger_adds_up, patient_id)
    assert balance.credit == 2000 and harness.run(credit_available, patient_id) == 2000
    later = harness.run(issued_invoice, patient_id, 2500)
    assert harness.run(apply_credit, patient_id, BILLER, invoice_id=later) == 2000
    invoice = harness.run(billing.get_invoice, later)
    assert (invoice["state"], invoice["patient_open"]) == ("partially_paid", 500)
    assert harness.run(assert_ledger_adds_up, patient_id).patient_due == 500
    with pytest.raises(Invalid):
        harness.run(apply_credit, patient_id, BILLER)


def test_payments_go_to_the_oldest_open_invoice_first(harness):
    patient_id = harness.run(make_patient)
    older = harness.run(issued_invoice, patient_id, 3000)
    newer = harness.run(issued_invoice, patient_id, 3000)
    harness.run(record_payment, patient_id, 4000, "cash", BILLER)
    assert harness.run(billing.get_invoice, older)["state"] == "paid"
    assert harness.run(billing.get_invoice, newer)["patient_open"] == 2000
    harness.run(assert_ledger_adds_up, patient_id)


def test_a_refund_gives_back_credit_and_never_more(harness):
    patient_id = harness.run(make_patient)
    harness.run(record_payment, patient_id, 5000, "card", BILLER)
    with pytest.raises(Invalid) as refused:
        harness.run(refund, patient_id, 5001, "card", "Moved away", BILLER)
    assert "amount" in refused.value.errors
    with pytest.raises(Invalid):
        harness.run(refund, patient_id, 100, "card", "", BILLER)
    harness.run(refund, patient_id, 3000, "card", "Moved away", BILLER)
    assert harness.run(assert_ledger_adds_up, patient_id).credit == 2000
    harness.run(refund, patient_id, 2000, "cash", "Moved away", BILLER)
    assert harness.run(assert_ledger_adds_up, patient_id).total == 0
    kinds = [entry["kind"] for entry in harness.run(ledger.entries_of, patient_id)]
    assert kinds == ["refund", "refund", "credit"]


def test_a_payment_refuses_bad_amounts_methods_and_drafts(harness):
    patient_id = harness.run(make_patient)
    draft = harness.run(draft_invoice, patient_id)
    for amount, method, invoice_id, field in ((0, "cash", None, "amount"), (100, "cheque", None, "method"),
                                              (100, "cash", draft, "invoice_id"), (100, "insurance", None, "invoice_id")):
        with pytest.raises(Invalid) as refused:
            harness.run(record_payment, patient_id, amount, method, BILLER, invoice_id=invoice_id)
        assert field in refused.value.errors
    assert harness.sql("SELECT COUNT(*) AS n FROM payment")[0]["n"] == 0
    assert harness.run(assert_ledger_adds_up, patient_id).total == 0


def test_insurance_pays_its_part_and_the_statement_split_follows(harness):
    patient_id, policy_id = harness.run(insured_patient, copay=2000, coinsurance_percent=20)
    invoice_id = harness.run(issued_invoice, patient_id, 12000, policy_id=policy_id)
    balance = harness.run(assert_ledger_adds_up, patient_id)
    assert (balance.patient_due, balance.insurance_pending) == (4000, 8000)
    with pytest.raises(Invalid):
        harness.run(record_payment, patient_id, 8001, "insurance", BILLER, invoice_id=invoice_id)
    harness.run(record_payment, patient_id, 7000, "insurance", BILLER, invoice_id=invoice_id)
    assert harness.run(assert_ledger_adds_up, patient_id).insurance_pending == 1000
    harness.run(settle_insurance, invoice_id, BILLER, to_patient=600, write_off=400, reason="Payer adjustment")
    balance = harness.run(assert_ledger_adds_up, patient_id)
    assert (balance.patient_due, balance.insurance_pending) == (4600, 0)
    harness.run(record_payment, patient_id, 4600, "cash", BILLER, invoice_id=invoice_id)
    assert harness.run(billing.get_invoice, invoice_id)["state"] == "paid"
    assert harness.run(assert_ledger_adds_up, patient_id).total == 0


def test_the_ledger_only_grows(harness):
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(issued_invoice, patient_id, 5000)
    before = harness.sql("SELECT id, amount FROM ledger_entry ORDER BY id")
    harness.run(record_payment, patient_id, 6000, "cash", BILLER, invoice_id=invoice_id)
    harness.run(refund, patient_id, 1000, "cash", "Change", BILLER)
    after = harness.sql("SELECT id, amount FROM ledger_entry ORDER BY id")
    assert after[:len(before)] == before and len(after) == len(before) + 3
