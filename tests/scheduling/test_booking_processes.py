"""Two app processes, each with its own connection pool, booking overlapping times for one
provider at the same moment: exactly one appointment is stored (SQLite and MariaDB)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from clinic.paths import PROJECT_ROOT
from tests.factories import local_time, make_patient, make_staff, set_working_hours
from tests.scheduling.test_booking import MONDAY

PER_PROCESS = 10


def test_two_processes_booking_one_provider_at_once_store_exactly_one(harness, database_url):
    provider = harness.run(make_staff, "doctor")["id"]
    harness.run(set_working_hours, provider)
    patients = [harness.run(make_patient, first_name=f"P{index}", last_name="Twoprocess")
                for index in range(2 * PER_PROCESS)]
    start_at = time.time() + 2.5  # both imported and connected by then
    starts = local_time(MONDAY, "10:00").isoformat()
    processes = [
        subprocess.Popen([sys.executable, "-m", "tests.scheduling.booking_process", database_url, str(provider),
                          ",".join(str(patient) for patient in share), starts, str(start_at)],
                         cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for share in (patients[:PER_PROCESS], patients[PER_PROCESS:])
    ]
    try:
        results = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    assert [process.returncode for process in processes] == [0, 0], [error for _, error in results]
    outcomes = [outcome for output, _ in results for outcome in json.loads(output.strip().splitlines()[-1])]
    assert len(outcomes) == 2 * PER_PROCESS
    assert sum(outcome.startswith("booked") for outcome in outcomes) == 1, outcomes
    assert all(outcome in ("refused provider",) for outcome in outcomes if not outcome.startswith("booked"))
    assert harness.sql("SELECT COUNT(*) AS n FROM appointment")[0]["n"] == 1
