"""Reports: indexes for sums over a period (clinic/reports).

Every report reads a period of one table by its time column: the ledger by when an entry was
made, payments by when they came in, visits by when they were opened (and per provider), patients
by when they were registered, invoices by when they were issued, claims by when they were made.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from clinic.db.migrations import create_index

ID = "2026-11-30T22:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reports: indexes on the time columns reports sum over"


async def build():
    # Covers the appointment report: a year of appointments counted by outcome without a row look-up.
    await create_index("appointment", ["starts_at", "provider", "status", "late_cancel"])
    await create_index("ledger_entry", ["occurred_at"])
    await create_index("payment", ["received_at"])
    await create_index("visit", ["created_at", "patient"])
    await create_index("visit", ["provider", "created_at"])
    await create_index("patient", ["created_at"])
    await create_index("invoice", ["issued_at"])
    await create_index("claim", ["created_at"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clinic", description=DESCRIPTION)
    manager.add_raw(build)
    return manager
