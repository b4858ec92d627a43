"""The insurance split and line totals: pure rules, no database."""

import pytest

from clinic.billing.invoices import LineInput, check_line, line_total
from clinic.billing.split import split_invoice
from clinic.core.errors import Invalid


def test_it_charges_the_copay_then_the_deductible_then_coinsurance():
    split = split_invoice(20000, insured=True, copay=2000, deductible_left=5000, coinsurance_percent=20)
    assert (split.copay, split.deductible, split.coinsurance, split.insurance) == (2000, 5000, 2600, 10400)
    assert split.patient + split.insurance == 20000


def test_it_rounds_coinsurance_half_away_from_zero_and_the_parts_still_add_up():
    split = split_invoice(12345, insured=True, coinsurance_percent=10)  # 1234.5 -> 1235
    assert split.coinsurance == 1235
    assert split.insurance == 11110


def test_a_copay_larger_than_the_bill_is_only_the_bill():
    split = split_invoice(1500, insured=True, copay=2500, coinsurance_percent=20)
    assert (split.patient, split.insurance) == (1500, 0)


def test_without_a_policy_the_patient_owes_everything():
    split = split_invoice(9999, insured=False)
    assert (split.patient, split.insurance, split.self_pay) == (9999, 0, 9999)


def test_full_coinsurance_leaves_nothing_to_the_payer():
    assert split_invoice(8000, insured=True, coinsurance_percent=100).insurance == 0


def test_a_negative_total_is_a_programming_error():
    with pytest.raises(ValueError):
        split_invoice(-1, insured=False)


def test_a_line_total_is_quantity_times_price_less_its_discount():
    assert line_total(LineInput(description="Visit", unit_price=3333, quantity=3, discount=999)) == 9000


def test_a_line_refuses_a_discount_above_its_amount_and_a_zero_quantity():
    with pytest.raises(Invalid) as refused:
        check_line(LineInput(description="Visit", unit_price=1000, quantity=1, discount=1001))
    assert set(refused.value.errors) == {"discount"}
    with pytest.raises(Invalid) as refused:
        check_line(LineInput(description=" ", unit_price=-1, quantity=0))
    assert set(refused.value.errors) == {"description", "unit_price", "quantity"}
