"""Billing data built through the real services, and the ledger's invariant."""

from __future__ import annotations

from clinic.audit.services import Actor
from clinic.billing import invoices as billing
from clinic.billing import ledger
from clinic.billing.fees import add_fee
from clinic.billing.invoices import LineInput
from clinic.billing.payments import unapplied
from clinic.billing.tables import Invoice, Payment
from clinic.patients.tables import PatientInsurance
from tests.factories import add_policy, make_patient, make_staff
from tests.visits.visit_factories import make_visit

BILLER = Actor(staff_id=None, role="billing")


async def make_biller() -> Actor:
    staff = await make_staff("billing")
    return Actor(staff_id=staff["id"], role="billing")


async def insured_patient(*, copay: int = 2000, coinsurance_percent: int = 20, deductible: int = 0) -> tuple[int, int]:
    patient_id = await make_patient()
    policy_id = await add_policy(patient_id)
    await PatientInsurance.update({PatientInsurance.copay: copay, PatientInsurance.coinsurance_percent:
                                   coinsurance_percent, PatientInsurance.deductible: deductible}).where(
        PatientInsurance.id == policy_id)
    return patient_id, policy_id


async def draft_invoice(patient_id: int, *prices: int, policy_id: int | None = None, actor: Actor = BILLER) -> int:
    lines = [LineInput(code=f"9921{n}", description=f"Service {n}", unit_price=price)
             for n, price in enumerate(prices or (10000,))]
    return await billing.create_invoice(patient_id, actor, lines=lines, policy_id=policy_id)


async def issued_invoice(patient_id: int, *prices: int, policy_id: int | None = None, actor: Actor = BILLER) -> int:
    invoice_id = await draft_invoice(patient_id, *prices, policy_id=policy_id, actor=actor)
    await billing.issue_invoice(invoice_id, actor)
    return invoice_id


async def visit_with_services(patient_id: int, *services: tuple[str, str, int]) -> tuple[int, dict]:
    """A signed visit by a doctor with these (code, description, quantity) services and a diagnosis."""
    from clinic.visits import services as visits
    from clinic.visits.tables import VisitDiagnosis

    doctor = await make_staff("doctor")
    actor = Actor(staff_id=doctor["id"], role="doctor")
    visit_id = await make_visit(patient_id, doctor)
    for code, description, quantity in services:
        await visits.add_service(patient_id, visit_id, {"service_code": code, "service_description": description,
                                                        "quantity": str(quantity)}, actor)
    await VisitDiagnosis.insert(VisitDiagnosis(visit=visit_id, code="E11.9", description="Type 2 diabetes", position=0))
    await visits.sign(patient_id, visit_id, actor)
    return visit_id, doctor


async def fee(code: str, price: int, description: str = "") -> int:
    return await add_fee(code, description or f"Service {code}", price, BILLER)


async def expected_balance(patient_id: int) -> ledger.Balance:
    """What the ledger must add up to, worked out from invoices and payments alone."""
    invoices = [billing._with_amounts(row) for row in await Invoice.select().where(
        (Invoice.patient == patient_id) & (Invoice.kind == "invoice") & Invoice.state.is_in(
            ["issued", "partially_paid", "paid"]))]
    credit = sum(unapplied(row) for row in await Payment.select().where(Payment.patient == patient_id))
    return ledger.Balance(patient_due=sum(row["patient_open"] for row in invoices) - credit,
                          insurance_pending=sum(row["insurance_open"] for row in invoices))


async def assert_ledger_adds_up(patient_id: int) -> ledger.Balance:
    balance = await ledger.balance_of(patient_id)
    entries = await ledger.entries_of(patient_id, limit=10_000)
    assert balance.total == sum(entry["amount"] for entry in entries)
    assert balance == await expected_balance(patient_id)
    return balance
