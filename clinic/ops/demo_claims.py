"""Demo claims: the clinic's identifiers, a payer for each insurer the demo patients carry, claims in
every state (draft, ready, submitted, accepted, paid and partly paid through an imported 835,
denied, corrected, written off, void), a remittance line that could not be posted, payer prices,
and eligibility checks of today's patients (some recent, some old, some never).

Everything goes through billing's and claims' services, so the ledger adds up and the screens show
what the clinic's own work would show. Invoices are made for the purpose, so every state appears
whatever visits the demo signed."""

from __future__ import annotations

import datetime as dt

from clinic.audit.services import Actor
from clinic.billing import invoices
from clinic.billing.fees import fee_schedule
from clinic.claims import fee_prices, payers, remittance, services
from clinic.core import clock
from clinic.patients.tables import Patient, PatientInsurance
from clinic.scheduling.tables import Appointment

SETTINGS = {"billing_npi": "1234567893", "tax_id": "941234567", "submitter_id": "DEMOCLINIC",
            "receiver_id": "DEMOCLEAR", "receiver_name": "Demo Clearinghouse", "contact_phone": "5415550142",
            "waiting_days": 30, "test_mode": True}
# Each claim's way through its states; paid and partly paid come from the remittance below.
STATES = ("draft", "ready", "submitted", "accepted", "paid", "partially_paid", "denied", "corrected",
          "written_off", "void")
PATHS = {"draft": (), "ready": ("ready",), "submitted": ("ready", "submitted"),
         "accepted": ("ready", "submitted", "accepted"), "paid": ("ready", "submitted"),
         "partially_paid": ("ready", "submitted"), "denied": ("ready", "submitted", "accepted", "denied"),
         "corrected": ("ready", "submitted", "accepted", "denied"),
         "written_off": ("ready", "submitted", "accepted", "denied", "written_off"), "void": ("void",)}
LINES = (("36415", "Venipuncture", 1500), ("99214", "Office visit, moderate complexity", 18000))


def _x12_amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _remittance(claims: dict[str, dict]) -> str:
    """An 835 from the demo's first insurer: one claim paid in full, one with only its first line
    paid so far, and a claim number the clinic never sent (an exception to resolve)."""
    paid, partly = claims["paid"], claims["partially_paid"]
    total = paid["total"]
    contractual = 1000
    pays = paid["insurance_share"] - contractual
    first = partly["lines"][0]
    segments = [
        "ST*835*0001~", f"BPR*I*{_x12_amount(pays + first['total'] - 300)}*C*ACH*CCP*01*999999999*DA*123456*"
        "1512345678**01*999988880*DA*98765*20261201~", "TRN*1*DEMO-ERA-1*1512345678~", "DTM*405*20261201~",
        f"N1*PR*{paid['payer_name'].upper()}~", "N1*PE*DEMO CLINIC*XX*1234567893~", "LX*1~",
        f"CLP*{paid['claim_number']}*1*{_x12_amount(total)}*{_x12_amount(pays)}*{_x12_amount(paid['patient_share'])}"
        f"*12*DEMO{paid['claim_number']}~",
        f"CAS*CO*45*{_x12_amount(contractual)}~", f"CAS*PR*3*{_x12_amount(paid['patient_share'])}~",
        f"CLP*{partly['claim_number']}*1*{_x12_amount(partly['total'])}*{_x12_amount(first['total'] - 300)}*0"
        f"*12*DEMO{partly['claim_number']}~",
        f"SVC*HC:{first['code']}*{_x12_amount(first['total'])}*{_x12_amount(first['total'] - 300)}**1~",
        "CAS*CO*45*3~",
        "CLP*99999999*4*100*0*0*12*DEMOUNKNOWN~", "CAS*CO*16*100~",
    ]
    segments.append(f"SE*{len(segments) + 1}*0001~")
    return "\n".join(["ISA*00*          *00*          *ZZ*DEMOPAYER      *ZZ*DEMOCLINIC     *261201*1200*^*00501*"
                      "000000001*0*T*:~", "GS*HP*DEMOPAYER*DEMOCLINIC*20261201*1200*1*X*005010X221A1~", *segments,
                      "GE*1*1~", "IEA*1*000000001~"]) + "\n"


