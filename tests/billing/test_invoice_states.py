"""Invoices: numbers, totals, every allowed and refused change of state (services, both backends)."""

import asyncio

import pytest

from clinic.billing import invoices as billing
from clinic.billing.corrections import issue_credit_note
from clinic.billing.invoices import LineInput
from clinic.billing.payments import record_payment
from clinic.core.errors import Invalid
from tests.billing.billing_factories import (
    BILLER,
    assert_ledger_adds_up,
    draft_invoice,
    fee,
    insured_patient,
    issued_invoice,
    visit_with_services,
)
from tests.factories import make_patient


def test_twenty_invoices_made_at_once_get_twenty_consecutive_numbers(harness):
    patient_id = harness.run(make_patient)

    async def twenty_at_once():
        return await asyncio.gather(*(draft_invoice(patient_id, 1000) for _ in range(20)))

    ids = harness.run(twenty_at_once)
    numbers = sorted(row["number"] for row in harness.sql("SELECT number FROM invoice"))
    assert len(set(ids)) == 20
    assert numbers == list(range(numbers[0], numbers[0] + 20))


def test_a_voided_draft_keeps_its_number_and_the_next_invoice_takes_a_new_one(harness):
    patient_id = harness.run(make_patient)
    first = harness.run(draft_invoice, patient_id)
    harness.run(billing.void_invoice, first, "Made by mistake", BILLER)
    second = harness.run(draft_invoice, patient_id)
    numbers = {row["id"]: row["number"] for row in harness.sql("SELECT id, number FROM invoice")}
    assert numbers[second] == numbers[first] + 1


def test_totals_are_quantity_times_price_less_discounts(harness):
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(billing.create_invoice, patient_id, BILLER, lines=[
        LineInput(code="99213", description="Office visit", unit_price=12550, quantity=2, discount=1000),
        LineInput(description="Dressing", unit_price=333, quantity=3)])
    invoice = harness.run(billing.get_invoice, invoice_id)
    assert (invoice["subtotal"], invoice["discount_total"], invoice["total"]) == (26099, 1000, 25099)
    assert invoice["state"] == "draft"


def test_an_invoice_from_a_visit_takes_its_services_priced_from_the_fee_schedule_and_its_diagnoses(harness):
    patient_id, policy_id = harness.run(insured_patient)
    harness.run(fee, "99213", 15000)
    visit_id, _ = harness.run(visit_with_services, patient_id, ("99213", "Office visit", 1), ("J1100", "Injection", 2))
    invoice_id = harness.run(billing.invoice_from_visit, visit_id, BILLER)
    invoice = harness.run(billing.invoice_details, invoice_id)
    assert [(line["code"], line["quantity"], line["unit_price"]) for line in invoice["lines"]] == [
        ("99213", 1, 15000), ("J1100", 2, 0)]
    assert [row["code"] for row in invoice["diagnoses"]] == ["E11.9"]
    assert invoice["policy"] == policy_id and invoice["visit"] == visit_id
    with pytest.raises(Invalid):
        harness.run(billing.invoice_from_visit, visit_id, BILLER)


def test_issuing_splits_the_invoice_and_charges_both_parts(harness):
    patient_id, policy_id = harness.run(insured_patient, copay=2000, coinsurance_percent=20, deductible=3000)
    invoice_id = harness.run(issued_invoice, patient_id, 20000, policy_id=policy_id)
    invoice = harness.run(billing.get_invoice, invoice_id)
    assert invoice["state"] == "issued"
    assert (invoice["copay_applied"], invoice["deductible_applied"], invoice["coinsurance_applied"]) == (2000, 3000, 3000)
    assert (invoice["patient_share"], invoice["insurance_share"]) == (8000, 12000)
    balance = harness.run(assert_ledger_adds_up, patient_id)
    assert (balance.patient_due, balance.insurance_pending) == (8000, 12000)


def test_the_deductible_is_counted_once_a_year_across_invoices(harness):
    patient_id, policy_id = harness.run(insured_patient, copay=0, coinsurance_percent=0, deductible=5000)
    harness.run(issued_invoice, patient_id, 4000, policy_id=policy_id)
    second = harness.run(issued_invoice, patient_id, 4000, policy_id=policy_id)
    assert harness.run(billing.get_invoice, second)["deductible_applied"] == 1000


