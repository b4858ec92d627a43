"""Alerts to administrators: evaluated by a periodic job, sent through the job outbox, one per incident.

Every minute ``ops.check_alerts`` reads this instance's facts and steps each
rule (clinic/ops/alert_rules.py) against its row in alert_state, locked, so
instances agree. A change of state queues ``ops.send_alert`` in the same
transaction, keyed by rule, incident and event: however many instances
evaluate, an incident sends one alert and one recovery. The sender mails
CLINIC_ALERT_EMAIL (through SMTP_URL) and/or POSTs CLINIC_ALERT_WEBHOOK_URL;
a failed delivery is retried by the queue.

The one alert the queue cannot carry is the database's own: while it is
down nothing can be queued or stored. ``DatabaseWatch`` (beside the inline
worker) probes it every few seconds; after a minute unreachable it sends
the alert directly, and once the database is back it records the incident,
whose recovery then goes through the outbox like any other.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket
import time

from clinic.core import clock
from clinic.core.jobs import Registry, RunningJob, enqueue
from clinic.db.errors import DatabaseUnavailable, IntegrityViolation, WriteConflict
from clinic.db.transactions import for_update
from clinic.ops import alert_rules as rules
from clinic.ops.health import database_check
from clinic.ops.monitoring import Snapshot, read_snapshot
from clinic.ops.tables import AlertState
from clinic.reminders.delivery import post_notice, send_notice
from clinic.web.metrics import RequestMetrics

CHECK_KIND = "ops.check_alerts"
SEND_KIND = "ops.send_alert"
WATCH_EVERY_SECONDS = 15.0
logger = logging.getLogger("clinic.alerts")


class _Config:
    settings = None
    engine = None
    request_metrics: RequestMetrics | None = None
    started: float = time.monotonic()
    # Tests and `clinic worker` may point these elsewhere.
    email: str = ""
    webhook_url: str = ""
    smtp_url: str = ""


current = _Config()


def configure(settings, engine, request_metrics: RequestMetrics | None = None, started: float | None = None) -> None:
    current.settings, current.engine = settings, engine
    current.request_metrics = request_metrics or RequestMetrics()
    current.started = started if started is not None else time.monotonic()
    use_targets(email=settings.alert_email, webhook_url=settings.alert_webhook_url, smtp_url=settings.smtp_url)


def use_targets(*, email: str = "", webhook_url: str = "", smtp_url: str = "") -> None:
    current.email, current.webhook_url, current.smtp_url = email, webhook_url, smtp_url


def facts_from(snapshot: Snapshot) -> rules.Facts:
    return rules.Facts(
        database_up=snapshot.database_up, requests=snapshot.window.requests,
        server_errors=snapshot.window.server_errors, p95_seconds=snapshot.window.p95_seconds,
        memory_rss_bytes=snapshot.memory_rss_bytes, memory_limit_bytes=snapshot.memory_limit_bytes,
        backup_age_seconds=snapshot.backup_age_seconds)


# -- state, shared through the database ------------------------------------------


def _condition(row: dict) -> rules.Condition:
    return rules.Condition(firing=bool(row["firing"]), bad_since=row["bad_since"], incident=row["incident"],
                           changed_at=row["changed_at"])


async def _ensure_row(name: str) -> None:
    """Create the rule's row outside any transaction: on MySQL, two instances locking a row
    that is not there yet take gap locks and deadlock on their inserts."""
    if await AlertState.exists().where(AlertState.name == name):
        return
    try:
        await AlertState.insert(AlertState(name=name, firing=False, incident=0))
    except IntegrityViolation:
        pass  # another instance created it just now


async def _locked_row(name: str) -> dict:
    """The rule's row, locked until the transaction ends."""
    row = await for_update(AlertState.select().where(AlertState.name == name)).first()
    if row is None:
        raise RuntimeError(f"alert_state row {name} is missing")
    return row


