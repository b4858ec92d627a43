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
    ({"result": "active", "checked_on": TODAY - dt.timedelta(days=31)}, "over 30 days"),
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
