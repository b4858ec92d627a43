"""The audit trail: append-only, hash-chained, verified by the clinic command, safe under concurrency."""

from __future__ import annotations

import asyncio
import threading
import urllib.request

import pytest

from clinic.audit.services import Actor, record, verify_chain
from clinic.db import AppendOnlyViolation, is_mysql
from clinic.db.schema import raw
from tests.audit.tampering import without_triggers
from tests.conftest import TEST_AUDIT_KEY
from tests.factories import make_staff, open_session
from tests.helpers import run_clinic
from tests.live import live_server

ACTOR = Actor(staff_id=7, role="doctor", client_address="10.0.0.5", user_agent="pytest")


def test_each_entry_chains_to_the_one_before_and_the_chain_verifies(harness):
    before = harness.run(verify_chain)
    assert before.ok
    ids = [harness.run(record, "patient.read", ACTOR, entity_type="patient", entity_id=n, patient_id=n)
           for n in range(1, 4)]
    rows = harness.sql("SELECT id, prev_mac, mac, patient_id FROM audit_event ORDER BY id DESC LIMIT 3")[::-1]
    assert [row["id"] for row in rows] == ids
    assert rows[1]["prev_mac"] == rows[0]["mac"] and rows[2]["prev_mac"] == rows[1]["mac"]
    result = harness.run(verify_chain)
    assert result.ok and result.checked == before.checked + 3


def test_the_table_refuses_updates_and_deletes(harness):
    event_id = harness.run(record, "patient.read", ACTOR, entity_type="patient", entity_id=1)
    for statement in ("UPDATE audit_event SET action = 'nothing' WHERE id = {}", "DELETE FROM audit_event WHERE id = {}"):
        with pytest.raises(AppendOnlyViolation):
            harness.sql(statement, event_id)
    assert harness.sql("SELECT action FROM audit_event WHERE id = {}", event_id) == [{"action": "patient.read"}]


def test_verify_finds_an_edited_row_and_the_command_says_where(harness):
    ids = [harness.run(record, "staff.update", ACTOR, entity_type="staff", entity_id=n) for n in range(3)]
    ok = run_clinic(harness, "audit", "verify")
    assert ok.returncode == 0 and "audit trail intact" in ok.stdout

    async def tamper():
        await raw(harness.engine, "UPDATE audit_event SET staff_id = 99 WHERE id = {}", ids[1])
        result = await verify_chain()
        await raw(harness.engine, "UPDATE audit_event SET staff_id = 7 WHERE id = {}", ids[1])
        return result

    async def tamper_and_run_the_command():
        await raw(harness.engine, "UPDATE audit_event SET action = 'staff.read' WHERE id = {}", ids[2])
        try:
            return await asyncio.to_thread(run_clinic, harness, "audit", "verify")
        finally:
            await raw(harness.engine, "UPDATE audit_event SET action = 'staff.update' WHERE id = {}", ids[2])

    result = harness.run(without_triggers, harness.engine, tamper)
    assert not result.ok and result.broken_at == ids[1] and "changed" in result.problem
    broken = harness.run(without_triggers, harness.engine, tamper_and_run_the_command)
    assert broken.returncode == 1
    assert f"BROKEN at entry {ids[2]}" in broken.stderr
    assert harness.run(verify_chain).ok  # restored, so the rest of the suite sees an intact chain


def test_verify_finds_a_deleted_row(harness):
    ids = [harness.run(record, "patient.read", ACTOR, entity_type="patient", entity_id=n) for n in range(3)]

    async def remove_and_restore():
        (row,) = await raw(harness.engine, "SELECT * FROM audit_event WHERE id = {}", ids[1])
        await raw(harness.engine, "DELETE FROM audit_event WHERE id = {}", ids[1])
        result = await verify_chain()
        columns = list(row)
        await raw(harness.engine,
                  f"INSERT INTO audit_event ({', '.join(chr(34) + c + chr(34) for c in columns)}) "
                  f"VALUES ({', '.join('{}' for _ in columns)})", *row.values())
        return result

    result = harness.run(without_triggers, harness.engine, remove_and_restore)
    assert not result.ok and result.broken_at == ids[2] and "removed" in result.problem
    assert harness.run(verify_chain).ok


def test_concurrent_writers_never_fork_the_chain(harness):
    async def many():
        await asyncio.gather(*[record("patient.read", ACTOR, entity_type="patient", entity_id=n, patient_id=n)
                               for n in range(40)])

    before = harness.sql("SELECT COUNT(*) AS n FROM audit_event")[0]["n"]
    harness.run(many)
    assert harness.sql("SELECT COUNT(*) AS n FROM audit_event")[0]["n"] == before + 40
    assert harness.run(verify_chain).ok
    forks = harness.sql("SELECT prev_mac, COUNT(*) AS n FROM audit_event GROUP BY prev_mac HAVING COUNT(*) > 1")
    assert forks == []


def test_concurrent_http_requests_never_fork_the_chain(settings, backend, harness):
    """Real requests through uvicorn, eight at a time, each writing audit entries."""
    admin = harness.run(make_staff, "admin")
    token = harness.run(open_session, admin["id"], harness.app.state.session_policy)
    with live_server(settings) as server:
        before = server.run(verify_chain).checked
        errors = []

        def worker():
            for _ in range(6):
                request = urllib.request.Request(server.url + "/admin/audit",
                                                 headers={"Cookie": f"clinic_session={token}"})
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        assert response.status == 200
                except Exception as error:  # collected, asserted below
                    errors.append(error)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        result = server.run(verify_chain)
    assert errors == []
    assert result.ok and result.checked == before + 48


def test_the_audit_key_never_reaches_the_database(harness):
    harness.run(record, "patient.read", ACTOR)
    for table in ("audit_event", "audit_chain_head", "clinic_setting", "kv_store"):
        for row in harness.sql(f"SELECT * FROM {table}"):
            assert TEST_AUDIT_KEY not in " ".join(str(value) for value in row.values())
    assert is_mysql(harness.engine) == (harness.backend == "mysql")