async def apply_reading(rule: rules.Rule, reading: rules.Reading, now: dt.datetime) -> str | None:
    """Step one rule against its stored condition; queue the notice if it fired or recovered."""
    await _ensure_row(rule.name)
    async with AlertState._meta.db.transaction():
        row = await _locked_row(rule.name)
        before = _condition(row)
        after, event = rules.step(before, reading.verdict, now, rule.hold)
        changes = {}
        if after != before:
            changes.update({AlertState.firing: after.firing, AlertState.bad_since: after.bad_since,
                            AlertState.incident: after.incident, AlertState.changed_at: after.changed_at})
        if reading.text and reading.text != row["reading"]:
            changes[AlertState.reading] = reading.text[:120]
        if changes:
            await AlertState.update(changes).where(AlertState.id == row["id"])
        if event:
            await enqueue(SEND_KIND, {"rule": rule.name, "event": event, "incident": after.incident},
                          key=f"alert:{rule.name}:{after.incident}:{event}", max_attempts=10)
    return event


async def evaluate(facts: rules.Facts, now: dt.datetime | None = None) -> dict[str, str]:
    """Every rule once; returns the rules that fired or recovered."""
    now = now or clock.now()
    events = {}
    for rule in rules.RULES:
        if rule.name == "database" and not facts.database_up:
            continue  # nothing can be stored now: DatabaseWatch has this one
        event = await apply_reading(rule, rule.read(facts), now)
        if event:
            events[rule.name] = event
    return events


async def alert_states() -> list[dict]:
    """For the System page: every rule, firing or not, with its last reading."""
    rows = {row["name"]: row for row in await AlertState.select()}
    return [{"name": rule.name, "title": rule.title, "firing": bool(rows.get(rule.name, {}).get("firing")),
             "changed_at": rows.get(rule.name, {}).get("changed_at"), "reading": rows.get(rule.name, {}).get("reading", "")}
            for rule in rules.RULES]


async def record_outage(bad_since: dt.datetime, now: dt.datetime) -> bool:
    """The database was unreachable from ``bad_since`` and an alert went out directly: store the
    incident, unless another instance already has, so its recovery is sent once."""
    await _ensure_row("database")
    async with AlertState._meta.db.transaction():
        row = await _locked_row("database")
        if row["firing"] or (row["changed_at"] is not None and row["changed_at"] >= bad_since):
            return False
        await AlertState.update({AlertState.firing: True, AlertState.bad_since: bad_since,
                                 AlertState.incident: row["incident"] + 1, AlertState.changed_at: now,
                                 AlertState.reading: "not answering"}).where(AlertState.id == row["id"])
    return True


# -- sending ----------------------------------------------------------------------


def compose(rule: rules.Rule, event: str, reading: str, at: dt.datetime) -> tuple[str, str, dict]:
    """Subject, text and webhook body: measurements only, never patient data."""
    clinic = current.settings.clinic_name if current.settings else "Clinic"
    word = "ALERT" if event == rules.FIRED else "Recovered"
    subject = f"[{clinic}] {word}: {rule.title}"
    stamp = at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"{word}: {rule.title}", f"At: {stamp}", f"Reading: {reading or 'unknown'}",
             f"Server: {socket.gethostname()}"]
    if event == rules.FIRED:
        lines.append("You will get one more message when this is back to normal. The System page "
                     "(/admin/system) shows the details.")
    body = "\n".join(lines) + "\n"
    payload = {"alert": rule.name, "title": rule.title, "event": event, "reading": reading, "at": at.isoformat(),
               "clinic": clinic, "text": f"{subject} ({reading})"}
    return subject, body, payload


