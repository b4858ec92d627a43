"""GET /metrics: Prometheus text for a scraper with the token, nothing for anyone else."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from clinic.core.jobs import DEAD, Job
from clinic.piccolo_app import bind_tables
from tests.factories import sign_in_as

METRICS_TOKEN = "metrics-token-4b7e1d9a3c6f2e8b5a0d7c1f9e3b6a2d"


@pytest.fixture
def scraper(make_app, harness):
    """A client of an app with CLINIC_METRICS_TOKEN set (same database as the harness)."""
    with TestClient(make_app(CLINIC_METRICS_TOKEN=METRICS_TOKEN, CLINIC_MEMORY_LIMIT_MB="2048"),
                    base_url="http://testserver.local") as client:
        yield client
    bind_tables(harness.engine)


def scrape(client) -> dict[str, list]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def value(samples, name, **labels) -> float:
    matching = [sample.value for sample in samples[name] if all(sample.labels.get(k) == v for k, v in labels.items())]
    assert len(matching) == 1, (name, labels, samples.get(name))
    return matching[0]


def test_it_is_not_there_without_a_token_setting(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 404


def test_a_wrong_or_missing_token_is_refused(scraper):
    assert scraper.get("/metrics").status_code == 401
    wrong = scraper.get("/metrics", headers={"Authorization": "Bearer " + METRICS_TOKEN[:-1] + "x"})
    assert wrong.status_code == 401 and "clinic_requests" not in wrong.text


def test_requests_are_counted_by_route_template_never_by_raw_path(scraper):
    for _ in range(3):
        assert scraper.get("/patients/12345", follow_redirects=False).status_code == 303
    scraper.get("/health")
    samples = scrape(scraper)
    routes = {sample.labels["route"] for sample in samples["clinic_requests_total"]}
    assert "/patients/{patient_id}" in routes and "/health" in routes
    assert not any("12345" in route for route in routes)
    status = next(s.labels["status"] for s in samples["clinic_requests_total"]
                  if s.labels["route"] == "/patients/{patient_id}")
    assert value(samples, "clinic_requests_total", route="/patients/{patient_id}", status=status) == 3
    assert value(samples, "clinic_request_duration_seconds_count") >= 4
    assert value(samples, "clinic_request_duration_seconds_bucket", le="+Inf") >= 4


def test_gauges_tell_the_pool_jobs_backup_outbox_and_memory(scraper, harness):
    now = dt.datetime.now(dt.timezone.utc)

    async def jobs():
        await Job.insert(Job(kind="security.prune_sessions", state=DEAD, attempts=3, finished_at=now),
                         Job(kind="security.prune_sessions", due_at=now - dt.timedelta(minutes=5),
                             run_at=now - dt.timedelta(minutes=5)))

    scraper.blocking_portal.call(jobs)  # on the scraper's app: its engine has the tables now
    samples = scrape(scraper)
    assert value(samples, "clinic_database_up") == 1
    assert value(samples, "clinic_db_pool_connections", state="max") >= 1
    assert value(samples, "clinic_db_pool_connections", state="in_use") >= 0
    assert value(samples, "clinic_jobs_failed", state="dead") == 1
    assert value(samples, "clinic_jobs_due") == 1
    assert 290 <= value(samples, "clinic_jobs_lag_seconds") <= 400
    assert value(samples, "clinic_backup_age_seconds") == -1  # no backup in this data folder
    assert value(samples, "clinic_reminder_outbox_backlog") == 0
    assert value(samples, "clinic_memory_limit_bytes") == 2048 * 1024 * 1024
    assert value(samples, "clinic_memory_rss_bytes") > 10_000_000


def test_a_signed_in_administrator_gets_no_metrics_either(harness, client):
    sign_in_as(harness, "admin")
    assert client.get("/metrics").status_code == 404
