"""m0008 upgrades a clinic that already has appointments: every row keeps its data and
gets revision 1, no type, room or series, and no token (both backends)."""

from __future__ import annotations

from clinic.db.migrations import _apply, discover, ensure_record_table, migrate
from clinic.db.schema import raw
from tests.conftest import run_async, side_database_url
from tests.db.test_migrations import with_engine

SCHEDULING = "2026-11-30T13:00:00:000000"


def test_existing_appointments_survive_the_scheduling_migration(backend, tmp_path):
    url = side_database_url(backend, tmp_path, "sched_upgrade")

    async def work(engine):
        await ensure_record_table(engine)
        for migration in discover():
            if migration.id >= SCHEDULING:
                break
            await _apply(engine, migration)
        await raw(engine, "INSERT INTO staff (email, email_key, full_name, display_name, role, colour, active, totp_secret, "
                          "created_at, updated_at) VALUES ('d@x.org', 'd@x.org', 'Doc', 'Doc', 'doctor', '', {}, '', "
                          "'2026-11-01 00:00:00', '2026-11-01 00:00:00')", True)
        await raw(engine, "INSERT INTO patient (mrn, first_name, last_name, date_of_birth, front_desk_notes, national_id, "
                          "created_at, updated_at) VALUES ('M1', 'Ann', 'Jones', '1980-01-01', '', '', "
                          "'2026-11-01 00:00:00', '2026-11-01 00:00:00')")
        for index in range(2):
            await raw(engine, "INSERT INTO appointment (patient, provider, starts_at, ends_at, status, reason, "
                              "created_at, updated_at) VALUES (1, 1, {}, {}, 'completed', 'Knee', "
                              "'2026-11-01 00:00:00', '2026-11-01 00:00:00')",
                      f"2026-11-0{index + 2} 15:00:00", f"2026-11-0{index + 2} 15:30:00")
        assert await migrate(engine) == [migration.id for migration in discover() if migration.id >= SCHEDULING]
        return await raw(engine, "SELECT status, reason, revision, type, room, series, idempotency_token, "
                                 "late_cancel, overbook_reason, notes FROM appointment ORDER BY id")

    rows = run_async(with_engine, url, work)
    assert len(rows) == 2
    for row in rows:
        assert (row["status"], row["reason"], row["revision"]) == ("completed", "Knee", 1)
        assert row["type"] is None and row["room"] is None and row["series"] is None
        assert row["idempotency_token"] is None and not row["late_cancel"]
        assert row["overbook_reason"] == "" and row["notes"] == ""
