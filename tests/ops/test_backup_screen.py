"""System → Backups: administrators see the backup files and a warning when the last good one is old."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil

import pytest

from clinic.ops.backups import jobs as backup_jobs
from clinic.ops.backups import service
from tests.factories import sign_in_as
from tests.helpers import html, is_fragment, one

KEY_TEXT = bytes(range(32)).hex()
KEY = bytes(range(32))


@pytest.fixture
def backup_settings(harness, tmp_path):
    settings = dataclasses.replace(harness.app.state.settings, backup_key=KEY_TEXT, backup_folder=tmp_path / "backups",
                                   backup_keep=2)
    harness.app.state.settings = settings
    try:
        yield settings
    finally:
        harness.app.state.settings = dataclasses.replace(settings, backup_key="",
                                                         backup_folder=settings.data_dir / "backups")
        shutil.rmtree(tmp_path / "backups", ignore_errors=True)


def age_backup(backup: service.BackupFile, hours: float) -> None:
    note = backup.path.with_name(backup.path.name + ".json")
    facts = json.loads(note.read_text())
    facts["made_at"] = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=hours)).isoformat()
    note.write_text(json.dumps(facts))


def test_administrators_see_each_backup_with_its_size_time_and_check(harness, client, backup_settings):
    sign_in_as(harness, "admin")
    summary = harness.run(service.back_up, backup_settings, KEY)
    page = html(client.get("/admin/backups"))
    assert one(page, "h1").text() == "Backups"
    rows = page.css("#backups tr[data-backup]")
    assert [row.attributes["data-backup"] for row in rows] == [summary.path.name]
    assert rows[0].attributes["data-verified"] == "yes"
    assert page.css('[data-warning="stale"]') == []
    assert summary.path.stat().st_mode & 0o777 == 0o600
    entries = harness.audit("action = 'backup.create'", columns="entity_id, outcome")
    assert entries == [{"entity_id": summary.path.name, "outcome": "success"}]


def test_it_warns_when_the_last_good_backup_is_older_than_26_hours(harness, client, backup_settings):
    sign_in_as(harness, "admin")
    harness.run(service.back_up, backup_settings, KEY)
    age_backup(service.list_backups(backup_settings)[0], hours=25)
    assert html(client.get("/admin/backups")).css('[data-warning="stale"]') == []
    age_backup(service.list_backups(backup_settings)[0], hours=27)
    warning = one(html(client.get("/admin/backups")), '[data-warning="stale"]')
    assert "older than 26 hours" in warning.text()


def test_it_warns_when_there_is_no_backup_or_no_key(harness, client):
    sign_in_as(harness, "admin")
    page = html(client.get("/admin/backups"))
    assert page.css('[data-warning="stale"]') and page.css('[data-warning="no-key"]')


def test_the_list_is_a_fragment_for_htmx(harness, client, backup_settings):
    sign_in_as(harness, "admin")
    response = client.get("/admin/backups", headers={"HX-Request": "true"})
    assert is_fragment(response)
    assert html(response).css("#backup-list")


def test_others_than_administrators_cannot_see_backups(harness, client):
    sign_in_as(harness, "doctor")
    assert client.get("/admin/backups").status_code == 403


def test_health_details_give_the_last_backup_age(harness, client, backup_settings):
    sign_in_as(harness, "admin")
    harness.run(service.back_up, backup_settings, KEY)
    backup = client.get("/health").json()["backup"]
    assert backup["stale"] is False and 0 <= backup["last_good_age_seconds"] < 600


class FakeJob:
    id, kind, attempt, max_attempts = 1, backup_jobs.KIND, 1, 2

    def __init__(self, payload=None):
        self.payload = payload or {}

    async def progress(self, done, total=None):
        return None


def test_the_daily_job_writes_a_backup_when_due_and_prunes_to_the_kept_number(harness, backup_settings):
    backup_jobs.configure(backup_settings)
    try:
        first = harness.run(backup_jobs.daily_backup, FakeJob())
        assert first["file"] and first["pruned"] == 0
        assert harness.run(backup_jobs.daily_backup, FakeJob())["skipped"] == "not due"
        for hours in (50, 49):
            age_backup(service.list_backups(backup_settings)[0], hours=hours)
            harness.run(backup_jobs.daily_backup, FakeJob())
        names = [backup.name for backup in service.list_backups(backup_settings)]
        assert len(names) == 2 and first["file"] not in names
        assert sorted(path.name for path in backup_settings.backup_folder.iterdir()) == sorted(
            [name for name in names] + [name + ".json" for name in names])
    finally:
        backup_jobs.configure(harness.app.state.settings)


def test_the_daily_job_skips_without_a_key(harness, backup_settings):
    backup_jobs.configure(dataclasses.replace(backup_settings, backup_key=""))
    try:
        assert harness.run(backup_jobs.daily_backup, FakeJob()) == {"skipped": "CLINIC_BACKUP_KEY is not set"}
    finally:
        backup_jobs.configure(harness.app.state.settings)
