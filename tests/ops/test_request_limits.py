"""Request timeouts and per-person limits on searches and exports: clear pages, shared by every instance."""

from __future__ import annotations

import asyncio
import time

import pytest
from litestar import get
from litestar.testing import TestClient

from clinic.core.jobs import Job
from clinic.piccolo_app import bind_tables
from clinic.web.rate_limits import Limit, RateLimited, count
from tests.conftest import harness_for
from tests.factories import post, sign_in_as
from tests.helpers import html, is_fragment, one


def slow_app(make_app, **environ):
    app = make_app(CLINIC_REQUEST_TIMEOUT="1", **environ)

    @get("/slow", name="test:slow", opt={"public": True, "sessionless": True})
    async def slow() -> str:
        await asyncio.sleep(10)
        return "late"

    @get("/slow-write", name="test:slow_write", opt={"public": True, "sessionless": True})
    async def slow_write() -> str:
        async with Job._meta.db.transaction():
            await Job.insert(Job(kind="test.half_written"))
            await asyncio.sleep(10)
        return "late"

    @get("/slow-allowed", name="test:slow_allowed", opt={"public": True, "sessionless": True, "timeout": 5})
    async def slow_allowed() -> str:
        await asyncio.sleep(1.5)
        return "in time"

    app.register(slow)
    app.register(slow_write)
    app.register(slow_allowed)
    return app


def test_a_request_over_the_timeout_gets_a_friendly_503_not_a_hang(make_app, backend):
    with harness_for(slow_app(make_app), backend) as harness:
        started = time.monotonic()
        response = harness.client.get("/slow")
        assert time.monotonic() - started < 4
        assert response.status_code == 503 and response.headers["retry-after"] == "10"
        assert one(html(response), ".alert-error strong").text() == "Taking too long"
        fragment = harness.client.get("/slow", headers={"HX-Request": "true"})
        assert fragment.status_code == 503 and is_fragment(fragment) and fragment.headers["hx-retarget"] == "#alerts"


def test_a_timed_out_write_is_rolled_back_and_the_app_serves_on(make_app, backend):
    with harness_for(slow_app(make_app), backend) as harness:
        for _ in range(3):  # more than once: the connection it held must not come back half-read
            assert harness.client.get("/slow-write").status_code == 503
        assert harness.sql("SELECT COUNT(*) AS n FROM job WHERE kind = 'test.half_written'")[0]["n"] == 0
        assert harness.client.get("/health").status_code == 200
        sign_in_as(harness, "receptionist")
        assert harness.client.get("/").status_code == 200


def test_a_route_may_allow_itself_longer(make_app, backend):
    with harness_for(slow_app(make_app), backend) as harness:
        response = harness.client.get("/slow-allowed")
        assert response.status_code == 200 and response.text == "in time"


def wait_for_a_fresh_minute():
    """The limit counts per clock minute: keep a test's requests inside one."""
    if time.time() % 60 > 55:
        time.sleep(60 - time.time() % 60 + 0.1)


def test_searches_past_the_limit_get_a_clear_429_as_a_page_and_for_htmx(make_app, backend):
    with harness_for(make_app(CLINIC_SEARCH_RATE_PER_MINUTE="3"), backend) as harness:
        client = harness.client
        sign_in_as(harness, "receptionist")
        wait_for_a_fresh_minute()
        for _ in range(3):
            assert post(client, "/patients/search", {"q": "ann"}, htmx=True).status_code == 200
        fragment = post(client, "/patients/search", {"q": "ann"}, htmx=True)
        assert fragment.status_code == 429 and is_fragment(fragment)
        assert fragment.headers["hx-retarget"] == "#alerts" and 1 <= int(fragment.headers["retry-after"]) <= 60
        alert = one(html(fragment), "[role=alert]")
        assert alert.css_first("strong").text() == "Too many searches"
        assert "limit of 3 searches per minute" in alert.text()
        page = post(client, "/patients/search", {"q": "ann"})
        assert page.status_code == 429 and one(html(page), "h1, .alert-error strong").text() == "Too many searches"
        # Someone else at the desk is not held up by it.
        sign_in_as(harness, "receptionist")
        assert post(client, "/patients/search", {"q": "ann"}, htmx=True).status_code == 200


def test_the_limit_is_shared_by_every_instance(make_app, backend):
    """What one instance counted, another sees: on MySQL the counts live in the database, not in a process.
    (A SQLite clinic is served by one process, which keeps them in memory: no write per search.)"""
    if backend == "sqlite":
        pytest.skip("one process serves a SQLite clinic")
    wait_for_a_fresh_minute()
    with harness_for(make_app(CLINIC_SEARCH_RATE_PER_MINUTE="4"), backend) as harness:
        staff = sign_in_as(harness, "doctor")
        statuses = [post(harness.client, "/patients/search", {"q": "ann"}, htmx=True).status_code for _ in range(3)]
    second = make_app(CLINIC_SEARCH_RATE_PER_MINUTE="4")
    bind_tables(second.state.engine)
    with TestClient(second, base_url="http://testserver.local") as other:
        other.cookies.set("clinic_session", staff["token"], domain="testserver.local")
        statuses += [post(other, "/patients/search", {"q": "ann"}, htmx=True).status_code for _ in range(2)]
    assert statuses == [200, 200, 200, 200, 429]


def test_exports_are_limited_per_hour(make_app, backend):
    with harness_for(make_app(CLINIC_EXPORT_RATE_PER_HOUR="2"), backend) as harness:
        sign_in_as(harness, "admin")
        if time.time() % 3600 > 3590:
            time.sleep(3600 - time.time() % 3600 + 0.1)
        assert [harness.client.get("/admin/audit.csv").status_code for _ in range(2)] == [200, 200]
        refused = harness.client.get("/admin/audit.csv")
        assert refused.status_code == 429
        assert "limit of 2 exports per hour" in one(html(refused), ".alert-error").text()


def test_the_window_count_refuses_past_the_limit_and_says_how_long_to_wait(harness):
    store = harness.app.stores.get("user_rate")
    limit = Limit("search", 2, 60, "searches")
    assert harness.run(count, store, limit, 7, 1_000_020.0) == 1
    assert harness.run(count, store, limit, 7, 1_000_021.0) == 2
    with pytest.raises(RateLimited) as refused:
        harness.run(count, store, limit, 7, 1_000_030.0)
    assert refused.value.retry_after == 50  # 1_000_020 starts a clock minute; the next starts at 1_000_080
    assert harness.run(count, store, limit, 7, 1_000_080.0) == 1
    assert harness.run(count, store, limit, 8, 1_000_030.0) == 1  # someone else
