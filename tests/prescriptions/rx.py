"""Shared by the prescription tests: a prescriber with a licence, a draft as the form sends it."""

from __future__ import annotations

from tests.factories import post, sign_in_as

AMOXICILLIN = {"drug_name": "amoxicillin", "strength": "500 mg", "form": "capsule", "dose_amount": "1",
               "dose_unit": "capsule", "route": "by mouth", "frequency": "three times daily", "duration": "7 days",
               "quantity": "21 capsules", "refills": "0", "instructions": "Take with food until finished.",
               "internal_note": "Second course this winter."}


def sign_in_as_prescriber(harness, name: str = "Amara Okafor", licence: str = "MD-48213") -> dict:
    doctor = sign_in_as(harness, "doctor", name=name)
    harness.sql("UPDATE staff SET licence_number = {} WHERE id = {}", licence, doctor["id"])
    return doctor


def prescriptions_url(patient_id: int) -> str:
    return f"/patients/{patient_id}/prescriptions"


def draft(harness, patient_id: int, **changes) -> int:
    """A draft saved through the form; returns its id."""
    response = post(harness.client, prescriptions_url(patient_id), {**AMOXICILLIN, **changes})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rstrip("/").rsplit("/", 1)[-1])


def sign(harness, patient_id: int, prescription_id: int, reason: str = "", htmx: bool = True):
    return post(harness.client, f"{prescriptions_url(patient_id)}/{prescription_id}/sign",
                {"override_reason": reason}, htmx=htmx)
