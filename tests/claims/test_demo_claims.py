"""`clinic demo` sends claims: every state, a posted remittance with an exception, payer prices,
and eligibility checks that leave some of today's patients flagged (both backends)."""

from clinic.claims.services import STATES
from clinic.ops.demo import load_demo
from tests.billing.billing_factories import assert_ledger_adds_up
from tests.factories import sign_in_as
from tests.helpers import html
from tests.ops.test_demo import ZONE


def test_the_demo_has_claims_in_every_state_and_its_ledgers_still_add_up(harness):
    import datetime as dt

    now = dt.datetime.now(ZONE).replace(hour=12, minute=0, second=0, microsecond=0)
    created = harness.run(load_demo, ZONE, now=now)
    assert created["claims"] == 11
    states = {row["state"] for row in harness.sql("SELECT DISTINCT state FROM claim")}
    assert states == set(STATES)
    remittances = harness.sql("SELECT lines_posted, exceptions FROM remittance")
    assert remittances == [{"lines_posted": 2, "exceptions": 1}]
    assert harness.sql("SELECT COUNT(*) AS n FROM fee_payer_price")[0]["n"] == 1
    results = {row["days"] for row in harness.sql("SELECT reference AS days FROM eligibility_check")}
    assert results and all(reference.startswith("DEMO-") for reference in results)
    for row in harness.sql("SELECT DISTINCT patient FROM claim"):
        harness.run(assert_ledger_adds_up, row["patient"])
    # The biller's queue and today's list show them.
    sign_in_as(harness, "billing")
    queue = html(harness.client.get("/claims"))
    assert queue.css("#ready-rows tr[data-claim-id]") and queue.css("#denied-rows tr[data-claim-id]")
    today = html(harness.client.get("/"))
    assert today.css("[data-eligibility-flag]")
