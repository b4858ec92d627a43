"""The daily backup is copied to an S3-compatible bucket once, and tried again after a refusal."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clinic.core.s3 import parse_bucket_url
from clinic.ops.backups import jobs as backup_jobs
from clinic.ops.backups import service
from tests.factories import sign_in_as
from tests.helpers import html, one
from tests.ops.test_backup_screen import KEY_TEXT, FakeJob


class FakeBucket:
    """Stores what is PUT, as an S3-compatible service would, and can refuse."""

    def __init__(self):
        self.objects: dict[str, bytes] = {}
        self.requests: list[dict] = []
        self.status = 200


@pytest.fixture
def bucket():
    fake = FakeBucket()

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if fake.status == 200:
                fake.objects[self.path] = body
            self.send_response(fake.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"s3://clinic-backups/riverside?endpoint=http://127.0.0.1:{server.server_port}&region=auto"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def bucket_settings(harness, tmp_path, bucket):
    settings = dataclasses.replace(
        harness.app.state.settings, backup_key=KEY_TEXT, backup_folder=tmp_path / "backups", backup_keep=2,
        backup_bucket=parse_bucket_url(bucket.url, "clinic-id", "clinic-secret-key"))
    harness.app.state.settings = settings
    backup_jobs.configure(settings)
    try:
        yield settings
    finally:
        harness.app.state.settings = dataclasses.replace(settings, backup_key="", backup_bucket=None,
                                                         backup_folder=settings.data_dir / "backups")
        backup_jobs.configure(harness.app.state.settings)
        shutil.rmtree(tmp_path / "backups", ignore_errors=True)


def test_the_daily_backup_is_copied_to_the_bucket_once(harness, bucket, bucket_settings):
    result = harness.run(backup_jobs.daily_backup, FakeJob())
    assert result["uploaded"] is True
    backup = service.last_good(bucket_settings)
    path = f"/clinic-backups/riverside/{backup.name}"
    assert list(bucket.objects) == [path] and bucket.objects[path] == backup.path.read_bytes()
    headers = {name.lower(): value for name, value in bucket.requests[0]["headers"].items()}
    assert headers["x-amz-content-sha256"] == hashlib.sha256(backup.path.read_bytes()).hexdigest()
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=clinic-id/")
    assert "/auto/s3/aws4_request" in headers["authorization"] and "clinic-secret-key" not in headers["authorization"]
    assert backup.uploaded == f"riverside/{backup.name}"
    # The hourly check does not send it again.
    assert "uploaded" not in harness.run(backup_jobs.daily_backup, FakeJob())
    assert len(bucket.requests) == 1


def test_a_refused_copy_is_tried_again_at_the_next_check_and_the_backup_is_kept(harness, bucket, bucket_settings):
    bucket.status = 403
    result = harness.run(backup_jobs.daily_backup, FakeJob())
    assert result["uploaded"] is False and result["upload_error"] == "BucketError"
    backup = service.last_good(bucket_settings)
    assert backup.verified and not backup.uploaded and bucket.objects == {}
    bucket.status = 200
    again = harness.run(backup_jobs.daily_backup, FakeJob())
    assert again["skipped"] == "not due" and again["uploaded"] is True
    assert list(bucket.objects) == [f"/clinic-backups/riverside/{backup.name}"]


def test_the_backups_screen_says_which_files_are_in_the_bucket(harness, client, bucket, bucket_settings):
    harness.run(backup_jobs.daily_backup, FakeJob())
    sign_in_as(harness, "admin")
    page = html(client.get("/admin/backups"))
    assert "copied to the bucket clinic-backups" in one(page, ".page-head").text()
    assert len(page.css("#backups tr[data-backup] [data-uploaded]")) == 1
