"""Break-the-glass: a reason, a time limit, one patient, a flag in the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from clinic.audit import break_glass
from clinic.audit.services import Actor
from clinic.core.errors import Invalid
from tests.factories import make_staff


def test_it_needs_a_real_reason(harness):
    staff = harness.run(make_staff, "receptionist")
    actor = Actor(staff_id=staff["id"], role="receptionist")
    with pytest.raises(Invalid) as refused:
        harness.run(break_glass.grant, staff["id"], 42, "clinical.read", "because", 60, actor)
    assert "reason" in refused.value.errors
    with pytest.raises(Invalid):
        harness.run(break_glass.grant, staff["id"], 42, "staff.manage", "a perfectly long reason", 60, actor)


def test_access_lasts_for_the_set_time_for_that_patient_only(harness):
    staff = harness.run(make_staff, "receptionist")
    actor = Actor(staff_id=staff["id"], role="receptionist")

    def granted(patient_id: int) -> bool:
        return harness.run(break_glass.active_grant, staff["id"], patient_id, "clinical.read") is not None

    assert not granted(42)
    start = dt.datetime.now(dt.timezone.utc)
    with time_machine.travel(start, tick=True):
        harness.run(break_glass.grant, staff["id"], 42, "clinical.read", "Patient collapsed in the waiting room", 60,
                    actor)
        assert granted(42)
        assert not granted(43)
    with time_machine.travel(start + dt.timedelta(minutes=61), tick=True):
        assert not granted(42)
    flagged = harness.audit("action = 'patient.break_glass'", columns="patient_id, outcome, detail")
    assert flagged == [{"patient_id": 42, "outcome": "break_glass", "detail": "clinical.read"}]

