"""837P batches from the database: validated by pyx12, read back by x12sdk, and the CSV (both backends)."""

import csv
import io

import pytest

from clinic.claims import export, services
from clinic.core.errors import Invalid
from tests.claims.claim_factories import BILLER, claim_in_state, set_up_claims
from tests.claims.x12_check import cents, pyx12_problems, read_claims


def test_a_batch_of_ready_claims_passes_pyx12_and_reads_back_with_the_same_amounts_and_codes(harness):
    harness.run(set_up_claims)
    first = harness.run(claim_in_state, "ready", 15050, 2000)
    second = harness.run(claim_in_state, "ready", 9000)
    batch_id = harness.run(export.export_batch, BILLER)
    batch = harness.run(export.get_batch, batch_id)
    assert pyx12_problems(batch["content"]) == []
    read = read_claims(batch["content"])
    claims = [harness.run(services.get_claim, claim_id) for claim_id in (first, second)]
    assert [row["number"] for row in read] == [str(claim["number"]) for claim in claims]
    for row, claim in zip(read, claims):
        assert cents(row["charge"]) == claim["charge"]
        assert row["diagnoses"] == [code.replace(".", "") for code in claim["diagnoses"]]
        assert [(code, cents(charge)) for code, charge, _ in row["lines"]] == [
            (line["code"], line["charge"]) for line in claim["lines"]]
        assert row["member_id"] == "W123456789" and row["payer"] == "AETNA"
    assert batch["claim_count"] == 2 and batch["total_charge"] == 15050 + 2000 + 9000
    states = {row["state"] for row in harness.sql("SELECT state FROM claim")}
    assert states == {"submitted"}


def test_the_csv_of_a_batch_has_a_row_per_claim_line_with_the_same_amounts(harness):
    harness.run(set_up_claims)
    harness.run(claim_in_state, "ready", 15050, 2000)
    batch_id = harness.run(export.export_batch, BILLER)
    rows = list(csv.DictReader(io.StringIO(export.batch_csv(harness.run(export.batch_rows, batch_id)))))
    assert [(row["code"], row["charge"]) for row in rows] == [("99212", "150.5"), ("99213", "20")]
    assert rows[0]["diagnoses"] == "E11.9 I10"


def test_a_corrected_claim_is_sent_as_a_replacement_of_the_one_it_corrects(harness):
    harness.run(set_up_claims)
    denied = harness.run(claim_in_state, "denied")
    new_id = harness.run(services.correct_and_resubmit, denied, BILLER)
    harness.run(services.change_state, new_id, "ready", BILLER)
    content = harness.run(export.get_batch, harness.run(export.export_batch, BILLER))["content"]
    assert pyx12_problems(content) == []
    old_number = harness.sql(f"SELECT number FROM claim WHERE id = {denied}")[0]["number"]
    assert "11:B:7" in content and f"REF*F8*{old_number}~" in content


def test_nothing_ready_means_no_batch_and_no_number_used(harness):
    harness.run(set_up_claims)
    harness.run(claim_in_state, "draft")
    with pytest.raises(Invalid):
        harness.run(export.export_batch, BILLER)
    assert harness.sql("SELECT COUNT(*) AS n FROM claim_batch")[0]["n"] == 0


def test_batches_take_consecutive_control_numbers(harness):
    harness.run(set_up_claims)
    numbers = []
    for _ in range(2):
        harness.run(claim_in_state, "ready")
        numbers.append(harness.run(export.get_batch, harness.run(export.export_batch, BILLER))["control_number"])
    assert numbers[1] == numbers[0] + 1
