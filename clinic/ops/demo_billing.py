"""Demo billing: a fee schedule, policy terms, and an invoice for each signed demo visit, in every
state (draft, issued, partly paid, paid, void, corrected by a credit note), with card, cash, bank
transfer and insurance payments and a patient with credit. Made through billing's services, so the
ledger adds up exactly as it does for the clinic's own work."""

from __future__ import annotations

import random

from clinic.audit.services import Actor
from clinic.billing import corrections, invoices, payments
from clinic.billing.fees import add_fee, save_billing_settings
from clinic.core.errors import Invalid
from clinic.patients.tables import PatientInsurance
from clinic.visits.tables import Visit

SEED = 20261201
# What happens to each visit's invoice, in turn: every state appears even in a short demo week.
OUTCOMES = ("paid", "draft", "issued", "partly paid", "void", "overpaid", "credited")
FEES = (("99213", "Office visit, established patient", 12500), ("99214", "Office visit, moderate complexity", 18000),
        ("99203", "Office visit, new patient", 16000), ("36415", "Venipuncture", 1500),
        ("90471", "Immunization administration", 2500), ("85025", "Complete blood count", 2200))


async def add_demo_billing() -> int:
    rng = random.Random(SEED)
    actor = Actor.system("demo")
    for code, description, price in FEES:
        await add_fee(code, description, price, actor)
    await save_billing_settings({"no_show_fee_enabled": True, "no_show_fee": 2500, "late_cancel_fee_enabled": False,
                                 "late_cancel_fee": 0, "late_cancel_hours": 24}, 0, actor)
    await PatientInsurance.update({PatientInsurance.copay: 2500, PatientInsurance.coinsurance_percent: 20}).where(
        PatientInsurance.priority == "primary")
    visits = await Visit.select(Visit.id, Visit.patient).where(Visit.state == "signed").order_by(Visit.id)
    count = 0
    insurance_paid = False
    waiting_on_insurance: list[tuple[int, int, int, str]] = []
    for visit in visits:
        try:
            invoice_id = await invoices.invoice_from_visit(visit["id"], actor)
        except Invalid:  # a visit without services recorded: billed as a plain office visit
            invoice_id = await invoices.create_invoice(visit["patient"], actor, visit_id=visit["id"], lines=[
                invoices.LineInput(code=FEES[0][0], description=FEES[0][1], unit_price=FEES[0][2])])
        count += 1
        outcome = OUTCOMES[(count - 1) % len(OUTCOMES)]
        if outcome == "draft":
            continue
        if outcome == "void":
            await invoices.void_invoice(invoice_id, "Entered twice", actor)
            continue
        await invoices.issue_invoice(invoice_id, actor)
        invoice = await invoices.get_invoice(invoice_id)
        patient_id = visit["patient"]
        if outcome == "partly paid":
            await payments.record_payment(patient_id, max(invoice["patient_open"] // 2, 100), "cash", actor,
                                          invoice_id=invoice_id)
        elif outcome in ("paid", "overpaid"):
            method = rng.choice(["card", "bank_transfer"])
            await payments.record_payment(patient_id, invoice["patient_open"] + (1000 if outcome == "overpaid" else 0),
                                          method, actor, invoice_id=invoice_id, reference=f"DEMO-{invoice['number']}")
            if invoice["insurance_open"]:
                await payments.record_payment(patient_id, invoice["insurance_open"], "insurance", actor,
                                              invoice_id=invoice_id, reference=f"ERA-{invoice['number']}")
                insurance_paid = True
        if outcome != "paid" and invoice["insurance_open"]:
            waiting_on_insurance.append((patient_id, invoice_id, invoice["insurance_open"], invoice["number"]))
        elif outcome == "credited":
            await corrections.issue_credit_note(invoice_id, min(2000, corrections.creditable(invoice)),
                                                "Courtesy discount", actor)
    if not insurance_paid and waiting_on_insurance:
        # Whichever visits the demo signed, one insurer has paid something.
        patient_id, invoice_id, amount, number = waiting_on_insurance[0]
        await payments.record_payment(patient_id, amount, "insurance", actor, invoice_id=invoice_id,
                                      reference=f"ERA-{number}")
    return count
