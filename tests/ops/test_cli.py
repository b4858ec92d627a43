"""The clinic command, run as a real process against real databases."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import side_database_url

SECRET = {
    "CLINIC_SECRET_KEY": "cli-test-secret-4b1e8d2f6a9c3e7b5d1f",
    "CLINIC_AUDIT_KEY": "cli-test-audit-key-8e2d4f6a1c3b5e7d9f0a",
    "CLINIC_ENCRYPTION_KEYS": "cli1:" + "B" * 42 + "g",
    "CLINIC_INDEX_KEY": "cli-test-index-key-3c5e7a9b1d2f4e6a8c0b",
}


def clinic(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("CLINIC_", "DATABASE_URL", "MYSQL_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "clinic", *args], env={**environ, **SECRET, **env}, capture_output=True, text=True,
        timeout=120,
    )


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def fresh_database(backend, tmp_path) -> dict[str, str]:
    """Environment for the command against an empty database of this backend."""
    env = {"CLINIC_DATA_DIR": str(tmp_path / "data"), "CLINIC_TIMEZONE": "Europe/Lisbon"}
    if backend == "mysql":
        env["DATABASE_URL"] = side_database_url(backend, tmp_path, "cli")
    return env


def test_help_explains_each_command():
    result = clinic("--help", env={})
    for command in ("serve", "migrate", "check", "demo"):
        assert command in result.stdout
    assert result.returncode == 0


def test_a_malformed_database_url_is_one_line_and_exit_2(tmp_path):
    result = clinic("check", env={"CLINIC_DATA_DIR": str(tmp_path), "DATABASE_URL": "mysql://clinic@:3306"})
    assert result.returncode == 2
    assert one_error_line(result) == "error: DATABASE_URL: the MySQL URL has no host"


def test_an_unusable_data_folder_is_one_line_and_exit_2(tmp_path):
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("oops")
    result = clinic("check", env={"CLINIC_DATA_DIR": str(not_a_folder)})
    assert result.returncode == 2
    assert "CLINIC_DATA_DIR" in one_error_line(result)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder; covered by the not-a-folder case")
def test_an_unreadable_data_folder_is_one_line_and_exit_2(tmp_path):  # pragma: no cover - non-root machines
    locked = tmp_path / "locked"
    locked.mkdir(mode=0)
    result = clinic("check", env={"CLINIC_DATA_DIR": str(locked)})
    assert result.returncode == 2 and "not readable and writable" in one_error_line(result)


def test_an_unreachable_database_is_one_line_and_exit_2(tmp_path):
    result = clinic("check", env={"CLINIC_DATA_DIR": str(tmp_path), "DATABASE_URL": "mysql://clinic:pw@127.0.0.1:9/clinic"})
    assert result.returncode == 2
    line = one_error_line(result)
    assert line.startswith("error: cannot reach the database (MySQL clinic@127.0.0.1:9/clinic)") and "pw" not in line


def test_a_missing_sqlite_file_is_not_created_by_check_or_serve(tmp_path):
    env = {"CLINIC_DATA_DIR": str(tmp_path)}
    for command in ("check", "serve", "demo"):
        result = clinic(command, env=env)
        assert result.returncode == 2 and "is missing" in one_error_line(result)
    assert not (tmp_path / "clinic.db").exists()


def test_migrate_check_and_demo_work_on_a_fresh_database(backend, fresh_database):
    before = clinic("check", env=fresh_database)
    # MySQL: reachable but empty (1). SQLite: no file until migrate makes it (2).
    assert before.returncode == (1 if backend == "mysql" else 2)
    migrated = clinic("migrate", env=fresh_database)
    assert migrated.returncode == 0, migrated.stderr
    assert "database is up to date" in migrated.stdout
    again = clinic("migrate", env=fresh_database)
    assert again.returncode == 0 and "(0 migration(s) applied" in again.stdout
    check = clinic("check", env=fresh_database)
    assert check.returncode == 0 and "migrations    up to date" in check.stdout

    demo = clinic("demo", env=fresh_database)
    assert demo.returncode == 0, demo.stderr
    assert "demo clinic loaded" in demo.stdout
    refused = clinic("demo", env=fresh_database)
    assert refused.returncode == 1 and "already has data" in one_error_line(refused)
    assert clinic("demo", "--if-empty", env=fresh_database).returncode == 0


def test_demo_is_refused_in_production_with_one_line(backend, fresh_database):
    assert clinic("migrate", env=fresh_database).returncode == 0
    production = {**fresh_database, "CLINIC_ENV": "production"}
    for args in (("demo",), ("demo", "--if-empty")):
        refused = clinic(*args, env=production)
        assert refused.returncode == 2
        assert one_error_line(refused) == ("error: `clinic demo` is refused in production (CLINIC_ENV=production): "
                                           "the demo accounts' passwords are published in the README")
    # Nothing was loaded: in development the database is still empty enough for the demo.
    loaded = clinic("demo", env=fresh_database)
    assert loaded.returncode == 0 and "demo clinic loaded" in loaded.stdout


def test_serve_starts_and_answers_on_a_migrated_database(fresh_database):
    import http.client
    import socket
    import time

    assert clinic("migrate", env=fresh_database).returncode == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("CLINIC_", "DATABASE_URL"))}
    server = subprocess.Popen([sys.executable, "-m", "clinic", "serve", "--port", str(port)],
                              env={**environ, **SECRET, **fresh_database}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        status = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and status != 200:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/health")
                status = connection.getresponse().status
            except OSError:
                time.sleep(0.2)
        assert status == 200
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.status == 303 and response.getheader("location").startswith("/signin")
        assert response.getheader("server") is None
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/signin")
        assert connection.getresponse().status == 200
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert f"open http://127.0.0.1:{port}" in output


def test_serve_refuses_an_unmigrated_database(backend, fresh_database):
    if backend == "sqlite":
        # An empty database file, private as `clinic migrate` makes it (wider ones draw warnings).
        folder = Path(fresh_database["CLINIC_DATA_DIR"])
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(folder / "clinic.db", os.O_CREAT | os.O_WRONLY, 0o600))
    result = clinic("serve", env=fresh_database)
    assert result.returncode == 2
    assert "run `clinic migrate` first" in one_error_line(result)


def test_createadmin_makes_the_first_account_from_a_script(fresh_database):
    assert clinic("migrate", env=fresh_database).returncode == 0
    weak = clinic("createadmin", "--email", "boss@riverside-clinic.org", "--name", "Bea Boss",
                  env={**fresh_database, "CLINIC_ADMIN_PASSWORD": "password1234"})
    assert weak.returncode == 2 and "too easy to guess" in one_error_line(weak)
    missing = clinic("createadmin", "--email", "boss@riverside-clinic.org", "--name", "Bea Boss", env=fresh_database)
    assert missing.returncode == 2 and "CLINIC_ADMIN_PASSWORD" in one_error_line(missing)
    made = clinic("createadmin", "--email", "Boss@Riverside-Clinic.org", "--name", "Bea Boss",
                  env={**fresh_database, "CLINIC_ADMIN_PASSWORD": "quiet river lantern 7"})
    assert made.returncode == 0, made.stderr
    assert "two-step sign-in" in made.stdout
    again = clinic("createadmin", "--email", "boss@riverside-clinic.org", "--name", "Bea Again",
                   env={**fresh_database, "CLINIC_ADMIN_PASSWORD": "quiet river lantern 7"})
    assert again.returncode == 2 and "already exists" in one_error_line(again)
    verify = clinic("audit", "verify", env=fresh_database)
    assert verify.returncode == 0 and "1 entries verified" in verify.stdout


def test_worker_runs_the_periodic_jobs_and_stops_on_sigterm(backend, fresh_database):
    import signal
    import time

    from clinic.db import engine_for
    from clinic.db.schema import raw
    from clinic.db.urls import parse_database_url
    from tests.conftest import run_async

    assert clinic("migrate", env=fresh_database).returncode == 0
    url = fresh_database.get("DATABASE_URL") or f"sqlite:///{fresh_database['CLINIC_DATA_DIR']}/clinic.db"

    async def finished_jobs() -> list[str]:
        engine = engine_for(parse_database_url(url, Path(".")))
        rows = await raw(engine, "SELECT kind FROM job WHERE state = 'done' ORDER BY kind")
        return [row["kind"] for row in rows]

    environ = {key: value for key, value in os.environ.items() if not key.startswith(("CLINIC_", "DATABASE_URL"))}
    worker = subprocess.Popen([sys.executable, "-m", "clinic", "worker"], env={**environ, **SECRET, **fresh_database},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        done: list[str] = []
        deadline = time.monotonic() + 30
        housekeeping = {"audit.write_checkpoint", "jobs.prune_finished", "security.prune_rate_limits",
                        "security.prune_sessions", "security.prune_sign_in_failures"}
        while not housekeeping <= set(done) and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
            done = run_async(finished_jobs)
        assert housekeeping <= set(done) and len(done) == len(set(done))  # each once
    finally:
        worker.send_signal(signal.SIGTERM)
        output, errors = worker.communicate(timeout=20)
    assert worker.returncode == 0, errors
    assert "running jobs" in output and output.rstrip().endswith("worker stopped")
    assert "Traceback" not in errors


def test_worker_refuses_an_unmigrated_database(backend, fresh_database):
    if backend == "sqlite":
        # An empty database file, private as `clinic migrate` makes it (wider ones draw warnings).
        folder = Path(fresh_database["CLINIC_DATA_DIR"])
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(folder / "clinic.db", os.O_CREAT | os.O_WRONLY, 0o600))
    result = clinic("worker", env=fresh_database)
    assert result.returncode == 2
    assert "run `clinic migrate` first" in one_error_line(result)


def test_unlock_lifts_an_accounts_sign_in_pauses_and_is_audited(backend, fresh_database):
    from clinic.db import engine_for
    from clinic.db.schema import raw
    from clinic.db.urls import parse_database_url
    from clinic.security import throttle
    from tests.conftest import run_async

    assert clinic("migrate", env=fresh_database).returncode == 0
    made = clinic("createadmin", "--email", "Boss@Riverside-Clinic.org", "--name", "Bea Boss",
                  env={**fresh_database, "CLINIC_ADMIN_PASSWORD": "quiet river lantern 7"})
    assert made.returncode == 0, made.stderr
    url = fresh_database.get("DATABASE_URL") or f"sqlite:///{fresh_database['CLINIC_DATA_DIR']}/clinic.db"
    email = "boss@riverside-clinic.org"
    paused_keys = [throttle.account_key(email), throttle.pair_key(email, "203.0.113.66"),
                   throttle.pair_key(email, "198.51.100.7")]

    async def sign_in_throttle(*keys: str) -> list[str]:
        engine = engine_for(parse_database_url(url, Path(".")))
        await engine.start_connection_pool()
        try:
            for key in keys:
                await raw(engine, "INSERT INTO sign_in_throttle (\"key\", failures, locked_until, updated_at) "
                                  "VALUES ({}, 100, {}, {})", key, dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1),
                          dt.datetime.now(dt.timezone.utc))
            rows = await raw(engine, 'SELECT "key" FROM sign_in_throttle ORDER BY "key"')
            return [row["key"] for row in rows]
        finally:
            await engine.close_connection_pool()

    other = throttle.pair_key("someone.else@riverside-clinic.org", "203.0.113.66")
    assert len(run_async(sign_in_throttle, *paused_keys, other)) == 4
    unlocked = clinic("unlock", "BOSS@riverside-clinic.org", env=fresh_database)
    assert unlocked.returncode == 0, unlocked.stderr
    assert unlocked.stdout.splitlines() == [f"sign-in unlocked for {email} (it was paused for everyone)"]
    assert run_async(sign_in_throttle) == [other]  # only this account's pauses went
    again = clinic("unlock", email, env=fresh_database)
    assert again.returncode == 0 and "(it was not paused)" in again.stdout
    unknown = clinic("unlock", "nobody@riverside-clinic.org", env=fresh_database)
    assert unknown.returncode == 2
    assert one_error_line(unknown) == "error: no account has the email nobody@riverside-clinic.org"
    verify = clinic("audit", "verify", env=fresh_database)
    assert verify.returncode == 0 and "3 entries verified" in verify.stdout  # created, unlocked twice
    assert run_async(audit_entries, url) == [("staff.create", "command line"), ("staff.unlock", "command line"),
                                             ("staff.unlock", "command line")]


async def audit_entries(url: str) -> list[tuple[str, str]]:
    from clinic.db import engine_for
    from clinic.db.schema import raw
    from clinic.db.urls import parse_database_url

    engine = engine_for(parse_database_url(url, Path(".")))
    await engine.start_connection_pool()
    try:
        rows = await raw(engine, "SELECT action, role FROM audit_event ORDER BY id")
    finally:
        await engine.close_connection_pool()
    return [(row["action"], row["role"]) for row in rows]
