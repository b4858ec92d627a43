"""Cancelling an appointment or voiding a visit voids its draft charges, nothing else."""

from clinic.billing import invoices as billing
from clinic.billing.corrections import charge_missed_appointment
from clinic.billing.fees import save_billing_settings
from tests.billing.billing_factories import BILLER, assert_ledger_adds_up, fee, visit_with_services
from tests.factories import make_patient
from tests.visits.visit_factories import make_appointment


def fees_on(no_show: int = 2500):
    return save_billing_settings({"no_show_fee_enabled": True, "no_show_fee": no_show, "late_cancel_fee_enabled": False,
                                  "late_cancel_fee": 0, "late_cancel_hours": 24}, 0, BILLER)


def test_voiding_for_a_visit_voids_its_drafts_and_leaves_issued_invoices(harness):
    patient_id = harness.run(make_patient)
    harness.run(fee, "99213", 9000)
    visit_id, _ = harness.run(visit_with_services, patient_id, ("99213", "Office visit", 1))
    draft = harness.run(billing.invoice_from_visit, visit_id, BILLER)
    assert harness.run(billing.void_for_visit, visit_id, "Visit entered in error", BILLER) == [draft]
    invoice = harness.run(billing.get_invoice, draft)
    assert (invoice["state"], invoice["void_reason"]) == ("void", "Visit entered in error")
    issued = harness.run(billing.invoice_from_visit, visit_id, BILLER)
    harness.run(billing.issue_invoice, issued, BILLER)
    assert harness.run(billing.void_for_visit, visit_id, "Again", BILLER) == []
    assert harness.run(billing.get_invoice, issued)["state"] == "issued"
    harness.run(assert_ledger_adds_up, patient_id)


def test_cancelling_an_appointment_voids_its_fee_and_its_visits_drafts(harness):
    patient_id = harness.run(make_patient)
    harness.run(fees_on)
    visit_id, doctor = harness.run(visit_with_services, patient_id, ("99213", "Office visit", 1))
    appointment_id = harness.run(make_appointment, patient_id, doctor["id"], status="no_show")
    harness.sql("UPDATE visit SET appointment = {} WHERE id = {}", appointment_id, visit_id)
    from_visit = harness.run(billing.invoice_from_visit, visit_id, BILLER)
    fee_invoice = harness.run(charge_missed_appointment, appointment_id, "no_show", BILLER)
    assert harness.run(billing.get_invoice, fee_invoice)["total"] == 2500
    assert harness.run(charge_missed_appointment, appointment_id, "no_show", BILLER) is None  # once
    voided = harness.run(billing.void_for_appointment, appointment_id, "Appointment cancelled", BILLER)
    assert sorted(voided) == sorted([from_visit, fee_invoice])
    states = {row["state"] for row in harness.sql("SELECT state FROM invoice")}
    assert states == {"void"}


def test_no_fee_is_charged_while_the_clinic_has_it_switched_off(harness):
    patient_id = harness.run(make_patient)
    from tests.factories import make_staff

    doctor = harness.run(make_staff, "doctor")
    appointment_id = harness.run(make_appointment, patient_id, doctor["id"], status="no_show")
    assert harness.run(charge_missed_appointment, appointment_id, "no_show", BILLER) is None
    assert harness.sql("SELECT COUNT(*) AS n FROM invoice")[0]["n"] == 0


def test_a_late_cancellation_is_charged_only_inside_the_clinics_window(harness):
    import datetime as dt

    from clinic.billing.corrections import charge_late_cancellation
    from tests.factories import make_staff

    harness.run(save_billing_settings, {"no_show_fee_enabled": False, "no_show_fee": 0, "late_cancel_fee_enabled": True,
                                        "late_cancel_fee": 1500, "late_cancel_hours": 24}, 0, BILLER)
    patient_id = harness.run(make_patient)
    doctor = harness.run(make_staff, "doctor")
    soon = harness.run(make_appointment, patient_id, doctor["id"], status="cancelled")
    later = harness.run(make_appointment, patient_id, doctor["id"], status="cancelled")
    harness.sql("UPDATE appointment SET starts_at = {} WHERE id = {}",
                harness.sql("SELECT starts_at FROM appointment WHERE id = {}", later)[0]["starts_at"]
                + dt.timedelta(days=3), later)
    charged = harness.run(charge_late_cancellation, soon, BILLER)
    assert harness.run(billing.get_invoice, charged)["total"] == 1500
    assert harness.run(charge_late_cancellation, later, BILLER) is None
