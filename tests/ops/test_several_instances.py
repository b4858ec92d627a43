"""Two app processes on one MariaDB: a sign-in on one is good on the other, and each scheduled job
runs once between them. (The booking race across two processes: tests/scheduling/test_booking_race_http.py.)"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from clinic.paths import PROJECT_ROOT
from tests.conftest import TEST_AUDIT_KEY, TEST_ENCRYPTION_KEYS, TEST_INDEX_KEY, TEST_SECRET, TEST_TIMEZONE
from tests.factories import PASSWORD, make_staff
from tests.live import free_port
from tests.scheduling.test_booking_race_http import NoRedirect, wait_until_up

SCHEDULED = ["audit.write_checkpoint", "jobs.prune_finished", "security.prune_rate_limits",
             "security.prune_sessions", "security.prune_sign_in_failures"]


def app_process(database_url: str, data_dir, **environ: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "CLINIC_SECRET_KEY": TEST_SECRET,
           "CLINIC_AUDIT_KEY": TEST_AUDIT_KEY, "CLINIC_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS,
           "CLINIC_INDEX_KEY": TEST_INDEX_KEY, "CLINIC_COUNTRY": "US", "CLINIC_TIMEZONE": TEST_TIMEZONE,
           "CLINIC_ENV": "development", "CLINIC_DATA_DIR": str(data_dir), "CLINIC_WORKER": "off",
           "CLINIC_LOG_FORMAT": "console", "CLINIC_DB_POOL_MAX": "5", **environ}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "clinic.app:create_app",
                                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                               cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture
def two_instances(backend, database_url, tmp_path):
    if backend != "mysql":
        pytest.skip("several instances share a MariaDB database")

    def start(**environ):
        servers = [app_process(database_url, tmp_path / f"app-{n}", **environ) for n in range(2)]
        started.extend(servers)
        for process, url in servers:
            wait_until_up(process, url)
        return [url for _, url in servers]

    started: list = []
    yield start
    for process, _ in started:
        process.terminate()
        process.wait(timeout=20)


def test_a_sign_in_on_one_instance_is_good_on_the_other(harness, two_instances):
    harness.client.get("/signin")
    staff = harness.run(make_staff, "receptionist", email="desk@riverside-clinic.org")
    first, second = two_instances()
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = browser.open(first + "/signin", timeout=30).read().decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"email": staff["email"], "password": PASSWORD, "next": "/book",
                                   "_csrf_token": token}).encode()
    try:
        browser.open(urllib.request.Request(first + "/signin", data=form, headers={"X-CSRFToken": token}), timeout=30)
        raise AssertionError("sign-in did not redirect")
    except urllib.error.HTTPError as answer:
        assert answer.code == 303 and answer.headers["location"].endswith("/book")
    session = next(cookie.value for cookie in jar if cookie.name == "clinic_session")
    for url in (first, second):
        request = urllib.request.Request(url + "/book", headers={"Cookie": f"clinic_session={session}"})
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            assert response.status == 200


def test_each_scheduled_job_runs_once_between_two_workers(harness, two_instances):
    two_instances(CLINIC_WORKER="inline")
    deadline = time.monotonic() + 60
    done: list = []
    while time.monotonic() < deadline:
        done = harness.sql("SELECT kind, COUNT(*) AS n FROM job WHERE state = 'done' GROUP BY kind ORDER BY kind")
        if set(SCHEDULED) <= {row["kind"] for row in done}:
            break
        time.sleep(0.5)
    time.sleep(2)  # give the second worker every chance to run one again
    done = harness.sql("SELECT kind, COUNT(*) AS n FROM job GROUP BY kind ORDER BY kind")
    counts = {row["kind"]: row["n"] for row in done}
    assert set(SCHEDULED) <= set(counts) and set(counts.values()) == {1}, counts
