"""Choosing the patient on the series, slot and waitlist forms: the same inline
search as the booking form (its htmx endpoint fills ``#patient-choices``), and
the "Find" button for a browser without JavaScript."""

from __future__ import annotations

from litestar import Request

from clinic.patients.access import shown_patients
from clinic.patients.search import search_patients
from clinic.scheduling.appointment_controllers import patient_named
from clinic.web.context import locale_of

__all__ = ["find_patients", "patient_named", "chosen_patient"]


async def find_patients(request: Request, text: str, shows: str) -> list | None:
    """Open records matching what was typed (None when too little was typed); the list is audited."""
    text = (text or "")[:100]
    if len(text.strip()) < 2:
        return None
    settings = request.app.state.settings
    hits = await search_patients(text, date_order=settings.date_order, today=locale_of(request).today(),
                                 country=settings.country)
    hits = [hit for hit in hits if not hit.archived]
    await shown_patients(request, [hit.id for hit in hits], shows)
    return hits


async def chosen_patient(request: Request, patient_id_text: str, shows: str) -> dict | None:
    """The patient a posted form has chosen, named beside the radio (and audited as shown)."""
    patient = await patient_named(patient_id_text)
    if patient:
        await shown_patients(request, [patient["id"]], shows)
    return patient


def access_patient(access) -> dict:
    row = access.patient
    return {"id": row["id"], "name": f"{row['last_name']}, {row['first_name']}",
            "date_of_birth": row["date_of_birth"], "mrn": row["mrn"]}
