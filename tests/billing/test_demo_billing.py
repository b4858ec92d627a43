"""`clinic demo` bills its signed visits: invoices in every state, payments of every kind, a ledger
that adds up for every patient."""

from clinic.ops.demo import load_demo
from tests.billing.billing_factories import assert_ledger_adds_up
from tests.ops.test_demo import NOW, ZONE


def test_the_demo_has_invoices_in_every_state_and_every_ledger_adds_up(harness):
    created = harness.run(load_demo, ZONE, now=NOW)
    assert created["invoices"] >= 7
    states = {row["state"] for row in harness.sql("SELECT DISTINCT state FROM invoice")}
    assert states == {"draft", "issued", "partially_paid", "paid", "void"}
    kinds = {row["kind"] for row in harness.sql("SELECT DISTINCT kind FROM invoice")}
    assert kinds == {"invoice", "credit_note"}
    methods = {row["method"] for row in harness.sql("SELECT DISTINCT method FROM payment")}
    assert methods >= {"cash", "insurance"} and methods & {"card", "bank_transfer"}
    for row in harness.sql("SELECT DISTINCT patient FROM ledger_entry"):
        harness.run(assert_ledger_adds_up, row["patient"])
