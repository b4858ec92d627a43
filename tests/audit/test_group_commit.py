"""Read entries committed together: many requests, one commit, nothing acknowledged before it is durable."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import threading
import urllib.request

from clinic.audit.services import Actor, read_writer, record, verify_chain
from clinic.db import DatabaseUnavailable
from clinic.db.schema import raw
from tests.conftest import harness_for
from tests.factories import make_patient, make_staff, open_session
from tests.helpers import clinic_environment
from tests.live import live_server
from tests.ops.test_health import outage_app

ACTOR = Actor(staff_id=7, role="doctor", client_address="10.0.0.5", user_agent="pytest")
READERS = 50


def entries(harness) -> int:
    return harness.sql("SELECT COUNT(*) AS n FROM audit_event")[0]["n"]


def head(harness) -> dict:
    return harness.sql("SELECT last_event_id, last_mac FROM audit_chain_head WHERE id = 1")[0]


def test_fifty_concurrent_chart_views_each_find_their_entry_written_when_the_page_arrives(settings, harness):
    doctor = harness.run(make_staff, "doctor")
    token = harness.run(open_session, doctor["id"], harness.app.state.session_policy)
    patients = [harness.run(make_patient, first_name=f"Reader{n}") for n in range(READERS)]
    before = entries(harness)
    with live_server(settings) as server:
        engine = server.app.state.engine
        start = threading.Barrier(READERS)
        found: dict[int, int] = {}
        errors: list[Exception] = []

        def reader(patient_id: int) -> None:
            request = urllib.request.Request(f"{server.url}/patients/{patient_id}",
                                             headers={"Cookie": f"clinic_session={token}"})
            try:
                start.wait(timeout=30)
                with urllib.request.urlopen(request, timeout=60) as response:
                    assert response.status == 200
                    # Asked while the response is still open: the entry is already committed.
                    # This test's entries only: the trail outlives the tables an earlier test emptied, and
                    # SQLite gives their ids (patient 1, the same doctor's id) out again.
                    found[patient_id] = server.run(raw, engine, "SELECT COUNT(*) AS n FROM audit_event WHERE "
                                                   "action = 'patient.read' AND patient_id = {} AND staff_id = {} "
                                                   "AND id > {}", patient_id, doctor["id"],
                                                   harness.audit_start)[0]["n"]
            except Exception as error:  # collected, asserted below
                errors.append(error)

        threads = [threading.Thread(target=reader, args=(patient_id,)) for patient_id in patients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        writer = server.run(_writer_of, engine)
        result = server.run(verify_chain)
    assert errors == []
    assert found == {patient_id: 1 for patient_id in patients}
    assert entries(harness) == before + READERS
    assert result.ok
    # However the requests happened to meet, never more commits than entries.
    assert writer.entries == READERS and 1 <= writer.batches <= READERS


async def _writer_of(engine):
    writer = read_writer(engine)
    return dataclasses.replace(writer, waiting=[])  # a snapshot of its counts


def test_entries_waiting_together_are_chained_in_order_in_one_commit(harness):
    async def together():
        writer = read_writer(harness.engine)
        batches = writer.batches
        ids = await asyncio.gather(*[record("patient.read", ACTOR, entity_type="patient", entity_id=n, patient_id=n)
                                     for n in range(20)])
        return ids, writer.batches - batches

    before = head(harness)
    ids, commits = harness.run(together)
    assert commits == 1
    rows = harness.sql("SELECT id, entity_id, prev_mac, mac FROM audit_event WHERE id > {} ORDER BY id",
                       before["last_event_id"])
    assert [row["id"] for row in rows] == ids and [row["entity_id"] for row in rows] == [str(n) for n in range(20)]
    assert rows[0]["prev_mac"] == before["last_mac"]
    assert all(later["prev_mac"] == earlier["mac"] for earlier, later in zip(rows, rows[1:]))
    assert head(harness) == {"last_event_id": ids[-1], "last_mac": rows[-1]["mac"]}
    assert harness.run(verify_chain).ok


def test_an_entry_that_fails_fails_its_whole_batch_and_leaves_no_part_of_it(harness):
    broken = {"occurred_at": "not a time", "action": "patient.read"}  # fails half-way through the batch

    async def batch_with_a_broken_entry():
        writer = read_writer(harness.engine)
        reads = [record("patient.read", ACTOR, entity_type="patient", entity_id=n) for n in range(3)]
        more = [record("patient.read", ACTOR, entity_type="patient", entity_id=n) for n in range(3, 6)]
        return await asyncio.gather(*reads, writer.append((broken, [])), *more, return_exceptions=True)

    before, count = head(harness), entries(harness)
    outcomes = harness.run(batch_with_a_broken_entry)
    assert len(outcomes) == 7 and all(isinstance(outcome, AttributeError) for outcome in outcomes)
    assert entries(harness) == count and head(harness) == before
    assert harness.run(verify_chain).ok
    # The writer carries on with the next batch.
    assert harness.run(record, "patient.read", ACTOR, entity_type="patient", entity_id=1) > before["last_event_id"]


def test_a_lost_database_fails_every_waiting_read_with_the_503_error(backend, make_app, settings):
    with outage_app(backend, make_app, settings) as (app, cut, restore):
        with harness_for(app, backend) as harness:
            before, count = head(harness), entries(harness)
            cut()
            try:
                async def reads():
                    return await asyncio.gather(*[record("patient.read", ACTOR, entity_type="patient", entity_id=n)
                                                  for n in range(20)], return_exceptions=True)

                outcomes = harness.run(reads)
                page = harness.client.get("/patients", headers={"Cookie": "clinic_session=x"})
            finally:
                restore()
            assert len(outcomes) == 20 and all(isinstance(outcome, DatabaseUnavailable) for outcome in outcomes)
            assert page.status_code == 503
            assert entries(harness) == count and head(harness) == before
            assert harness.run(verify_chain).ok
            assert harness.run(record, "patient.read", ACTOR, entity_type="patient", entity_id=1)


READING_PROCESS = """
import asyncio, sys
from clinic.audit.services import Actor, record
from clinic.cli import run_with_database
from clinic.settings import load_settings

async def work(engine):
    for round in range(5):
        await asyncio.gather(*[record("patient.read", Actor(staff_id=int(sys.argv[1]), role="test"),
                                      entity_type="patient", entity_id=n) for n in range(10)])
        await asyncio.sleep(0.01)

sys.exit(run_with_database(load_settings(), work))
"""


def test_two_processes_reading_at_once_keep_one_chain(harness):
    before = entries(harness)
    environment = clinic_environment(harness)
    processes = [subprocess.Popen([sys.executable, "-c", READING_PROCESS, str(staff)], env=environment,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for staff in (901, 902)]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    assert entries(harness) == before + 100
    written = harness.sql("SELECT staff_id FROM audit_event WHERE staff_id IN (901, 902) ORDER BY id")
    assert {row["staff_id"] for row in written} == {901, 902}
    assert harness.run(verify_chain).ok
    forks = harness.sql("SELECT prev_mac, COUNT(*) AS n FROM audit_event GROUP BY prev_mac HAVING COUNT(*) > 1")
    assert forks == []
