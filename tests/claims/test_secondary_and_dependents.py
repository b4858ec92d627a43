"""Claims of a patient who is not the policy holder, and secondary claims after the primary payer
paid: exported as 837P from the database, passing pyx12 and read back by x12sdk (both backends)."""

import pytest

from clinic.billing import invoices as billing
from clinic.billing.invoices import LineInput
from clinic.claims import export, remittance, services
from clinic.core.errors import Invalid
from clinic.patients.services import add_insurance
from tests.billing.billing_factories import assert_ledger_adds_up
from tests.claims.claim_factories import BILLER, add_payer, set_up_claims
from tests.claims.test_remittance_import import an_835, clp
from tests.claims.x12_check import cents, pyx12_problems, read_claims
from tests.factories import make_patient

ADDRESS = {"address_line1": "2 Oak St", "city": "Springfield", "region": "IL", "postal_code": "62701"}


async def policy(patient_id: int, payer_name: str, priority: str = "primary", relation: str = "self",
                 holder: tuple[str, str] = ("", ""), member: str = "W123456789") -> int:
    return await add_insurance(patient_id, {
        "payer_name": payer_name, "member_number": member, "priority": priority, "subscriber_relation": relation,
        "subscriber_last_name": holder[0], "subscriber_first_name": holder[1], "group_number": "G77"}, BILLER)


async def issued_invoice(patient_id: int, policy_id: int, *prices: int) -> int:
    invoice_id = await billing.create_invoice(
        patient_id, BILLER, policy_id=policy_id, diagnoses=[{"code": "E11.9", "description": ""}],
        lines=[LineInput(code=f"9921{n + 2}", description="Office visit", unit_price=price)
               for n, price in enumerate(prices)])
    await billing.issue_invoice(invoice_id, BILLER)
    return invoice_id


def test_a_holder_is_named_when_the_policy_is_not_the_patients_own(harness):
    patient_id = harness.run(make_patient)
    with pytest.raises(Invalid) as missing:
        harness.run(policy, patient_id, "Aetna", relation="child")
    assert set(missing.value.errors) == {"subscriber_last_name", "subscriber_first_name"}
    own = harness.run(policy, patient_id, "Aetna", holder=("Typed", "Anyway"))
    row = harness.sql("SELECT subscriber_last_name, subscriber_first_name FROM patient_insurance WHERE id = {}", own)
    assert row == [{"subscriber_last_name": "", "subscriber_first_name": ""}]  # the patient is the holder


def test_a_childs_claim_names_the_parent_as_subscriber_and_the_child_as_patient(harness):
    harness.run(set_up_claims)
    child = harness.run(make_patient, first_name="Amy", last_name="Doe", date_of_birth="2015-06-01", **ADDRESS)
    policy_id = harness.run(policy, child, "Aetna", relation="child", holder=("Doe", "John"), member="PARENT1")
    adult = harness.run(make_patient, first_name="Jane", last_name="Roe", **ADDRESS)
    own_policy = harness.run(policy, adult, "Aetna")
    claims = [harness.run(services.create_claim, harness.run(issued_invoice, patient, policy_id, 12000), BILLER)
              for patient, policy_id in ((child, policy_id), (adult, own_policy))]
    for claim_id in claims:
        harness.run(services.change_state, claim_id, "ready", BILLER)
    content = harness.run(export.get_batch, harness.run(export.export_batch, BILLER))["content"]
    assert pyx12_problems(content) == []
    read = {row["number"]: row for row in read_claims(content)}
    numbers = [str(harness.run(services.get_claim, claim_id)["number"]) for claim_id in claims]
    child_claim, adult_claim = read[numbers[0]], read[numbers[1]]
    assert (child_claim["dependent"], child_claim["relationship"]) == (True, "19")
    assert child_claim["subscriber"] == ("DOE", "JOHN") and child_claim["patient"] == ("DOE", "AMY")
    assert child_claim["member_id"] == "PARENT1" and cents(child_claim["charge"]) == 12000
    assert (adult_claim["dependent"], adult_claim["relationship"]) == (False, "18")


def test_a_dependent_without_an_address_is_named_before_anything_is_sent(harness):
    harness.run(set_up_claims)
    child = harness.run(make_patient, first_name="Amy", last_name="Doe")
    policy_id = harness.run(policy, child, "Aetna", relation="child", holder=("Doe", "John"))
    claim_id = harness.run(services.create_claim, harness.run(issued_invoice, child, policy_id, 12000), BILLER)
    harness.run(services.change_state, claim_id, "ready", BILLER)
    with pytest.raises(Invalid) as refused:
        harness.run(export.export_batch, BILLER)
    assert "address" in refused.value.errors["_"]
    assert harness.run(services.get_claim, claim_id)["state"] == "ready"


