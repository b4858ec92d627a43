"""GET /health: reachable or not, and back without a restart."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import contextmanager

import pytest
from litestar.testing import TestClient

from clinic import __version__
from clinic.core.jobs import DEAD, Job, enqueue
from clinic.piccolo_app import bind_tables
from tests.conftest import harness_for, mysql_database, side_database_url
from tests.factories import make_staff, open_session, sign_in_as
from tests.helpers import html, one
from tests.outages import TCPProxy, sqlite_file_missing

HEALTH_TOKEN = "health-token-7c1e9a3f5b2d8e4a6c0f1b3d5e7a9c2b"
DETAILS = {"status", "database", "jobs", "backup", "uptime_seconds", "memory_rss_bytes", "version"}


def details(client, **headers):
    return client.get("/health", headers={"Authorization": f"Bearer {HEALTH_TOKEN}", **headers})


@pytest.fixture
def token_client(make_app, harness):
    """A client of an app that has CLINIC_HEALTH_TOKEN set (same database as the harness)."""
    with TestClient(make_app(CLINIC_HEALTH_TOKEN=HEALTH_TOKEN), base_url="http://testserver.local") as client:
        yield client
    bind_tables(harness.engine)


def test_anyone_hears_only_up_or_down(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_the_health_token_shows_the_details_with_no_patient_data(token_client):
    response = details(token_client)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["reachable"] is True and body["database"]["migrations_pending"] == 0
    assert body["version"] == __version__
    assert body["uptime_seconds"] >= 0 and body["memory_rss_bytes"] > 10_000_000
    assert set(body) == DETAILS
    assert body["jobs"] == {"due": 0, "oldest_due_seconds": 0.0, "dead": 0}


def test_a_wrong_token_or_no_token_setting_shows_no_details(token_client, client):
    wrong = token_client.get("/health", headers={"Authorization": "Bearer " + HEALTH_TOKEN[:-1] + "x"})
    assert wrong.status_code == 200 and wrong.json() == {"status": "ok"}
    # Without CLINIC_HEALTH_TOKEN no bearer token opens them, not even an empty one.
    for value in (f"Bearer {HEALTH_TOKEN}", "Bearer ", "Bearer"):
        assert client.get("/health", headers={"Authorization": value}).json() == {"status": "ok"}


def test_a_signed_in_administrator_sees_the_details_other_staff_do_not(harness, client):
    sign_in_as(harness, "doctor")
    assert client.get("/health").json() == {"status": "ok"}
    sign_in_as(harness, "admin")
    assert set(client.get("/health").json()) == DETAILS


def test_an_administrator_still_owing_the_code_step_sees_no_details(harness, client):
    admin = harness.run(make_staff, "admin")
    token = harness.run(open_session, admin["id"], harness.app.state.session_policy, stage="mfa")
    client.cookies.set("clinic_session", token, domain="testserver.local")
    assert client.get("/health").json() == {"status": "ok"}


def test_it_reports_jobs_due_how_late_the_oldest_is_and_the_dead(harness, client):
    now = dt.datetime.now(dt.timezone.utc)

    async def queue():
        await enqueue("test.note", run_at=now - dt.timedelta(seconds=90))
        await enqueue("test.note", run_at=now - dt.timedelta(seconds=5))
        await enqueue("test.note", run_at=now + dt.timedelta(hours=1))  # not due yet
        await Job.insert(Job(kind="test.note", state=DEAD, finished_at=now, due_at=None))

    harness.run(queue)
    sign_in_as(harness, "admin")
    jobs = client.get("/health").json()["jobs"]
    assert jobs["due"] == 2 and jobs["dead"] == 1
    assert 90 <= jobs["oldest_due_seconds"] < 120


def test_it_needs_no_sign_in_and_sets_no_cookies(client):
    response = client.get("/health")
    assert "set-cookie" not in response.headers


@contextmanager
def outage_app(backend, make_app, settings):
    """An app whose database the test can take away: yields (app, cut, restore)."""
    if backend == "sqlite":
        app = make_app(CLINIC_HEALTH_TOKEN=HEALTH_TOKEN)
        state = {}

        def cut():
            state["lock"] = sqlite_file_missing(settings.database.path)
            state["lock"].__enter__()

        def restore():
            state.pop("lock").__exit__(None, None, None)

        yield app, cut, restore
        state.pop("lock", None) and restore()
    else:
        target = mysql_database()
        proxy = TCPProxy(target.host, target.port).start()
        url = f"mysql://{target.user}:{target.password}@127.0.0.1:{proxy.port}/{target.name}"
        app = make_app(DATABASE_URL=url, CLINIC_DB_CONNECT_TIMEOUT="2", CLINIC_HEALTH_TOKEN=HEALTH_TOKEN)
        try:
            yield app, proxy.cut, proxy.start
        finally:
            proxy.cut()


def test_it_answers_503_during_an_outage_and_200_after_without_a_restart(backend, make_app, settings):
    with outage_app(backend, make_app, settings) as (app, cut, restore):
        with harness_for(app, backend) as harness:
            client = harness.client
            sign_in_as(harness, "receptionist")
            assert client.get("/health").status_code == 200
            assert client.get("/").status_code == 200
            cut()
            down = client.get("/health")
            assert down.status_code == 503 and down.json() == {"status": "unavailable"}
            explained = details(client)
            assert explained.status_code == 503 and explained.json()["database"]["reachable"] is False

            page = client.get("/")
            assert page.status_code == 503 and page.headers["retry-after"] == "5"
            assert one(html(page), ".alert-error strong").text() == "Temporarily unavailable"
            assert page.headers["x-frame-options"] == "DENY"

            fragment = client.get("/", headers={"HX-Request": "true"})
            assert fragment.status_code == 503 and fragment.headers["hx-retarget"] == "#alerts"

            restore()
            assert client.get("/health").status_code == 200
            assert client.get("/").status_code == 200


def test_an_unmigrated_database_is_refused_with_a_clear_message(backend, tmp_path, make_app):
    url = side_database_url(backend, tmp_path, "unmigrated")  # a database, but an empty one
    if backend == "sqlite":
        sqlite3.connect(tmp_path / "unmigrated.db").close()  # (a missing file is another case)
    app = make_app(DATABASE_URL=url, CLINIC_HEALTH_TOKEN=HEALTH_TOKEN)
    with TestClient(app) as client:
        page = client.get("/")
        health = client.get("/health")
        explained = details(client)
    assert page.status_code == 503
    assert "clinic migrate" in one(html(page), ".alert-error p").text()
    assert health.status_code == 503 and health.json() == {"status": "unmigrated"}
    assert explained.status_code == 503 and explained.json()["database"]["migrations_pending"] >= 1
