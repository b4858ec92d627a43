"""A cancelled appointment (or a voided visit) takes its unsent claims and draft charges with it;
claims the payer already has stay as they are and are flagged for the biller (both backends)."""

from clinic.billing import invoices as billing
from clinic.billing.invoices import LineInput
from clinic.claims import services
from clinic.core import clock
from tests.billing.billing_factories import assert_ledger_adds_up, fee, visit_with_services
from tests.claims.claim_factories import BILLER, set_up_claims
from tests.factories import add_policy, locale, make_patient
from tests.visits.visit_factories import make_appointment


async def claim_for_appointment(patient_id: int, policy_id: int, appointment_id: int, *steps: str) -> int:
    """An issued invoice of the appointment with a claim moved through ``steps``; returns the claim id."""
    invoice_id = await billing.create_invoice(
        patient_id, BILLER, lines=[LineInput(code="99213", description="Office visit", unit_price=15000)],
        policy_id=policy_id, appointment_id=appointment_id, diagnoses=[{"code": "E11.9", "description": ""}])
    await billing.issue_invoice(invoice_id, BILLER)
    claim_id = await services.create_claim(invoice_id, BILLER)
    for step in steps:
        await services.change_state(claim_id, step, BILLER)
    return claim_id


def test_cancelling_in_the_book_voids_unsent_claims_and_flags_sent_ones(harness):
    from clinic.scheduling import services as book

    harness.run(set_up_claims)
    patient_id = harness.run(make_patient)
    policy_id = harness.run(add_policy, patient_id)
    visit_id, doctor = harness.run(visit_with_services, patient_id, ("99213", "Office visit", 1))
    appointment_id = harness.run(make_appointment, patient_id, doctor["id"], status="booked")
    harness.sql("UPDATE visit SET appointment = {} WHERE id = {}", appointment_id, visit_id)
    draft_invoice = harness.run(billing.invoice_from_visit, visit_id, BILLER)
    draft = harness.run(claim_for_appointment, patient_id, policy_id, appointment_id)
    ready = harness.run(claim_for_appointment, patient_id, policy_id, appointment_id, "ready")
    sent = harness.run(claim_for_appointment, patient_id, policy_id, appointment_id, "ready", "submitted")
    # Another appointment's claim is none of this cancellation's business.
    other_appointment = harness.run(make_appointment, patient_id, doctor["id"], status="booked")
    other = harness.run(claim_for_appointment, patient_id, policy_id, other_appointment, "ready")

    revision = harness.run(book.get_appointment, appointment_id)["revision"]
    harness.run(book.cancel, appointment_id, revision, "Patient called: unwell", BILLER, locale())

    states = {row["id"]: (row["state"], row["attention"]) for row in harness.sql("SELECT id, state, attention FROM claim")}
    assert states[draft] == ("void", "") and states[ready] == ("void", "")
    assert states[sent][0] == "submitted" and "Appointment cancelled" in states[sent][1]
    assert states[other] == ("ready", "")
    live = harness.sql("SELECT COUNT(*) AS n FROM claim c JOIN invoice i ON i.id = c.invoice "
                       "WHERE i.appointment = {} AND c.state IN ('draft', 'ready')", appointment_id)
    assert live[0]["n"] == 0
    assert harness.run(billing.get_invoice, draft_invoice)["state"] == "void"
    assert harness.sql("SELECT COUNT(*) AS n FROM invoice WHERE appointment = {} AND state = 'draft'",
                       appointment_id)[0]["n"] == 0
    events = harness.sql("SELECT to_state, note FROM claim_event WHERE claim = {} ORDER BY id", draft)
    assert events[-1]["to_state"] == "void" and events[-1]["note"] == "Appointment cancelled"
    # The flagged claim shows in the biller's queue until the biller clears it.
    queue = harness.run(services.work_queue, 30, clock.now())
    assert [row["id"] for row in queue["attention"]] == [sent]
    harness.run(services.clear_attention, sent, BILLER)
    assert harness.sql("SELECT attention FROM claim WHERE id = {}", sent)[0]["attention"] == ""
    harness.run(assert_ledger_adds_up, patient_id)


def test_voiding_for_a_visit_voids_its_unsent_claim_and_a_second_run_changes_nothing(harness):
    harness.run(set_up_claims)
    patient_id = harness.run(make_patient)
    harness.run(add_policy, patient_id)
    visit_id, _ = harness.run(visit_with_services, patient_id, ("99213", "Office visit", 1))
    harness.run(fee, "99213", 15000)
    invoice_id = harness.run(billing.invoice_from_visit, visit_id, BILLER)
    harness.run(billing.issue_invoice, invoice_id, BILLER)
    claim_id = harness.run(services.create_claim, invoice_id, BILLER)
    done = harness.run(services.void_unsent_for_visit, visit_id, "Visit entered in error", BILLER)
    assert done == {"voided": [claim_id], "flagged": []}
    assert harness.run(services.void_unsent_for_visit, visit_id, "Again", BILLER) == {"voided": [], "flagged": []}
    # The invoice is free for a new claim once the void one is out of the way.
    assert harness.run(services.create_claim, invoice_id, BILLER) != claim_id


def test_a_claim_is_voided_by_hand_only_before_it_is_sent_and_with_a_reason(harness):
    import pytest

    from clinic.core.errors import Invalid

    harness.run(set_up_claims)
    patient_id = harness.run(make_patient)
    policy_id = harness.run(add_policy, patient_id)
    from tests.factories import make_staff

    doctor = harness.run(make_staff, "doctor")
    appointment_id = harness.run(make_appointment, patient_id, doctor["id"], status="booked")
    claim_id = harness.run(claim_for_appointment, patient_id, policy_id, appointment_id, "ready")
    with pytest.raises(Invalid) as missing:
        harness.run(services.change_state, claim_id, "void", BILLER)
    assert "note" in missing.value.errors
    harness.run(services.change_state, claim_id, "void", BILLER, note="Sent on paper instead")
    assert harness.sql("SELECT state FROM claim WHERE id = {}", claim_id)[0]["state"] == "void"
