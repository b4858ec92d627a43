"""835 remittances: posted through billing, idempotent, balanced or sent to exceptions (both backends)."""

import pytest

from clinic.billing import invoices as billing
from clinic.claims import remittance, services
from clinic.core.errors import Invalid
from tests.billing.billing_factories import assert_ledger_adds_up
from tests.claims.claim_factories import BILLER, claim_in_state, set_up_claims


def an_835(trace: str, *claims: str) -> str:
    body = [
        "ST*835*0001~", "BPR*I*100*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20261201~",
        f"TRN*1*{trace}*1512345678~", "DTM*405*20261201~", "N1*PR*AETNA~", "N3*151 FARMINGTON AVE~",
        "N4*HARTFORD*CT*06156~", "N1*PE*RIVERSIDE CLINIC*XX*1234567893~", "LX*1~", *claims,
    ]
    body.append(f"SE*{len(body) + 1}*0001~")
    return "\n".join(["ISA*00*          *00*          *ZZ*AETNA          *ZZ*CLINIC01       *261201*1200*^*00501*"
                      "000000042*0*T*:~", "GS*HP*AETNA*CLINIC01*20261201*1200*42*X*005010X221A1~", *body,
                      "GE*1*42~", "IEA*1*000000042~"]) + "\n"


def clp(number: int, status: str, charge: str, paid: str, patient: str, *lines: str) -> str:
    return "\n".join([f"CLP*{number}*{status}*{charge}*{paid}*{patient}*12*PAYER{number}~", *lines])


def claim_and_invoice(harness, state="submitted", *prices):
    claim_id = harness.run(claim_in_state, state, *(prices or (15000,)))
    claim = harness.run(services.get_claim, claim_id)
    return claim, harness.run(billing.get_invoice, claim["invoice"])


def test_a_paid_claim_posts_the_payment_and_the_contractual_adjustment_and_the_invoice_is_paid(harness):
    harness.run(set_up_claims)
    claim, invoice = claim_and_invoice(harness)  # 150.00; the patient's copay 20.00 is theirs already
    text = an_835("T1", clp(claim["number"], "1", "150", "100", "20",
                            "SVC*HC:99212*150*100**1~", "CAS*CO*45*30~", "CAS*PR*3*20~"))
    result = harness.run(remittance.import_835, text, BILLER)
    assert result["posted"] == 1 and result["exceptions"] == 0 and result["warnings"] == []
    invoice = harness.run(billing.get_invoice, claim["invoice"])
    assert invoice["insurance_paid"] == 10000 and invoice["insurance_open"] == 0
    claim = harness.run(services.get_claim, claim["id"])
    assert claim["state"] == "paid" and claim["paid"] == 10000 and claim["adjusted"] == 3000
    assert claim["lines"][0]["paid"] == 10000 and claim["lines"][0]["patient_responsibility"] == 2000
    harness.run(assert_ledger_adds_up, invoice["patient"])


def test_importing_the_same_file_twice_changes_nothing(harness):
    harness.run(set_up_claims)
    claim, _ = claim_and_invoice(harness)
    text = an_835("T2", clp(claim["number"], "1", "150", "50", "20", "SVC*HC:99212*150*50**1~", "CAS*PR*3*20~",
                            "CAS*CO*45*80~"))
    harness.run(remittance.import_835, text, BILLER)
    before = harness.sql("SELECT COUNT(*) AS n FROM ledger_entry")[0]["n"], harness.sql(
        "SELECT COUNT(*) AS n FROM payment")[0]["n"]
    with pytest.raises(Invalid):
        harness.run(remittance.import_835, text, BILLER)
    with pytest.raises(Invalid):  # the same trace number in a file that differs
        harness.run(remittance.import_835, text.replace("DTM*405*20261201", "DTM*405*20261202"), BILLER)
    after = harness.sql("SELECT COUNT(*) AS n FROM ledger_entry")[0]["n"], harness.sql(
        "SELECT COUNT(*) AS n FROM payment")[0]["n"]
    assert before == after
    assert harness.sql("SELECT COUNT(*) AS n FROM remittance")[0]["n"] == 1


