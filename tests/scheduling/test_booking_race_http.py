"""The guarantee through the HTTP app: twenty receptionists book overlapping times for one
provider at the same moment and exactly one appointment is stored; the others see the conflict.
On SQLite and MariaDB through one server, and on MariaDB across two app processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from clinic.paths import PROJECT_ROOT
from tests.conftest import TEST_AUDIT_KEY, TEST_ENCRYPTION_KEYS, TEST_INDEX_KEY, TEST_SECRET, TEST_TIMEZONE
from tests.factories import make_patient, make_staff, open_session, set_working_hours
from tests.live import free_port, live_server
from tests.scheduling.test_day_view import open_the_clinic

RACERS = 20
DAY = "2031-03-03"  # a Monday, far enough ahead for the clock to leave alone


def prepare(harness, racers: int = RACERS) -> dict:
    open_the_clinic(harness)
    provider = harness.run(make_staff, "doctor", name="Lena Okafor")
    harness.run(set_working_hours, provider["id"])
    patients = [harness.run(make_patient, first_name=f"Racer{n}", last_name="Jones") for n in range(racers)]
    receptionist = harness.run(make_staff, "receptionist")
    sessions = [harness.run(open_session, receptionist["id"], harness.app.state.session_policy) for _ in range(4)]
    return {"provider": provider["id"], "patients": patients, "sessions": sessions}


def csrf_for(base_url: str, session: str) -> str:
    request = urllib.request.Request(base_url + "/book", headers={"Cookie": f"clinic_session={session}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        page = response.read().decode()
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def race(base_urls: list[str], setup: dict) -> list[int]:
    """RACERS bookings, 09:00–09:40 give or take a few minutes each, released together."""
    tokens = {session: {url: csrf_for(url, session) for url in base_urls} for session in setup["sessions"]}
    barrier = threading.Barrier(RACERS)
    statuses: list[int] = []
    opener = urllib.request.build_opener(NoRedirect)

    def book(n: int) -> None:
        url = base_urls[n % len(base_urls)]
        session = setup["sessions"][n % len(setup["sessions"])]
        body = urllib.parse.urlencode({
            "patient_id": setup["patients"][n], "provider_id": setup["provider"], "day": DAY,
            "time": f"09:{(n % 4) * 5:02d}", "minutes": "40", "token": f"race-token-{n:04d}-abcdef",
        }).encode()
        request = urllib.request.Request(url + "/appointments/new", data=body, headers={
            "Cookie": f"clinic_session={session}", "X-CSRFToken": tokens[session][url],
            "Content-Type": "application/x-www-form-urlencoded"})
        barrier.wait()
        try:
            with opener.open(request, timeout=60) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=book, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_twenty_overlapping_bookings_through_the_app_store_exactly_one(settings, harness):
    setup = prepare(harness)
    with live_server(settings) as server:
        statuses = race([server.url], setup)
    assert statuses == [303] + [409] * (RACERS - 1)
    rows = harness.sql("SELECT provider, status FROM appointment")
    assert rows == [{"provider": setup["provider"], "status": "booked"}]


def start_app_process(database_url: str, data_dir) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "CLINIC_SECRET_KEY": TEST_SECRET,
           "CLINIC_AUDIT_KEY": TEST_AUDIT_KEY, "CLINIC_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS,
           "CLINIC_INDEX_KEY": TEST_INDEX_KEY, "CLINIC_COUNTRY": "US", "CLINIC_TIMEZONE": TEST_TIMEZONE,
           "CLINIC_ENV": "development", "CLINIC_DATA_DIR": str(data_dir), "CLINIC_WORKER": "off",
           "CLINIC_LOG_FORMAT": "console", "CLINIC_DB_POOL_MAX": "10"}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "clinic.app:create_app",
                                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                               cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    return process, f"http://127.0.0.1:{port}"


def wait_until_up(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stdout.read())
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
        except urllib.error.HTTPError:
            return
    raise RuntimeError(f"{url} did not start")


def test_two_app_processes_on_one_mariadb_store_exactly_one(backend, database_url, settings, harness, tmp_path):
    if backend != "mysql":
        pytest.skip("two app processes share a MariaDB database (SQLite serialises writers in one file)")
    setup = prepare(harness)
    servers = [start_app_process(database_url, tmp_path / f"app-{n}") for n in range(2)]
    try:
        for process, url in servers:
            wait_until_up(process, url)
        statuses = race([url for _, url in servers], setup)
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=20)
    assert statuses == [303] + [409] * (RACERS - 1)
    assert harness.sql("SELECT COUNT(*) AS n FROM appointment")[0]["n"] == 1
