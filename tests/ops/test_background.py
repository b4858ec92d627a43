"""`clinic serve` runs the background jobs itself unless CLINIC_WORKER=off."""

from __future__ import annotations

import time

from litestar.testing import TestClient

from tests.conftest import harness_for

HOUSEKEEPING = {"jobs.prune_finished", "security.prune_sessions", "security.prune_rate_limits",
                "security.prune_sign_in_failures", "audit.write_checkpoint"}


def finished_kinds(harness) -> set[str]:
    return {row["kind"] for row in harness.sql("SELECT kind FROM job WHERE state = 'done'")}


def test_the_app_runs_its_periodic_jobs_itself_and_stops_with_it(harness, make_app):
    # `harness` has emptied the database; this app's worker starts with it.
    app = make_app(CLINIC_WORKER="inline")
    with TestClient(app, base_url="http://testserver.local"):
        deadline = time.monotonic() + 15
        while not HOUSEKEEPING <= finished_kinds(harness) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert HOUSEKEEPING <= finished_kinds(harness)  # and the clinic's own periodic work
        worker = app.state.worker
        assert not worker._task.done()
    assert app.state.worker is None and worker._task.done()


def test_with_the_worker_off_the_app_runs_no_jobs(backend, make_app):
    app = make_app(CLINIC_WORKER="off")
    with harness_for(app, backend) as harness:
        assert harness.client.get("/health").status_code == 200
        time.sleep(0.5)
        assert app.state.worker is None
        assert harness.sql("SELECT COUNT(*) AS n FROM job")[0]["n"] == 0
