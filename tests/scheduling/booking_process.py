"""One booking process for test_booking_processes.py: books overlapping times for one provider,
all at once, and prints what happened to each as JSON.

    python -m tests.scheduling.booking_process DATABASE_URL PROVIDER_ID PATIENT_IDS STARTS_AT START_AT
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time
from pathlib import Path

from clinic.audit.services import Actor, configure
from clinic.core.locale import Locale
from clinic.db import engine_for
from clinic.db.urls import parse_database_url
from clinic.piccolo_app import bind_tables
from clinic.scheduling.booking import Booking, BookingRefused, book
from tests.conftest import TEST_AUDIT_KEY, TEST_TIMEZONE


async def main(url: str, provider_id: int, patient_ids: list[int], starts_at: dt.datetime, start_at: float) -> int:
    configure(TEST_AUDIT_KEY)
    engine = engine_for(parse_database_url(url, Path(".")), pool_max=5)
    bind_tables(engine)
    await engine.start_connection_pool()
    locale = Locale.for_country("US", TEST_TIMEZONE)
    try:
        async def one(index: int, patient_id: int) -> str:
            booking = Booking(patient_id=patient_id, provider_id=provider_id, type_id=None,
                              starts_at=starts_at + dt.timedelta(minutes=index), minutes=30)
            try:
                return f"booked {await book(booking, Actor(role='test'), locale)}"
            except BookingRefused as refused:
                return "refused " + ",".join(sorted({conflict.kind for conflict in refused.conflicts}))

        await asyncio.sleep(max(0.0, start_at - time.time()))  # both processes start together
        outcomes = await asyncio.gather(*[one(index, patient) for index, patient in enumerate(patient_ids)])
        print(json.dumps(outcomes))
        return 0
    finally:
        await engine.close_connection_pool()


if __name__ == "__main__":
    url, provider, patients, starts, start_at = sys.argv[1:6]
    sys.exit(asyncio.run(main(url, int(provider), [int(p) for p in patients.split(",")],
                              dt.datetime.fromisoformat(starts), float(start_at))))