def test_an_issued_invoice_is_never_edited(harness):
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(issued_invoice, patient_id, 5000)
    line_id = harness.sql("SELECT id FROM invoice_line WHERE invoice = {}", invoice_id)[0]["id"]
    for change in (lambda: billing.add_line(invoice_id, LineInput(description="More", unit_price=1), BILLER),
                   lambda: billing.remove_line(invoice_id, line_id, BILLER),
                   lambda: billing.set_policy(invoice_id, None, BILLER),
                   lambda: billing.issue_invoice(invoice_id, BILLER)):
        with pytest.raises(billing.NotEditable):
            harness.run(change)
    assert harness.run(billing.get_invoice, invoice_id)["total"] == 5000


def test_an_empty_draft_cannot_be_issued(harness):
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(billing.create_invoice, patient_id, BILLER)
    with pytest.raises(Invalid):
        harness.run(billing.issue_invoice, invoice_id, BILLER)


def test_a_draft_can_gain_and_lose_lines(harness):
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(draft_invoice, patient_id, 1000)
    harness.run(billing.add_line, invoice_id, LineInput(description="Extra", unit_price=250, quantity=2), BILLER)
    assert harness.run(billing.get_invoice, invoice_id)["total"] == 1500
    first = harness.sql("SELECT id FROM invoice_line WHERE invoice = {} ORDER BY position", invoice_id)[0]["id"]
    harness.run(billing.remove_line, invoice_id, first, BILLER)
    assert harness.run(billing.get_invoice, invoice_id)["total"] == 500


def test_voiding_needs_a_reason_and_an_issued_unpaid_invoice_is_reversed_on_the_ledger(harness):
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(issued_invoice, patient_id, 7000)
    with pytest.raises(Invalid) as refused:
        harness.run(billing.void_invoice, invoice_id, "  ", BILLER)
    assert "reason" in refused.value.errors
    harness.run(billing.void_invoice, invoice_id, "Wrong patient", BILLER)
    invoice = harness.run(billing.get_invoice, invoice_id)
    assert (invoice["state"], invoice["void_reason"]) == ("void", "Wrong patient")
    assert harness.run(assert_ledger_adds_up, patient_id).total == 0
    with pytest.raises(Invalid):
        harness.run(billing.void_invoice, invoice_id, "Again", BILLER)
    assert harness.sql("SELECT COUNT(*) AS n FROM invoice")[0]["n"] == 1  # never deleted


def test_a_partly_paid_invoice_cannot_be_voided_only_credited(harness):
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(issued_invoice, patient_id, 7000)
    harness.run(record_payment, patient_id, 2000, "cash", BILLER, invoice_id=invoice_id)
    assert harness.run(billing.get_invoice, invoice_id)["state"] == "partially_paid"
    with pytest.raises(Invalid):
        harness.run(billing.void_invoice, invoice_id, "Oops", BILLER)
    note_id = harness.run(issue_credit_note, invoice_id, 5000, "Service not given", BILLER)
    note = harness.run(billing.get_invoice, note_id)
    assert (note["kind"], note["total"], note["corrects"]) == ("credit_note", -5000, invoice_id)
    assert harness.run(billing.get_invoice, invoice_id)["state"] == "paid"
    assert harness.run(assert_ledger_adds_up, patient_id).total == 0


def test_a_credit_note_on_a_paid_invoice_turns_the_payment_into_credit(harness):
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(issued_invoice, patient_id, 7000)
    harness.run(record_payment, patient_id, 7000, "card", BILLER, invoice_id=invoice_id)
    assert harness.run(billing.get_invoice, invoice_id)["state"] == "paid"
    harness.run(issue_credit_note, invoice_id, 3000, "Discount agreed", BILLER)
    balance = harness.run(assert_ledger_adds_up, patient_id)
    assert balance.credit == 3000
    with pytest.raises(Invalid):
        harness.run(issue_credit_note, invoice_id, 4001, "Too much", BILLER)


def test_drafts_and_void_invoices_are_not_credited(harness):
    patient_id = harness.run(make_patient)
    draft = harness.run(draft_invoice, patient_id)
    with pytest.raises(Invalid):
        harness.run(issue_credit_note, draft, 100, "No", BILLER)
    harness.run(billing.void_invoice, draft, "No", BILLER)
    with pytest.raises(Invalid):
        harness.run(issue_credit_note, draft, 100, "No", BILLER)


def test_credit_notes_share_the_invoice_numbering(harness):
    patient_id = harness.run(make_patient)
    invoice_id = harness.run(issued_invoice, patient_id, 7000)
    note_id = harness.run(issue_credit_note, invoice_id, 100, "Rounding", BILLER)
    rows = {row["id"]: row["number"] for row in harness.sql("SELECT id, number FROM invoice")}
    assert rows[note_id] == rows[invoice_id] + 1
    assert harness.sql("SELECT COUNT(*) AS n FROM invoice_line WHERE invoice = {}", note_id)[0]["n"] == 1

