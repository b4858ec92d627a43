"""The database goes away while people are working, and comes back.

MariaDB: a private server (never the shared one) is stopped and started again
under load. SQLite: the database file disappears and returns. Either way users
get the friendly 503 page, /health says 503, the same app process serves again
without a restart, and no booking is half-written: each is stored with its
audit entry, or not at all, and every booking a user was told about is there.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

from tests.conftest import create_database, harness_for, settings_for
from tests.factories import make_patient, make_staff, open_session, set_working_hours
from tests.live import live_server
from tests.outages import sqlite_file_missing
from tests.private_mariadb import PrivateMariaDB, skip_without_mariadbd
from tests.scheduling.test_booking_race_http import NoRedirect, csrf_for

# Weekdays from Monday 3 March 2031 on: enough distinct slots for however fast refusals come back.
DAYS = [(dt.date(2031, 3, 3) + dt.timedelta(days=n)).isoformat() for n in range(7 * 40) if n % 7 < 5]
SLOTS = [f"{hour:02d}:{minute:02d}" for hour in (9, 10, 11, 13, 14, 15, 16) for minute in range(0, 60, 5)]


@contextmanager
def clinic_with_an_outage(backend, settings, tmp_path):
    """Yields (settings of an app, stop the database, start it again)."""
    if backend == "sqlite":
        state = {}

        def stop():
            state["away"] = sqlite_file_missing(settings.database.path)
            state["away"].__enter__()

        def start():
            state.pop("away").__exit__(None, None, None)

        try:
            yield settings, stop, start
        finally:
            if "away" in state:
                start()
        return
    skip_without_mariadbd()
    server = PrivateMariaDB(tmp_path / "mariadb").install()
    try:
        create_database(server.url)
        yield settings_for(server.url, tmp_path / "data", CLINIC_DB_CONNECT_TIMEOUT="2"), server.stop, server.start
    finally:
        server.remove()


class Load:
    """Receptionists booking five-minute slots one after another, and someone reading the book."""

    def __init__(self, url: str, setup: dict):
        self.url, self.setup = url, setup
        self.phase = "before"
        self.results: list[dict] = []
        self.stop = threading.Event()
        self.counter = iter(range(len(DAYS) * len(SLOTS)))
        self.lock = threading.Lock()
        self.opener = urllib.request.build_opener(NoRedirect)
        self.tokens = {session: csrf_for(url, session) for session in setup["sessions"]}

    def request(self, path: str, session: str, data: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": f"clinic_session={session}", "X-CSRFToken": self.tokens[session]}
        body = urllib.parse.urlencode(data).encode() if data else None
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            with self.opener.open(urllib.request.Request(self.url + path, data=body, headers=headers),
                                  timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def book(self, worker: int) -> None:
        session = self.setup["sessions"][worker]
        while not self.stop.is_set():
            with self.lock:
                n = next(self.counter, None)
            if n is None:
                return
            token = f"load-token-{n:05d}-abcdef"
            phase = self.phase
            status, body = self.request("/appointments/new", session, {
                "patient_id": self.setup["patients"][n % len(self.setup["patients"])],
                "provider_id": self.setup["provider"], "day": DAYS[n // len(SLOTS)], "time": SLOTS[n % len(SLOTS)],
                "minutes": "5", "token": token})
            self.results.append({"kind": "book", "phase": phase, "status": status, "token": token,
                                 "friendly": "Temporarily unavailable" in body})
            time.sleep(0.02)

    def read(self) -> None:
        session = self.setup["sessions"][-1]
        while not self.stop.is_set():
            phase = self.phase
            status, body = self.request(f"/book/{DAYS[0]}", session)
            self.results.append({"kind": "read", "phase": phase, "status": status,
                                 "friendly": "Temporarily unavailable" in body})
            time.sleep(0.05)

    def served_again(self, seconds: float) -> None:
        """Keep the load on until a booking and a read have both succeeded since the database came back."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            after = [(r["kind"], r["status"]) for r in list(self.results) if r["phase"] == "after"]
            if ("book", 303) in after and ("read", 200) in after:
                return
            time.sleep(0.2)

    def __enter__(self):
        self.threads = [threading.Thread(target=self.book, args=(n,)) for n in range(3)]
        self.threads.append(threading.Thread(target=self.read))
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def health(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/health", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_for_health(url: str, status: int, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if health(url) == status:
            return True
        time.sleep(0.2)
    return False


def summary(results) -> dict:
    counts: dict = {}
    for result in results:
        key = (result["phase"], result["kind"], result["status"])
        counts[key] = counts.get(key, 0) + 1
    return counts


def prepare(harness) -> dict:
    harness.client.get("/signin")  # the clinic's profile from the environment (New York)
    provider = harness.run(make_staff, "doctor", name="Lena Okafor")
    harness.run(set_working_hours, provider["id"])
    patients = [harness.run(make_patient, first_name=f"Load{n}", last_name="Jones") for n in range(6)]
    receptionist = harness.run(make_staff, "receptionist")
    sessions = [harness.run(open_session, receptionist["id"], harness.app.state.session_policy) for _ in range(4)]
    return {"provider": provider["id"], "patients": patients, "sessions": sessions}


def test_the_app_serves_again_by_itself_after_the_database_stops_under_load(backend, settings, tmp_path):
    from clinic.app import create_app

    with clinic_with_an_outage(backend, settings, tmp_path) as (app_settings, stop_database, start_database):
        with harness_for(create_app(app_settings), backend) as harness:
            setup = prepare(harness)
            with live_server(app_settings) as server:
                with Load(server.url, setup) as load:
                    time.sleep(1.5)
                    load.phase = "down"
                    stop_database()
                    down_health = wait_for_health(server.url, 503, 30)
                    time.sleep(2)
                    load.phase = "coming back"
                    start_database()
                    back_health = wait_for_health(server.url, 200, 60)
                    load.phase = "after"
                    load.served_again(seconds=30)
            stored = harness.sql("SELECT id, idempotency_token FROM appointment")
            audited = harness.audit("action = 'appointment.book'", columns="entity_id")  # this test's only

    results = load.results
    assert down_health and back_health
    assert {result["status"] for result in results} <= {200, 303, 503}, sorted({r["status"] for r in results})
    down = [result for result in results if result["phase"] == "down" and result["status"] == 503]
    assert down and all(result["friendly"] for result in down)  # the friendly page, never a 500
    after = [result for result in results if result["phase"] == "after"]
    assert after, summary(results)
    assert any(r["kind"] == "book" and r["status"] == 303 for r in after), summary(results)
    assert any(r["kind"] == "read" and r["status"] == 200 for r in after), summary(results)
    # Every booking a user was told about is stored, once, with its audit entry; nothing stored half.
    told = {result["token"] for result in results if result["kind"] == "book" and result["status"] == 303}
    tokens = [row["idempotency_token"] for row in stored]
    assert told <= set(tokens) and len(tokens) == len(set(tokens))
    assert sorted(row["id"] for row in stored) == sorted(int(row["entity_id"]) for row in audited)
