"""The security package's hourly jobs delete what has expired, and only that."""

from __future__ import annotations

import datetime as dt

from clinic.core.jobs import Worker, enqueue, find_job
from clinic.security.tables import SignInThrottle, StaffSession, StoredValue
from tests.factories import make_staff

UTC = dt.timezone.utc


def run_job(harness, kind: str) -> dict:
    """Queue one job of the app's own kinds and run it as the app's worker would."""

    async def work():
        job_id = await enqueue(kind)
        assert await Worker(harness.app.state.jobs).run_due() == 1
        return await find_job(job_id)

    return harness.run(work)


def test_sessions_go_a_week_after_they_expire(harness):
    now = dt.datetime.now(UTC)
    staff = harness.run(make_staff, "nurse")

    async def sessions():
        for label, expired_ago in (("long-gone", dt.timedelta(days=8)), ("last-week", dt.timedelta(days=6)),
                                   ("live", -dt.timedelta(hours=3))):
            await StaffSession.insert(StaffSession(token_hash=label, staff=staff["id"], expires_at=now - expired_ago))

    harness.run(sessions)
    job = run_job(harness, "security.prune_sessions")
    assert job["state"] == "done" and job["result"] == {"deleted": 1}
    left = harness.sql("SELECT token_hash FROM staff_session ORDER BY token_hash")
    assert [row["token_hash"] for row in left] == ["last-week", "live"]


def test_expired_rate_limit_counters_go(harness):
    now = dt.datetime.now(UTC)

    async def values():
        for key, expires_at in (("expired", now - dt.timedelta(seconds=1)), ("current", now + dt.timedelta(minutes=1)),
                                ("forever", None)):
            await StoredValue.insert(StoredValue(namespace="rate_limit", key=key, value=b"1", expires_at=expires_at))

    harness.run(values)
    job = run_job(harness, "security.prune_rate_limits")
    assert job["result"] == {"deleted": 1}
    left = harness.sql('SELECT "key" FROM kv_store ORDER BY "key"')
    assert [row["key"] for row in left] == ["current", "forever"]


def test_failed_sign_ins_are_forgotten_after_a_quiet_spell_but_never_during_a_pause(harness):
    now = dt.datetime.now(UTC)
    rows = [
        ("address:10.0.0.1", now - dt.timedelta(minutes=20), None),  # quiet address: forgotten
        ("address:10.0.0.2", now - dt.timedelta(minutes=20), now + dt.timedelta(minutes=5)),  # still paused
        ("address:10.0.0.3", now - dt.timedelta(minutes=5), None),  # recent
        ("account:old@riverside-clinic.org", now - dt.timedelta(days=2), now - dt.timedelta(days=2)),  # forgotten
        ("account:new@riverside-clinic.org", now - dt.timedelta(hours=2), None),  # counts for a day
        ("codes:7", now - dt.timedelta(days=2), None),  # forgotten
    ]

    async def throttles():
        for key, updated_at, locked_until in rows:
            await SignInThrottle.insert(SignInThrottle(key=key, failures=6, updated_at=updated_at,
                                                       locked_until=locked_until))

    harness.run(throttles)
    job = run_job(harness, "security.prune_sign_in_failures")
    assert job["result"] == {"deleted": 3}
    left = harness.sql('SELECT "key" FROM sign_in_throttle ORDER BY "key"')
    assert [row["key"] for row in left] == [
        "account:new@riverside-clinic.org", "address:10.0.0.2", "address:10.0.0.3"]


def test_the_app_registers_the_pruning_jobs_to_run_hourly_and_its_own_housekeeping(app):
    schedules = {schedule.kind: schedule for schedule in app.state.jobs.schedules}
    assert set(schedules) == {"security.prune_sessions", "security.prune_rate_limits",
                              "security.prune_sign_in_failures", "jobs.prune_finished", "audit.write_checkpoint",
                              "ops.daily_backup", "reminders.generate", "reminders.send", "ops.check_alerts"}
    assert all(schedules[kind].every == dt.timedelta(hours=1) for kind in schedules if kind.startswith("security."))


def test_a_backlog_is_deleted_a_batch_at_a_time_and_nothing_else_goes(harness):
    from clinic.db.pruning import delete_in_batches

    now = dt.datetime.now(UTC)

    async def work():
        for n in range(7):
            await StoredValue.insert(StoredValue(namespace="rate_limit", key=f"old-{n}", value=b"1",
                                                 expires_at=now - dt.timedelta(minutes=n + 1)))
        await StoredValue.insert(StoredValue(namespace="rate_limit", key="current", value=b"1",
                                             expires_at=now + dt.timedelta(minutes=1)))
        return await delete_in_batches(StoredValue, StoredValue.expires_at < now, batch_size=3)

    assert harness.run(work) == 7
    assert [row["key"] for row in harness.sql('SELECT "key" FROM kv_store')] == ["current"]