async def deliver(rule: rules.Rule, event: str, reading: str, at: dt.datetime, key: str) -> list[str]:
    """Send to every configured target; raises when one fails (the queue retries)."""
    if not (current.email or current.webhook_url):
        logger.warning("alert %s %s with nowhere to send it (set CLINIC_ALERT_EMAIL or CLINIC_ALERT_WEBHOOK_URL)",
                       rule.name, event)
        return []
    subject, body, payload = compose(rule, event, reading, at)
    sent = []
    if current.webhook_url:
        await post_notice(current.webhook_url, {**payload, "id": key}, key)
        sent.append("webhook")
    if current.email and current.smtp_url:
        await send_notice(current.smtp_url, current.email, subject, body, f"<{key.replace(':', '.')}@clinic.alerts>")
        sent.append("email")
    return sent


async def send_alert(job: RunningJob) -> dict:
    rule = rules.RULES_BY_NAME.get(job.payload.get("rule", ""))
    if rule is None:
        return {"skipped": "unknown rule"}
    row = await AlertState.select(AlertState.reading, AlertState.changed_at).where(
        AlertState.name == rule.name).first()
    key = f"alert:{rule.name}:{job.payload.get('incident')}:{job.payload.get('event')}"
    sent = await deliver(rule, job.payload.get("event", ""), (row or {}).get("reading", ""),
                         (row or {}).get("changed_at") or clock.now(), key)
    return {"sent": sent}


async def check_alerts(job: RunningJob) -> dict:
    if current.settings is None:
        return {"skipped": "not configured"}
    snapshot = await read_snapshot(current.settings, current.engine or AlertState._meta.db,
                                   current.request_metrics or RequestMetrics(), current.started)
    try:
        return {"events": await evaluate(facts_from(snapshot))}
    except (DatabaseUnavailable, WriteConflict) as error:
        # The next minute's check reads afresh; a dead job here would only add noise.
        return {"skipped": type(error).__name__}


def register_jobs(registry: Registry) -> None:
    registry.add(CHECK_KIND, check_alerts, label="Check the administrators' alerts", every=dt.timedelta(minutes=1),
                 lease=dt.timedelta(seconds=30), timeout=dt.timedelta(seconds=50), max_attempts=1)
    registry.add(SEND_KIND, send_alert, label="Send an alert to the administrators", lease=dt.timedelta(seconds=60),
                 timeout=dt.timedelta(seconds=50), retry_delay=dt.timedelta(seconds=30),
                 max_retry_delay=dt.timedelta(minutes=10))


# -- the database's own alert ----------------------------------------------------------


class DatabaseWatch:
    """Probes the database from this process; alerts directly after a minute without it."""

    def __init__(self, engine, every_seconds: float = WATCH_EVERY_SECONDS):
        self.engine = engine
        self.every = every_seconds
        self.condition = rules.Condition()
        self.task: asyncio.Task | None = None

    async def probe(self, now: dt.datetime | None = None) -> str | None:
        """One look; returns FIRED when it alerted, RECOVERED when it handed a past outage to the outbox."""
        now = now or clock.now()
        reachable = (await database_check(self.engine))["reachable"]
        rule = rules.RULES_BY_NAME["database"]
        if not reachable:
            self.condition, event = rules.step(self.condition, rules.BAD, now, rule.hold)
            if event == rules.FIRED:
                since = self.condition.bad_since
                try:
                    await deliver(rule, event, "not answering", since,
                                  f"alert:database:{socket.gethostname()}:{int(since.timestamp())}:fired")
                except Exception as error:  # noqa: BLE001 - try again on the next probe
                    logger.warning("database alert not delivered: %s", type(error).__name__)
                    self.condition = rules.Condition(bad_since=since)
            return event
        if not self.condition.firing:
            self.condition = rules.Condition()
            return None
        try:
            await record_outage(self.condition.bad_since, now)
            event = await apply_reading(rule, rules.Reading(rules.GOOD, "reachable"), now)
        except DatabaseUnavailable:
            return None
        self.condition = rules.Condition()
        return event

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.probe()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the watch must outlive any one probe
                logger.warning("database watch: %s", type(error).__name__)

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
            self.task = None
