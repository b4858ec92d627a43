"""Claims: made from an invoice's payer share; every allowed and refused change of state (both backends)."""

import asyncio

import pytest

from clinic.claims import services
from clinic.claims.services import ALLOWED, STATES
from clinic.core.errors import Invalid
from tests.claims.claim_factories import BILLER, claim_in_state, insured_invoice, set_up_claims

REACHABLE = ("draft", "ready", "submitted", "accepted", "paid", "partially_paid", "denied")


def test_a_claim_carries_the_invoice_lines_diagnoses_payer_and_policy(harness):
    payer_id = harness.run(set_up_claims)
    invoice_id = harness.run(insured_invoice, 15000, 2550)
    claim = harness.run(services.get_claim, harness.run(services.create_claim, invoice_id, BILLER))
    assert claim["state"] == "draft" and claim["payer"] == payer_id
    assert claim["charge"] == 17550 and [line["charge"] for line in claim["lines"]] == [15000, 2550]
    assert claim["diagnoses"] == ["E11.9", "I10"]
    invoice = harness.sql(f"SELECT policy FROM invoice WHERE id = {invoice_id}")[0]
    assert claim["policy"] == invoice["policy"]


def test_an_invoice_without_a_payer_share_or_a_set_up_payer_gives_no_claim(harness):
    invoice_id = harness.run(insured_invoice, 15000)
    with pytest.raises(Invalid) as missing_payer:
        harness.run(services.create_claim, invoice_id, BILLER)
    assert "payer_id" in missing_payer.value.errors
    harness.run(set_up_claims)
    self_pay = harness.run(insured_invoice, 1000, copay=5000)  # the copay covers it all
    with pytest.raises(Invalid):
        harness.run(services.create_claim, self_pay, BILLER)


def test_an_invoice_gets_one_claim_in_progress_at_a_time(harness):
    harness.run(set_up_claims)
    invoice_id = harness.run(insured_invoice, 15000)
    harness.run(services.create_claim, invoice_id, BILLER)
    with pytest.raises(Invalid):
        harness.run(services.create_claim, invoice_id, BILLER)


def test_twenty_claims_made_at_once_get_twenty_consecutive_numbers(harness):
    harness.run(set_up_claims)
    # One claim first: the migration seeds the sequence's row, which the tests' cleanup empties.
    harness.run(services.create_claim, harness.run(insured_invoice, 10000), BILLER)
    invoices = [harness.run(insured_invoice, 10000) for _ in range(20)]

    async def twenty_at_once():
        return await asyncio.gather(*(services.create_claim(invoice_id, BILLER) for invoice_id in invoices),
                                    return_exceptions=True)

    results = harness.run(twenty_at_once)
    assert not [result for result in results if isinstance(result, BaseException)]
    numbers = sorted(row["number"] for row in harness.sql("SELECT number FROM claim"))
    assert numbers == list(range(numbers[0], numbers[0] + 21))


@pytest.mark.parametrize("from_state", REACHABLE)
def test_every_change_from_a_state_is_allowed_or_refused_as_the_table_says(harness, from_state):
    harness.run(set_up_claims)
    for to_state in STATES:
        claim_id = harness.run(claim_in_state, from_state)
        if to_state in ALLOWED[from_state]:
            if to_state == "corrected":
                harness.run(services.correct_and_resubmit, claim_id, BILLER)
            else:
                harness.run(services.change_state, claim_id, to_state, BILLER, codes="CO-45", note="Too old")
            assert harness.sql(f"SELECT state FROM claim WHERE id = {claim_id}")[0]["state"] == to_state
        else:
            with pytest.raises(Invalid):
                harness.run(services.change_state, claim_id, to_state, BILLER, codes="CO-45", note="Too old")
            assert harness.sql(f"SELECT state FROM claim WHERE id = {claim_id}")[0]["state"] == from_state


def test_a_denial_needs_reason_codes_and_keeps_them(harness):
    harness.run(set_up_claims)
    claim_id = harness.run(claim_in_state, "accepted")
    with pytest.raises(Invalid) as missing:
        harness.run(services.change_state, claim_id, "denied", BILLER)
    assert "codes" in missing.value.errors
    with pytest.raises(Invalid):
        harness.run(services.change_state, claim_id, "denied", BILLER, codes="not a code!")
    harness.run(services.change_state, claim_id, "denied", BILLER, codes="co 16, N290")
    claim = harness.run(services.get_claim, claim_id)
    assert claim["denial_codes"] == "CO-16,N290"
    assert [event["to_state"] for event in claim["events"]][-1] == "denied"


def test_a_denied_claim_is_corrected_by_a_new_claim_that_replaces_it(harness):
    harness.run(set_up_claims)
    claim_id = harness.run(claim_in_state, "denied")
    new_id = harness.run(services.correct_and_resubmit, claim_id, BILLER)
    old, new = harness.run(services.get_claim, claim_id), harness.run(services.get_claim, new_id)
    assert old["state"] == "corrected" and new["state"] == "draft"
    assert new["replaces"] == claim_id and new["number"] > old["number"] and new["invoice"] == old["invoice"]


def test_a_write_off_needs_a_reason(harness):
    harness.run(set_up_claims)
    claim_id = harness.run(claim_in_state, "denied")
    with pytest.raises(Invalid):
        harness.run(services.change_state, claim_id, "written_off", BILLER)
    harness.run(services.change_state, claim_id, "written_off", BILLER, note="Filed too late")
    assert harness.sql(f"SELECT state FROM claim WHERE id = {claim_id}")[0]["state"] == "written_off"


def test_reason_codes_are_read_in_the_usual_spellings():
    assert services.parse_reason_codes("CO-45, pr 1;OA23 M15") == ["CO-45", "PR-1", "OA-23", "M15"]
    with pytest.raises(Invalid):
        services.parse_reason_codes("45 <script>")
