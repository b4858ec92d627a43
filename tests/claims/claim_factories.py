"""Claims data built through the real services."""

from __future__ import annotations

from clinic.audit.services import Actor
from clinic.billing import invoices as billing
from clinic.billing.invoices import LineInput
from clinic.claims import payers, services
from clinic.patients.tables import PatientInsurance
from tests.factories import add_policy, make_patient

BILLER = Actor(staff_id=None, role="billing")
NPI = "1234567893"  # the NPI standard's own example, with a valid check digit
SETTINGS = {"billing_npi": NPI, "tax_id": "123456789", "submitter_id": "CLINIC01", "receiver_id": "CLEARING01",
            "receiver_name": "Clearing House", "contact_phone": "5555551234", "waiting_days": 30, "test_mode": True}


async def set_up_claims(payer_name: str = "Aetna") -> int:
    """The clinic's identifiers and one payer; returns the payer's id."""
    await payers.save_claim_settings(SETTINGS, 0, BILLER)
    return await add_payer(payer_name)


async def add_payer(name: str = "Aetna", code: str = "60054") -> int:
    return await payers.add_payer({"name": name, "payer_code": code, "address_line1": "151 Farmington Ave",
                                   "city": "Hartford", "region": "CT", "postal_code": "06156",
                                   "claim_format": "837p"}, BILLER)


async def insured_invoice(*prices: int, copay: int = 2000, coinsurance_percent: int = 0, payer_name: str = "Aetna",
                          diagnoses: tuple[str, ...] = ("E11.9", "I10")) -> int:
    """An issued invoice for an insured patient, with diagnoses; returns the invoice id."""
    patient_id = await make_patient()
    policy_id = await add_policy(patient_id, payer_name=payer_name)
    await PatientInsurance.update({PatientInsurance.copay: copay,
                                   PatientInsurance.coinsurance_percent: coinsurance_percent}).where(
        PatientInsurance.id == policy_id)
    lines = [LineInput(code=f"9921{n + 2}", description=f"Office visit {n}", unit_price=price)
             for n, price in enumerate(prices or (15000,))]
    invoice_id = await billing.create_invoice(patient_id, BILLER, lines=lines, policy_id=policy_id,
                                              diagnoses=[{"code": code, "description": ""} for code in diagnoses])
    await billing.issue_invoice(invoice_id, BILLER)
    return invoice_id


async def claim_in_state(state: str, *prices: int) -> int:
    """A claim walked through the allowed changes to ``state``."""
    invoice_id = await insured_invoice(*prices)
    claim_id = await services.create_claim(invoice_id, BILLER)
    path = {"draft": [], "ready": ["ready"], "submitted": ["ready", "submitted"],
            "accepted": ["ready", "submitted", "accepted"],
            "paid": ["ready", "submitted", "accepted", "paid"],
            "partially_paid": ["ready", "submitted", "accepted", "partially_paid"],
            "denied": ["ready", "submitted", "accepted", "denied"]}[state]
    for step in path:
        await services.change_state(claim_id, step, BILLER, codes="CO-16" if step == "denied" else "")
    return claim_id