def test_a_line_that_does_not_balance_goes_to_the_exceptions_with_the_reason_and_nothing_is_posted(harness):
    harness.run(set_up_claims)
    claim, invoice = claim_and_invoice(harness)
    text = an_835("T3", clp(claim["number"], "1", "150", "100", "0", "SVC*HC:99212*150*100**1~", "CAS*CO*45*10~"))
    result = harness.run(remittance.import_835, text, BILLER)
    assert result["posted"] == 0 and result["exceptions"] == 1
    exception = harness.run(remittance.open_exceptions)[0]
    assert "Does not balance" in exception["reason"] and exception["claim_number"] == str(claim["number"])
    assert harness.run(billing.get_invoice, invoice["id"])["insurance_paid"] == 0
    assert harness.run(services.get_claim, claim["id"])["state"] == "submitted"


def test_an_unknown_claim_number_goes_to_the_exceptions(harness):
    harness.run(set_up_claims)
    text = an_835("T4", clp(999999, "1", "10", "10", "0", "SVC*HC:99212*10*10**1~"))
    result = harness.run(remittance.import_835, text, BILLER)
    assert result["exceptions"] == 1 and "No claim" in harness.run(remittance.open_exceptions)[0]["reason"]


def test_a_denial_marks_the_claim_denied_with_its_codes_and_moves_nothing(harness):
    harness.run(set_up_claims)
    claim, invoice = claim_and_invoice(harness)
    text = an_835("T5", clp(claim["number"], "4", "150", "0", "0", "SVC*HC:99212*150*0**1~", "CAS*CO*197*150~"))
    harness.run(remittance.import_835, text, BILLER)
    claim = harness.run(services.get_claim, claim["id"])
    assert claim["state"] == "denied" and claim["denial_codes"] == "CO-197"
    assert [e["to_state"] for e in claim["events"]][-2:] == ["accepted", "denied"]


def test_a_partial_payment_leaves_the_rest_pending_and_the_claim_partly_paid(harness):
    harness.run(set_up_claims)
    claim, invoice = claim_and_invoice(harness, "submitted", 15000, 5000)  # 200.00, copay 20.00
    text = an_835("T6", clp(claim["number"], "1", "200", "100", "20",
                            "SVC*HC:99212*150*100**1~", "CAS*PR*3*20~", "CAS*CO*45*30~"))
    result = harness.run(remittance.import_835, text, BILLER)
    assert result["posted"] == 1
    assert harness.run(services.get_claim, claim["id"])["state"] == "partially_paid"
    invoice = harness.run(billing.get_invoice, invoice["id"])
    assert invoice["insurance_open"] == 5000
    harness.run(assert_ledger_adds_up, invoice["patient"])


def test_patient_responsibility_beyond_the_copay_is_moved_to_the_patient(harness):
    harness.run(set_up_claims)
    claim, invoice = claim_and_invoice(harness)  # copay 20.00; the payer says 50.00 (deductible)
    text = an_835("T7", clp(claim["number"], "1", "150", "80", "50", "SVC*HC:99212*150*80**1~", "CAS*PR*3*20~",
                            "CAS*PR*1*30~", "CAS*CO*45*20~"))
    harness.run(remittance.import_835, text, BILLER)
    invoice = harness.run(billing.get_invoice, invoice["id"])
    assert invoice["patient_share"] == 5000 and invoice["insurance_open"] == 0
    harness.run(assert_ledger_adds_up, invoice["patient"])


def test_a_payer_that_drops_the_modifier_still_pays_the_line(harness):
    harness.run(set_up_claims)
    claim, _ = claim_and_invoice(harness)
    harness.sql(f"UPDATE claim_line SET modifier = '25' WHERE claim = {claim['id']}")
    text = an_835("T8", clp(claim["number"], "1", "150", "130", "20", "SVC*HC:99212*150*130**1~", "CAS*PR*3*20~"))
    assert harness.run(remittance.import_835, text, BILLER)["posted"] == 1


def test_unknown_adjustment_and_remark_codes_warn_but_post(harness):
    harness.run(set_up_claims)
    claim, _ = claim_and_invoice(harness)
    text = an_835("T9", clp(claim["number"], "1", "150", "100", "20", "SVC*HC:99212*150*100**1~", "CAS*PR*3*20~",
                            "CAS*CO*Z99*30~", "LQ*HE*N9999~"))
    result = harness.run(remittance.import_835, text, BILLER)
    assert result["posted"] == 1
    assert any("CO-Z99" in warning for warning in result["warnings"])
    assert any("N9999" in warning for warning in result["warnings"])


def test_a_file_that_is_not_an_835_is_refused_with_a_reason():
    with pytest.raises(Invalid):
        remittance.parse_835("hello")
    with pytest.raises(Invalid):
        remittance.parse_835(an_835("T", "").replace("ST*835", "ST*837"))
