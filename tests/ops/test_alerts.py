"""Alerts on both backends: an incident sends exactly one alert and one recovery, through the outbox."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import email
import email.policy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from clinic.core.jobs import Job, Worker
from clinic.ops import alerts
from clinic.ops.alert_rules import FIRED, RECOVERED, Facts
from clinic.ops.background import clinic_jobs
from clinic.ops.tables import AlertState
from tests.conftest import harness_for
from tests.ops.test_health import outage_app
from tests.reminders.conftest import free_port

T0 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.timezone.utc)


class Hook:
    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        self.url = ""


@pytest.fixture
def hook():
    box = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if box.status == 200:
                box.received.append({**json.loads(body), "key": self.headers["Idempotency-Key"]})
            self.send_response(box.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    box.url = f"http://127.0.0.1:{server.server_port}/alerts"
    alerts.use_targets(webhook_url=box.url)
    try:
        yield box
    finally:
        alerts.use_targets()
        server.shutdown()
        server.server_close()


def facts(**changes) -> Facts:
    values = dict(database_up=True, requests=100, server_errors=0, p95_seconds=0.2, memory_rss_bytes=100_000_000,
                  memory_limit_bytes=0, backup_age_seconds=3600.0)
    return Facts(**{**values, **changes})


def send_queued(harness) -> int:
    return harness.run(Worker(clinic_jobs()).run_due)


def state_of(harness, name: str) -> dict:
    return harness.run(AlertState.select().where(AlertState.name == name).first)


def test_a_slow_spell_sends_one_alert_and_one_recovery_however_often_instances_check(harness, hook):
    slow = facts(p95_seconds=2.6)

    async def several_instances_check(reading: Facts, minute: int):
        # Three instances evaluating at once, as their periodic jobs might.
        await asyncio.gather(*(alerts.evaluate(reading, T0 + dt.timedelta(minutes=minute)) for _ in range(3)))

    for minute in range(4):
        harness.run(several_instances_check, slow, minute)
    send_queued(harness)
    assert [(post["alert"], post["event"]) for post in hook.received] == [("latency", FIRED)]
    assert "2.60 s" in hook.received[0]["reading"] and hook.received[0]["key"] == "alert:latency:1:fired"
    row = state_of(harness, "latency")
    assert row["firing"] and row["incident"] == 1

    harness.run(several_instances_check, facts(p95_seconds=1.7), 4)  # between the lines: nothing
    harness.run(several_instances_check, facts(p95_seconds=0.3), 5)
    harness.run(several_instances_check, facts(p95_seconds=0.3), 6)
    send_queued(harness)
    assert [(post["alert"], post["event"]) for post in hook.received] == [("latency", FIRED), ("latency", RECOVERED)]
    assert not state_of(harness, "latency")["firing"]
    assert harness.sql("SELECT COUNT(*) AS n FROM job WHERE kind = {}", alerts.SEND_KIND)[0]["n"] == 2


def test_a_failed_delivery_is_retried_and_still_sent_once(harness, hook):
    hook.status = 503
    harness.run(alerts.evaluate, facts(requests=200, server_errors=10), T0)
    send_queued(harness)
    assert hook.received == []
    job = harness.run(Job.select().where(Job.kind == alerts.SEND_KIND).first)
    assert job["state"] == "retrying" and job["last_error"] == "DeliveryRefused"
    hook.status = 200
    earlier = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)

    async def due_now():  # the back-off over
        await Job.update({Job.run_at: earlier, Job.due_at: earlier}).where(Job.id == job["id"])

    harness.run(due_now)
    harness.run(alerts.evaluate, facts(requests=200, server_errors=10), T0 + dt.timedelta(minutes=1))
    send_queued(harness)
    assert [(post["alert"], post["event"]) for post in hook.received] == [("errors", FIRED)]


def test_the_periodic_check_reads_this_servers_memory_against_its_limit(harness, hook):
    previous = alerts.current.settings
    alerts.current.settings = dataclasses.replace(previous, memory_limit_mb=1)
    try:
        result = harness.run(alerts.check_alerts, None)
    finally:
        alerts.current.settings = previous
    assert result["events"] == {"memory": FIRED}
    send_queued(harness)
    assert [(post["alert"], post["event"]) for post in hook.received] == [("memory", FIRED)]
    assert "of the memory limit" in hook.received[0]["reading"]


def test_alerts_go_by_email_without_patient_data(harness):
    received = []

    class Box:
        async def handle_DATA(self, server, session, envelope):
            received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    controller = Controller(Box(), hostname="127.0.0.1", port=free_port())
    controller.start()
    alerts.use_targets(email="it@riverside.test", smtp_url=f"smtp://127.0.0.1:{controller.port}?from=clinic@riverside.test")
    try:
        harness.run(alerts.evaluate, facts(backup_age_seconds=30 * 3600), T0)
        harness.run(alerts.evaluate, facts(backup_age_seconds=30 * 3600), T0 + dt.timedelta(minutes=31))
        send_queued(harness)
    finally:
        alerts.use_targets()
        controller.stop()
    assert len(received) == 1
    message = received[0]
    assert message["To"] == "it@riverside.test" and "ALERT: Last good backup older than 26 hours" in message["Subject"]
    assert "30 hours old" in message.get_content()


def test_a_database_outage_over_a_minute_alerts_once_and_recovers_once(backend, make_app, settings, hook):
    with outage_app(backend, make_app, settings) as (app, cut, restore):
        alerts.use_targets(webhook_url=hook.url)  # building the app configured its own (none)
        with harness_for(app, backend) as harness:
            watch = alerts.DatabaseWatch(app.state.engine)
            cut()
            events = [harness.run(watch.probe, T0 + dt.timedelta(seconds=15 * n)) for n in range(7)]
            assert events == [None, None, None, None, FIRED, None, None]
            assert [(post["alert"], post["event"]) for post in hook.received] == [("database", FIRED)]
            restore()
            assert harness.run(watch.probe, T0 + dt.timedelta(minutes=3)) == RECOVERED
            assert harness.run(watch.probe, T0 + dt.timedelta(minutes=4)) is None
            send_queued(harness)
            assert [(post["alert"], post["event"]) for post in hook.received] == [
                ("database", FIRED), ("database", RECOVERED)]
            row = state_of(harness, "database")
            assert not row["firing"] and row["incident"] == 1


def test_a_short_database_blip_sends_nothing(backend, make_app, settings, hook):
    with outage_app(backend, make_app, settings) as (app, cut, restore):
        alerts.use_targets(webhook_url=hook.url)  # building the app configured its own (none)
        with harness_for(app, backend) as harness:
            watch = alerts.DatabaseWatch(app.state.engine)
            cut()
            assert [harness.run(watch.probe, T0 + dt.timedelta(seconds=15 * n)) for n in range(3)] == [None] * 3
            restore()
            assert harness.run(watch.probe, T0 + dt.timedelta(seconds=45)) is None
            send_queued(harness)
    assert hook.received == []
