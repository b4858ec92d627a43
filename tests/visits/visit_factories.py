"""Visits, templates and a small ICD-10-CM sample, built through the real services."""

from __future__ import annotations

from functools import lru_cache

from clinic.audit.services import Actor
from clinic.visits import services
from clinic.visits.icd10_loader import SAMPLE_PREFIXES, CodeRow, code_set, load


@lru_cache(maxsize=1)
def sample_codes() -> tuple[CodeRow, ...]:
    """The sample chapters (E11, I10, J00–J06, Z00), read from the package once per test run."""
    return tuple(code_set(SAMPLE_PREFIXES))


async def load_sample_codes() -> int:
    return await load(sample_codes())


def actor_for(staff: dict) -> Actor:
    return Actor(staff_id=staff["id"], role=staff["role"])


async def make_visit(patient_id: int, staff: dict, **options) -> int:
    return await services.open_visit(patient_id, actor_for(staff), **options)


async def make_appointment(patient_id: int, provider_id: int, *, status: str = "arrived", reason: str = "") -> int:
    """An appointment row now (the scheduler's booking rules are not what these tests are about)."""
    import datetime as dt

    from clinic.core import clock
    from clinic.scheduling.tables import Appointment

    start = clock.now().replace(microsecond=0)
    rows = await Appointment.insert(Appointment(patient=patient_id, provider=provider_id, starts_at=start,
                                                ends_at=start + dt.timedelta(minutes=20), status=status,
                                                reason=reason))
    return rows[0]["id"]