def test_a_secondary_claim_carries_what_the_primary_payer_paid_and_adjusted_per_line(harness):
    harness.run(set_up_claims)  # Aetna, primary
    harness.run(add_payer, "Second Mutual", "SEC01")
    patient_id = harness.run(make_patient, **ADDRESS)
    primary_policy = harness.run(policy, patient_id, "Aetna")
    harness.run(policy, patient_id, "Second Mutual", priority="secondary", member="S555")
    invoice_id = harness.run(issued_invoice, patient_id, primary_policy, 15000, 2500)
    primary = harness.run(services.create_claim, invoice_id, BILLER)
    with pytest.raises(Invalid):  # not adjudicated yet
        harness.run(services.create_secondary_claim, primary, BILLER)
    for step in ("ready", "submitted"):
        harness.run(services.change_state, primary, step, BILLER)
    number = harness.run(services.get_claim, primary)["number"]
    charged = harness.run(billing.get_invoice, invoice_id)["insurance_share"]
    assert charged == 17500  # no copay on this policy: all of it goes to the payer
    # The payer pays 90 + 20, takes 35 off the first line by contract, and leaves 25 + 5 to the patient.
    remit = an_835("SEC-T1", clp(number, "1", "175", "110", "30",
                                 "SVC*HC:99212*150*90**1~", "CAS*CO*45*35~", "CAS*PR*2*25~",
                                 "SVC*HC:99213*25*20**1~", "CAS*PR*2*5~"))
    result = harness.run(remittance.import_835, remit, BILLER)
    assert result["exceptions"] == 0, result
    assert harness.run(services.get_claim, primary)["state"] in ("paid", "partially_paid")

    secondary = harness.run(services.create_secondary_claim, primary, BILLER)
    with pytest.raises(Invalid):  # one in progress at a time
        harness.run(services.create_secondary_claim, primary, BILLER)
    claim = harness.run(services.get_claim, secondary)
    assert (claim["primary_claim"], claim["charge"], claim["diagnoses"]) == (primary, 17500, ["E11.9"])
    harness.run(services.change_state, secondary, "ready", BILLER)
    content = harness.run(export.get_batch, harness.run(export.export_batch, BILLER, [secondary]))["content"]
    assert pyx12_problems(content) == []
    read = read_claims(content)[0]
    assert read["payer"] == "SECOND MUTUAL" and read["member_id"] == "S555"
    assert read["other_payers"] == [{"payer": "AETNA", "payer_id": "60054", "paid": 11000}]
    assert read["line_adjudications"] == [[(9000, [("CO", "45", 3500), ("PR", "2", 2500)])],
                                          [(2000, [("PR", "2", 500)])]]
    sbr = [line for line in content.splitlines() if line.startswith("SBR*")]
    assert sbr[0].startswith("SBR*S*18*") and sbr[1].startswith("SBR*P*18*")
    harness.run(assert_ledger_adds_up, patient_id)


def test_the_claim_page_offers_the_secondary_claim_once_the_primary_is_paid(harness):
    from tests.factories import post, sign_in_as
    from tests.helpers import html

    harness.run(set_up_claims)
    harness.run(add_payer, "Second Mutual", "SEC01")
    patient_id = harness.run(make_patient, **ADDRESS)
    primary_policy = harness.run(policy, patient_id, "Aetna")
    harness.run(policy, patient_id, "Second Mutual", priority="secondary", member="S555")
    primary = harness.run(services.create_claim, harness.run(issued_invoice, patient_id, primary_policy, 10000),
                          BILLER)
    sign_in_as(harness, "billing")
    assert not html(harness.client.get(f"/claims/{primary}")).css("form[action$='/secondary']")
    for step in ("ready", "submitted"):
        harness.run(services.change_state, primary, step, BILLER)
    number = harness.run(services.get_claim, primary)["number"]
    harness.run(remittance.import_835, an_835("SEC-T2", clp(number, "1", "100", "80", "20",
                                                              "SVC*HC:99212*100*80**1~", "CAS*PR*2*20~")), BILLER)
    page = html(harness.client.get(f"/claims/{primary}"))
    assert "Second Mutual" in page.css_first("form[action$='/secondary'] button").text()
    response = post(harness.client, f"/claims/{primary}/secondary", {})
    assert response.status_code == 303
    secondary = harness.sql("SELECT id, state FROM claim WHERE primary_claim = {}", primary)
    assert [row["state"] for row in secondary] == ["draft"]
    again = post(harness.client, f"/claims/{primary}/secondary", {})
    assert again.status_code == 422 and "in progress" in again.text
