"""Prescription numbers: sequential, unique, and never shared, even when twenty are signed at once."""

from __future__ import annotations

import asyncio

import pytest

from clinic.audit.services import Actor
from clinic.db.errors import IntegrityViolation
from clinic.prescriptions import services
from tests.factories import locale, make_patient, make_staff
from tests.prescriptions.rx import AMOXICILLIN


async def twenty_drafts(harness) -> tuple[Actor, list[tuple[int, int]]]:
    doctor = await make_staff("doctor")
    await give_licence(doctor["id"])
    actor = Actor(staff_id=doctor["id"], role="doctor")
    drafts = []
    for n in range(20):
        patient_id = await make_patient(first_name=f"Patient{n}")
        drafts.append((patient_id, await services.save_draft(patient_id, dict(AMOXICILLIN), actor)))
    return actor, drafts


async def give_licence(staff_id: int) -> None:
    from clinic.security.tables import Staff

    await Staff.update({Staff.licence_number: "MD-1"}).where(Staff.id == staff_id)


def test_twenty_concurrent_signings_get_twenty_different_consecutive_numbers(harness):
    actor, drafts = harness.run(twenty_drafts, harness)
    today = locale().today()

    async def sign_all():
        return await asyncio.gather(*[services.sign(patient_id, rx_id, actor, override_reason="", today=today)
                                      for patient_id, rx_id in drafts])

    numbers = harness.run(sign_all)
    assert sorted(numbers) == list(range(1, 21))
    stored = harness.sql("SELECT number FROM prescription ORDER BY number")
    assert [row["number"] for row in stored] == list(range(1, 21))
    assert harness.sql("SELECT COUNT(*) AS n FROM medication")[0]["n"] == 20


def test_the_database_refuses_a_second_prescription_with_the_same_number(harness):
    actor, drafts = harness.run(twenty_drafts, harness)
    (first_patient, first), (_, second) = drafts[:2]
    harness.run(services.sign, first_patient, first, actor, override_reason="", today=locale().today())
    with pytest.raises(IntegrityViolation):
        harness.sql("UPDATE prescription SET number = 1 WHERE id = {}", second)


def test_numbering_continues_after_the_highest_even_if_the_counter_was_lost(harness):
    actor, drafts = harness.run(twenty_drafts, harness)
    (p1, first), (p2, second) = drafts[:2]
    harness.run(services.sign, p1, first, actor, override_reason="", today=locale().today())
    harness.sql("DELETE FROM prescription_counter")
    assert harness.run(services.sign, p2, second, actor, override_reason="", today=locale().today()) == 2
