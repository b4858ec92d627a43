"""Eligibility checks of a policy and the flag shown at arrival (both backends, and the pure rule)."""

import datetime as dt

import pytest

from clinic.claims import payers
from clinic.core.errors import Invalid
from tests.claims.claim_factories import BILLER
from tests.factories import add_policy, make_patient

TODAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(("check", "flagged"), [
    (None, "never checked"),
    ({"result": "active", "checked_on": TODAY - dt.timedelta(days=3)}, ""),
    ({"result": "active", "checked_on": TODAY - dt.timedelta(days=31)}, "not checked in 31 days"),
    ({"result": "inactive", "checked_on": TODAY}, "not covered"),
])
def test_a_policy_without_a_recent_active_check_is_flagged(check, flagged):
    flag = payers.eligibility_flag(check, TODAY)
    assert (flagged in flag) if flagged else flag == ""


def test_a_recorded_check_clears_the_flag_and_keeps_who_and_the_reference(harness):
    patient_id = harness.run(make_patient)
    policy_id = harness.run(add_policy, patient_id)
    today = dt.datetime.now(dt.timezone.utc).date()
    assert harness.run(payers.eligibility_of, patient_id, today)[0]["flag"] == "Eligibility never checked"
    harness.run(payers.record_eligibility, policy_id, today, "active", "REF-881", "Portal", BILLER)
    policy = harness.run(payers.eligibility_of, patient_id, today)[0]
    assert policy["flag"] == "" and policy["last_check"]["reference"] == "REF-881"


def test_a_check_in_the_future_or_with_an_unknown_result_is_refused(harness):
    patient_id = harness.run(make_patient)
    policy_id = harness.run(add_policy, patient_id)
    with pytest.raises(Invalid) as refused:
        harness.run(payers.record_eligibility, policy_id, dt.date(2999, 1, 1), "maybe", "", "", BILLER)
    assert set(refused.value.errors) == {"checked_on", "result"}


# -- the screen and the flag at arrival (over HTTP) -----------------------------------------------

def test_a_check_is_recorded_on_the_patients_eligibility_screen_and_the_read_is_audited(harness):
    from tests.factories import post, sign_in_as
    from tests.helpers import html, is_fragment, one

    patient_id = harness.run(make_patient)
    policy_id = harness.run(add_policy, patient_id)
    sign_in_as(harness, "billing")
    page = html(harness.client.get(f"/patients/{patient_id}/eligibility"))
    assert "never checked" in one(page, f"[data-eligibility-policy='{policy_id}'] [data-eligibility-flag]").text()
    assert harness.audit("action = 'patient.read' AND patient_id = {}", patient_id, columns="detail")[-1][
        "detail"] == "eligibility"
    bad = post(harness.client, f"/patients/{patient_id}/eligibility",
               {"policy_id": str(policy_id), "checked_on": "not a date", "result": "active",
                "reference": "REF-1"}, htmx=True)
    assert bad.status_code == 422 and is_fragment(bad)
    tree = html(bad)
    assert one(tree, "#e-checked_on-eligibility") and one(tree, "#f-reference-eligibility").attributes["value"] == "REF-1"
    assert harness.sql("SELECT COUNT(*) AS n FROM eligibility_check")[0]["n"] == 0
    today = one(page, "#f-checked_on-eligibility").attributes["value"]  # the form starts at today
    good = post(harness.client, f"/patients/{patient_id}/eligibility",
                {"policy_id": str(policy_id), "checked_on": today, "result": "active", "reference": "REF-1"},
                htmx=True)
    assert good.status_code == 200
    assert not html(good).css("[data-eligibility-flag]")
    assert [row["reference"] for row in harness.sql("SELECT reference FROM eligibility_check")] == ["REF-1"]


def test_a_clinician_sees_the_checks_but_cannot_record_one(harness):
    from tests.factories import post, sign_in_as
    from tests.helpers import html

    patient_id = harness.run(make_patient)
    policy_id = harness.run(add_policy, patient_id)
    sign_in_as(harness, "doctor")
    page = harness.client.get(f"/patients/{patient_id}/eligibility")
    assert page.status_code == 200 and not html(page).css("#eligibility form")
    refused = post(harness.client, f"/patients/{patient_id}/eligibility",
                   {"policy_id": str(policy_id), "checked_on": "01/01/2026", "result": "active"})
    assert refused.status_code == 403
    sign_in_as(harness, "nurse")
    assert harness.client.get(f"/patients/{patient_id}/eligibility").status_code == 403


def test_the_today_list_flags_a_patient_whose_policy_was_not_checked_recently(harness):
    from tests.factories import make_staff, sign_in_as
    from tests.helpers import html
    from tests.visits.visit_factories import make_appointment

    doctor = harness.run(make_staff, "doctor")
    unchecked = harness.run(make_patient)
    checked = harness.run(make_patient)
    self_pay = harness.run(make_patient)
    old = harness.run(add_policy, unchecked)
    harness.run(payers.record_eligibility, old, dt.date.today() - dt.timedelta(days=45), "active", "", "", BILLER)
    fresh = harness.run(add_policy, checked)
    harness.run(payers.record_eligibility, fresh, dt.datetime.now(dt.timezone.utc).date(), "active", "", "", BILLER)
    appointments = {patient: harness.run(make_appointment, patient, doctor["id"], status="booked")
                    for patient in (unchecked, checked, self_pay)}
    sign_in_as(harness, "receptionist")
    tree = html(harness.client.get("/"))
    flags = {row.attributes["data-appointment-id"]: row.css_first("[data-eligibility-flag]")
             for row in tree.css("tr[data-appointment-id]")}
    assert "not checked in 4" in flags[str(appointments[unchecked])].text()
    assert flags[str(appointments[checked])] is None and flags[str(appointments[self_pay])] is None


def test_the_appointment_page_flags_the_policy_at_arrival_until_a_check_is_recorded(harness):
    from clinic.scheduling import services as book
    from tests.factories import make_staff, post, sign_in_as
    from tests.helpers import html
    from tests.visits.visit_factories import make_appointment

    doctor = harness.run(make_staff, "doctor")
    patient_id = harness.run(make_patient)
    policy_id = harness.run(add_policy, patient_id)
    appointment_id = harness.run(make_appointment, patient_id, doctor["id"], status="booked")
    sign_in_as(harness, "receptionist")
    revision = harness.run(book.get_appointment, appointment_id)["revision"]
    arrived = post(harness.client, f"/appointments/{appointment_id}/status",
                   {"status": "arrived", "revision": str(revision)}, htmx=True)
    assert arrived.status_code == 200
    assert "never checked" in html(arrived).css_first("[data-eligibility-flag]").text()
    harness.run(payers.record_eligibility, policy_id, dt.datetime.now(dt.timezone.utc).date(), "active", "", "",
                BILLER)
    assert not html(harness.client.get(f"/appointments/{appointment_id}")).css("[data-eligibility-flag]")
