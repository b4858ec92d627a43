"""SIGTERM to `clinic serve` (a deploy): a request in flight is answered, the inline worker stops
between jobs (no job is left claimed), the process exits cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import run_async
from tests.live import free_port
from tests.ops.test_cli import SECRET, clinic, fresh_database  # noqa: F401,F811 (the fixture)


def wait_until_up(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            urllib.request.urlopen(url + "/health", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError("clinic serve did not start")


def test_sigterm_answers_the_request_in_flight_and_stops_the_worker_between_jobs(backend, fresh_database):  # noqa: F811
    from clinic.db import engine_for
    from clinic.db.schema import raw
    from clinic.db.urls import parse_database_url

    assert clinic("migrate", env=fresh_database).returncode == 0
    url = fresh_database.get("DATABASE_URL") or f"sqlite:///{fresh_database['CLINIC_DATA_DIR']}/clinic.db"
    port = free_port()
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("CLINIC_", "DATABASE_URL"))}
    server = subprocess.Popen([sys.executable, "-m", "clinic", "serve", "--port", str(port)],
                              env={**environ, **SECRET, **fresh_database, "CLINIC_WORKER": "inline"},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_up(server, f"http://127.0.0.1:{port}")
        # A request in flight: its headers and half its body are sent, then the deploy's SIGTERM.
        body = b"email=nobody%40example.org&password=" + b"x" * 4000
        connection = socket.create_connection(("127.0.0.1", port), timeout=30)
        connection.sendall(b"POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
                           b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
                           + body[:2000])
        time.sleep(0.5)
        server.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert server.poll() is None  # still draining: the request is not finished
        connection.sendall(body[2000:])
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        connection.close()
        output, errors = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 ") and not status_line.startswith((b"HTTP/1.1 5",)), answer[:300]
    # uvicorn re-raises the SIGTERM once it has shut down cleanly, so the exit is "by SIGTERM", not a crash.
    assert server.returncode in (0, -signal.SIGTERM), errors
    assert "Traceback" not in errors

    async def claimed_jobs() -> list[dict]:
        engine = engine_for(parse_database_url(url, Path(".")))
        return await raw(engine, "SELECT kind, state FROM job WHERE state = 'running'")

    assert run_async(claimed_jobs) == []  # the worker finished or handed back its job before the exit
