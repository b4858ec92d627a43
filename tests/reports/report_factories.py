"""A small clinic with known money and appointments, built through the real billing services at
chosen moments (time_machine), so every report figure has an answer worked out by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import time_machine

from clinic.audit.services import Actor
from clinic.billing import invoices as billing
from clinic.billing.invoices import LineInput
from clinic.billing.payments import record_payment
from clinic.scheduling.tables import Appointment
from tests.billing.billing_factories import insured_patient
from tests.factories import local_time, make_patient, make_staff

DAY_ONE = dt.date(2026, 3, 9)  # a Monday, the day after the clocks went forward in New York
DAY_TWO = dt.date(2026, 3, 10)
DAY_THREE = dt.date(2026, 3, 11)


@dataclass
class MoneyClinic:
    dr_a: dict
    dr_b: dict
    uninsured: int
    insured: int


async def _invoice(patient_id: int, provider_id: int, price: int, actor: Actor, *, code: str,
                   policy_id: int | None = None) -> int:
    invoice_id = await billing.create_invoice(patient_id, actor, lines=[
        LineInput(code=code, description=f"Service {code}", unit_price=price)], policy_id=policy_id,
        provider_id=provider_id)
    await billing.issue_invoice(invoice_id, actor)
    return invoice_id


def build_money_clinic(harness) -> MoneyClinic:
    """Day one: invoices of 100.00 (Dr A, uninsured) and 150.00 (Dr B, insured: 20.00 copay, 130.00
    to insurance); cash 60.00 and card 20.00 in the morning, card 15.00 at 23:30 (already the next
    day in UTC). Day two: insurance pays 100.00, the uninsured patient pays 50.00 cash (25.00 to
    the invoice, 25.00 kept as credit). Day three, 00:30: cash 7.00 kept as credit."""
    dr_a = harness.run(make_staff, "doctor", name="Dr Ada Alpha")
    dr_b = harness.run(make_staff, "doctor", name="Dr Ben Beta")
    biller = Actor(staff_id=None, role="billing")
    with time_machine.travel(local_time(DAY_ONE, "09:00"), tick=False):
        uninsured = harness.run(make_patient, first_name="Una", last_name="Cash")
        insured, policy_id = harness.run(insured_patient, copay=2000, coinsurance_percent=0)
        first = harness.run(_invoice, uninsured, dr_a["id"], 10000, biller, code="99213")
        second = harness.run(_invoice, insured, dr_b["id"], 15000, biller, code="99214", policy_id=policy_id)
    with time_machine.travel(local_time(DAY_ONE, "10:00"), tick=False):
        harness.run(record_payment, uninsured, 6000, "cash", biller)
        harness.run(record_payment, insured, 2000, "card", biller)
    with time_machine.travel(local_time(DAY_ONE, "23:30"), tick=False):
        harness.run(record_payment, uninsured, 1500, "card", biller, invoice_id=first)
    with time_machine.travel(local_time(DAY_TWO, "09:00"), tick=False):
        harness.run(record_payment, insured, 10000, "insurance", biller, invoice_id=second)
        harness.run(record_payment, uninsured, 5000, "cash", biller)
    with time_machine.travel(local_time(DAY_THREE, "00:30"), tick=False):
        harness.run(record_payment, insured, 700, "cash", biller)
    return MoneyClinic(dr_a=dr_a, dr_b=dr_b, uninsured=uninsured, insured=insured)


async def appointment_at(patient_id: int, provider_id: int, starts_at: dt.datetime, status: str,
                         late_cancel: bool = False) -> int:
    rows = await Appointment.insert(Appointment(
        patient=patient_id, provider=provider_id, starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=20),
        status=status, late_cancel=late_cancel, cancelled_at=starts_at if status == "cancelled" else None))
    return rows[0]["id"]