async def add_demo_claims() -> int:
    """Returns how many claims were made."""
    actor = Actor.system("demo")
    await payers.save_claim_settings(SETTINGS, 0, actor)
    policies = await PatientInsurance.select(
        PatientInsurance.id, PatientInsurance.patient, PatientInsurance.payer_name,
        PatientInsurance.subscriber_relation).where(
        (PatientInsurance.active == True) & (PatientInsurance.priority == "primary")).order_by(  # noqa: E712
        PatientInsurance.id)
    payer_ids = {}
    for name in sorted({row["payer_name"] for row in policies}):
        code = "".join(ch for ch in name.upper() if ch.isalnum())[:10] or "PAYER"
        payer_ids[name] = await payers.add_payer({"name": name, "payer_code": code, "claim_format": "837p"}, actor)
    # The first insurer has contracted prices for office visits.
    fees = {row["code"]: row for row in await fee_schedule()}
    first_payer = payer_ids[policies[0]["payer_name"]] if policies else None
    if first_payer and "99214" in fees:
        await fee_prices.set_payer_price(fees["99214"]["id"], first_payer, 15000, actor)
    # Patients who hold their own policy, with an address: their claims export as the clinic's would.
    with_address = {row["id"] for row in await Patient.select(Patient.id).where(Patient.address_line1 != "")}
    candidates = [row for row in policies if row["subscriber_relation"] == "self" and row["patient"] in with_address]
    # The paid and partly paid claims go to one payer, so one remittance posts both.
    same_payer = [row for row in candidates if row["payer_name"] == candidates[0]["payer_name"]] if candidates else []
    others = [row for row in candidates if row not in same_payer[:2]]
    chosen = dict(zip(("paid", "partially_paid"), same_payer[:2]))
    chosen.update(zip([state for state in STATES if state not in chosen], others))
    made: dict[str, dict] = {}
    for state, policy in chosen.items():
        invoice_id = await invoices.create_invoice(
            policy["patient"], actor, policy_id=policy["id"], diagnoses=[{"code": "E11.9", "description": ""}],
            lines=[invoices.LineInput(code=code, description=text, unit_price=price) for code, text, price in LINES])
        await invoices.issue_invoice(invoice_id, actor)
        claim_id = await services.create_claim(invoice_id, actor)
        for step in PATHS[state]:
            await services.change_state(claim_id, step, actor, codes="CO-16, N290" if step == "denied" else "",
                                        note={"written_off": "Filed after the payer's time limit",
                                              "void": "Patient paid at the desk instead"}.get(step, ""))
        if state == "corrected":
            await services.correct_and_resubmit(claim_id, actor, note="Diagnosis pointer fixed")
        invoice = await invoices.invoice_details(invoice_id)
        claim = await services.get_claim(claim_id)
        made[state] = {**invoice, "claim_number": claim["number"], "payer_name": policy["payer_name"]}
    if "paid" in made and "partially_paid" in made:
        await remittance.import_835(_remittance(made), actor)
    await _eligibility_checks(actor)
    return len(made) + (1 if "corrected" in made else 0)


async def _eligibility_checks(actor: Actor) -> None:
    """Today's insured patients: a third checked this week, a third long ago, a third never."""
    today = clock.now().date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=dt.timezone.utc) - dt.timedelta(hours=12)
    patients = [row["patient"] for row in await Appointment.select(Appointment.patient).where(
        (Appointment.starts_at >= start) & (Appointment.starts_at < start + dt.timedelta(days=2))).order_by(
        Appointment.starts_at)]
    seen: list[int] = []
    for patient in patients:
        if patient not in seen:
            seen.append(patient)
    for index, patient_id in enumerate(seen[:30]):
        policies = [row for row in await payers.eligibility_of(patient_id, today)]
        if not policies or index % 3 == 2:
            continue
        days = 2 if index % 3 == 0 else 60
        await payers.record_eligibility(policies[0]["id"], today - dt.timedelta(days=days), "active",
                                        f"DEMO-{patient_id}-{days}", "Payer portal", actor)
