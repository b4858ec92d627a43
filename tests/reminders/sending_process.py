"""One sending instance for test_sending_processes.py: its own pool and several senders at once.

    python -m tests.reminders.sending_process DATABASE_URL SMTP_URL NOW START_AT
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time
from pathlib import Path

from clinic.audit.services import configure
from clinic.core.locale import Locale
from clinic.db import engine_for
from clinic.db.urls import parse_database_url
from clinic.piccolo_app import bind_tables
from clinic.reminders import config, links, services
from clinic.reminders.delivery import Delivery
from tests.conftest import TEST_AUDIT_KEY, TEST_SECRET, TEST_TIMEZONE


async def main(url: str, smtp_url: str, now: dt.datetime, start_at: float) -> int:
    configure(TEST_AUDIT_KEY)
    links.configure(TEST_SECRET)
    config.use_delivery(Delivery(smtp_url=smtp_url))
    config.current.base_locale = Locale.for_country("US", TEST_TIMEZONE)
    engine = engine_for(parse_database_url(url, Path(".")), pool_max=5)
    bind_tables(engine)
    await engine.start_connection_pool()
    try:
        await asyncio.sleep(max(0.0, start_at - time.time()))  # both processes start together
        results = await asyncio.gather(*(services.send_reminders(now, sender=f"{index}") for index in range(3)))
        print(json.dumps(results))
        return 0
    finally:
        await engine.close_connection_pool()


if __name__ == "__main__":
    url, smtp_url, now, start_at = sys.argv[1:5]
    sys.exit(asyncio.run(main(url, smtp_url, dt.datetime.fromisoformat(now), float(start_at))))
