"""Year five's billing: an invoice for each signed visit (issued, most paid), its ledger entries and
payments, a payer for each insurer, and a claim for each insured invoice with its lines, diagnosis
and events, in the states a clinic five years in has them (mostly paid, some waiting or denied).

Rows only, like the rest of bench/data.py; amounts are split as billing's split rule would (copay
then coinsurance) so the invoice screen, the ledger and the claims queue show what they would show.
The billing counters are left as the migration made them: the bench only reads these screens.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from piccolo.table import Table

from clinic.billing.tables import Invoice, InvoiceDiagnosis, InvoiceLine, LedgerEntry, Payment, PaymentAllocation
from clinic.claims.tables import Claim, ClaimDiagnosis, ClaimEvent, ClaimLine, EligibilityCheck, Payer

SEED = 13
LINES = [("99213", "Office visit, established patient", 12500), ("99214", "Office visit, moderate complexity", 18000),
         ("36415", "Venipuncture", 1500), ("85025", "Complete blood count", 2200)]
COPAY, COINSURANCE = 2500, 20
RECENT = dt.timedelta(days=45)  # newer invoices are still open; older ones were paid long ago


def billing_rows(visits: list[dict], diagnoses: list[dict], policies: list[dict], billing_staff: int,
                 now: dt.datetime) -> dict[type[Table], list[dict]]:
    rng = random.Random(SEED)
    tables: dict[type[Table], list[dict]] = {table: [] for table in (
        Payer, Invoice, InvoiceLine, InvoiceDiagnosis, Payment, PaymentAllocation, LedgerEntry, Claim, ClaimLine,
        ClaimDiagnosis, ClaimEvent, EligibilityCheck)}

    def add(table: type[Table], **values: Any) -> int:
        rows = tables[table]
        number = len(rows) + 1
        rows.append({"id": number, **values})
        return number

    payer_ids = {name: add(Payer, name=name, payer_code="".join(c for c in name.upper() if c.isalnum())[:10],
                           updated_at=now) for name in sorted({row["payer_name"] for row in policies})}
    policy_of = {row["patient"]: row for row in policies}
    # Eligibility checked at some visits over the years (a year or two of checks per insured patient).
    for policy in policies:
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            add(EligibilityCheck, policy=policy["id"], patient=policy["patient"],
                checked_on=(now - dt.timedelta(days=rng.randrange(0, 5 * 365))).date(),
                result="active" if rng.random() < 0.95 else "inactive", checked_by=billing_staff, created_at=now)
    diagnosis_of = {row["visit"]: row for row in diagnoses}
    for visit in visits:
        when = visit["signed_at"]
        patient = visit["patient"]
        policy = policy_of.get(patient)
        chosen = [LINES[0] if rng.random() < 0.7 else LINES[1], *rng.sample(LINES[2:], k=rng.choice((0, 0, 1, 2)))]
        total = sum(price for _, _, price in chosen)
        patient_share = total
        if policy is not None:
            patient_share = min(COPAY, total) + (total - min(COPAY, total)) * COINSURANCE // 100
        insurance_share = total - patient_share
        recent = now - when < RECENT
        patient_paid = 0 if recent and rng.random() < 0.5 else patient_share
        insurance_paid = 0 if (recent or rng.random() < 0.05) else insurance_share
        open_left = patient_share - patient_paid + insurance_share - insurance_paid
        state = "paid" if open_left == 0 else ("partially_paid" if patient_paid or insurance_paid else "issued")
        invoice_id = add(Invoice, number=len(tables[Invoice]) + 1, patient=patient, visit=visit["id"],
                         appointment=visit["appointment"], policy=policy["id"] if policy else None,
                         provider=visit["provider"], state=state, currency="USD", subtotal=total, total=total,
                         patient_share=patient_share, insurance_share=insurance_share,
                         copay_applied=min(COPAY, total) if policy else 0,
                         coinsurance_applied=patient_share - min(COPAY, total) if policy else 0,
                         patient_paid=patient_paid, insurance_paid=insurance_paid, issued_at=when,
                         issued_by=billing_staff, created_at=when, created_by=billing_staff, updated_at=when)
        for position, (code, text, price) in enumerate(chosen):
            add(InvoiceLine, invoice=invoice_id, position=position, code=code, description=text, quantity=1,
                unit_price=price, total=price)
        diagnosis = diagnosis_of.get(visit["id"])
        if diagnosis:
            add(InvoiceDiagnosis, invoice=invoice_id, code=diagnosis["code"], description=diagnosis["description"])
        number = tables[Invoice][-1]["number"]
        add(LedgerEntry, patient=patient, occurred_at=when, kind="charge", amount=patient_share,
            description=f"Invoice {number}", invoice=invoice_id, created_by=billing_staff)
        if insurance_share:
            add(LedgerEntry, patient=patient, occurred_at=when, kind="charge", bucket="insurance",
                amount=insurance_share, description=f"Invoice {number} (insurance)", invoice=invoice_id,
                created_by=billing_staff)
        for share, paid, method, later in (("patient", patient_paid, rng.choice(("card", "cash")), 0),
                                           ("insurance", insurance_paid, "insurance", 21)):
            if not paid:
                continue
            received = when + dt.timedelta(days=later)
            payment_id = add(Payment, patient=patient, receipt_number=len(tables[Payment]) + 1, method=method,
                             amount=paid, applied=paid, currency="USD", received_at=received,
                             created_by=billing_staff)
            add(PaymentAllocation, payment=payment_id, invoice=invoice_id, share=share, amount=paid,
                applied_at=received, created_by=billing_staff)
            add(LedgerEntry, patient=patient, occurred_at=received, kind="payment",
                bucket="insurance" if share == "insurance" else "patient", amount=-paid,
                description=f"Payment for invoice {number}", invoice=invoice_id, payment=payment_id,
                created_by=billing_staff)
        if policy is None or not insurance_share:
            continue
        if recent:
            claim_state = rng.choice(("draft", "ready", "submitted", "submitted", "accepted", "denied"))
        else:
            claim_state = "paid" if insurance_paid else rng.choice(("denied", "written_off", "submitted"))
        sent = claim_state not in ("draft", "ready")
        claim_id = add(Claim, number=len(tables[Claim]) + 1, invoice=invoice_id, patient=patient,
                       payer=payer_ids[policy["payer_name"]], policy=policy["id"], provider=visit["provider"],
                       state=claim_state, charge=total, paid=insurance_paid,
                       denial_codes="CO-16" if claim_state in ("denied", "written_off") else "",
                       service_date=when.date(), submitted_at=when + dt.timedelta(days=2) if sent else None,
                       created_at=when, created_by=billing_staff, updated_at=when + dt.timedelta(days=21 if sent else 0))
        for position, (code, text, price) in enumerate(chosen, start=1):
            add(ClaimLine, claim=claim_id, position=position, code=code, description=text, units=1, charge=price)
        if diagnosis:
            add(ClaimDiagnosis, claim=claim_id, position=1, code=diagnosis["code"])
        add(ClaimEvent, claim=claim_id, to_state="draft", occurred_at=when, staff=billing_staff)
        if claim_state != "draft":
            add(ClaimEvent, claim=claim_id, from_state="draft", to_state=claim_state, occurred_at=when,
                staff=billing_staff)
    return tables
