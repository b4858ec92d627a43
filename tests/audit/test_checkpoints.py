"""Signed checkpoints kept outside the database catch a trail cut short, which the chain alone cannot."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clinic.audit import checkpoints
from clinic.audit.checkpoints import CheckpointRefused, read_token
from clinic.audit.services import Actor, record, verify_chain
from clinic.core.jobs import Worker, enqueue, find_job
from tests.audit.tampering import clinic_verify, cut_after, put_back, without_triggers
from tests.factories import sign_in_as
from tests.helpers import html, one

ACTOR = Actor(staff_id=7, role="doctor", client_address="10.0.0.5", user_agent="pytest")


def write_entries(harness, count: int) -> list[int]:
    return [harness.run(record, "patient.read", ACTOR, entity_type="patient", entity_id=n, patient_id=n)
            for n in range(count)]


def trail_size(harness) -> int:
    return harness.sql("SELECT COUNT(*) AS n FROM audit_event")[0]["n"]


def tokens_in(text: str) -> list[str]:
    return [match.group(0) for match in checkpoints.TOKEN.finditer(text)]


def test_cutting_off_the_newest_entries_fools_the_plain_verify_but_not_a_checkpoint(harness):
    earlier = harness.run(checkpoints.issue)
    ids = write_entries(harness, 60)
    before = clinic_verify(harness, "--checkpoint", earlier.token)
    assert before.returncode == 0, before.stderr
    assert (f"it extends 1 checkpoint(s), the newest of {earlier.when} ({earlier.count} entries up to "
            f"#{earlier.last_id})") in before.stdout
    # The verify prints its new checkpoint, and logs it as one JSON line to copy out of the platform's logs.
    logged = [json.loads(line) for line in before.stdout.splitlines() if '"audit.checkpoint"' in line]
    assert len(logged) == 1 and logged[0]["event"] == "audit.checkpoint"
    token = logged[0]["token"]
    assert tokens_in(before.stdout) == [token, token]
    checkpoint = read_token(token)
    assert (checkpoint.last_id, checkpoint.count) == (ids[-1], trail_size(harness))
    kept = ids[-51]

    async def cut_and_verify():
        removed = await cut_after(harness.engine, kept)
        try:
            plain = await asyncio.to_thread(clinic_verify, harness)
            proven = await asyncio.to_thread(clinic_verify, harness, "--checkpoint", token)
        finally:
            await put_back(harness.engine, kept, removed)
        return plain, proven

    plain, proven = harness.run(without_triggers, harness.engine, cut_and_verify)
    # The chain alone cannot see the cut (README says so) ...
    assert plain.returncode == 0 and f"intact: {checkpoint.count - 50} entries verified" in plain.stdout
    # ... the checkpoint can.
    assert proven.returncode == 1
    assert (f"the trail has {checkpoint.count - 50} entries; the checkpoint of {checkpoint.when} saw "
            f"{checkpoint.count} up to #{checkpoint.last_id}: entries were removed") in proven.stderr
    assert "new checkpoint" not in proven.stdout and not tokens_in(proven.stdout)
    chain, findings = harness.run(checkpoints.verify_against, [checkpoint])
    assert chain.ok and [finding.problem for finding in findings] == [""]


def test_an_emptied_trail_verifies_as_zero_entries_but_not_against_a_checkpoint(harness):
    write_entries(harness, 3)
    checkpoint = harness.run(checkpoints.issue)

    async def empty_and_verify():
        removed = await cut_after(harness.engine, 0)
        try:
            return await verify_chain(), await checkpoints.verify_against([checkpoint])
        finally:
            await put_back(harness.engine, 0, removed)

    plain, (chain, findings) = harness.run(without_triggers, harness.engine, empty_and_verify)
    assert plain.ok and plain.checked == 0
    assert chain.ok and [finding.problem for finding in findings] == [
        f"the trail has 0 entries; the checkpoint of {checkpoint.when} saw {checkpoint.count} up to "
        f"#{checkpoint.last_id}: entries were removed (#{checkpoint.last_id} is gone)"]
    assert harness.run(verify_chain).ok


def test_every_checkpoint_in_a_file_is_compared_so_one_written_after_a_cut_cannot_bless_it(harness, tmp_path):
    ids = write_entries(harness, 5)
    old = harness.run(checkpoints.issue)
    kept = ids[1]

    async def cut_write_on_and_verify():
        removed = await cut_after(harness.engine, kept)
        try:
            # The app carries on after the cut: entries (which reuse the cut ids on
            # SQLite) and the job's next checkpoint, which describes the cut trail.
            for n in range(4):
                await record("patient.read", ACTOR, entity_type="patient", entity_id=n)
            new = await checkpoints.issue()
            logs = tmp_path / "railway-logs.txt"
            logs.write_text("\n".join([
                json.dumps({"event": "audit.checkpoint", "token": old.token, "level": "info"}),
                "2026-11-30T10:00:00Z [info] job done kind=jobs.prune_finished",
                f"2026-11-30T10:05:00Z [info] audit.checkpoint count={new.count} token={new.token}",
                "ckpt1." + old.token.split(".")[1] + "." + new.token.split(".")[2],  # a pasted-together forgery
            ]))
            newest_only = await checkpoints.verify_against([new])
            whole_file = await asyncio.to_thread(clinic_verify, harness, "--checkpoint", str(logs))
        finally:
            await put_back(harness.engine, kept, removed)
        return newest_only, whole_file, old

    newest_only, whole_file, old = harness.run(without_triggers, harness.engine, cut_write_on_and_verify)
    # A checkpoint proves nothing about what happened before it was written.
    assert newest_only[0].ok and [finding.problem for finding in newest_only[1]] == [""]
    assert whole_file.returncode == 1
    cut_short = [line for line in whole_file.stderr.splitlines() if line.startswith("audit trail CUT SHORT")]
    assert len(cut_short) == 1
    assert f"the checkpoint of {old.when} saw {old.count} up to #{old.last_id}: entries were removed" in cut_short[0]
    assert "1 checkpoint(s) in" in whole_file.stderr and "signature does not match" in whole_file.stderr
    assert harness.run(verify_chain).ok


def test_an_altered_or_forged_checkpoint_is_refused(harness, tmp_path):
    import base64
    import hashlib
    import hmac

    from clinic.audit.services import key_for

    write_entries(harness, 2)
    token = harness.run(checkpoints.issue).token
    prefix, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    bigger = base64.urlsafe_b64encode(json.dumps({**payload, "count": payload["count"] + 50}).encode()).decode().rstrip("=")

    def signed(key: bytes, text: str) -> str:
        return base64.urlsafe_b64encode(hmac.new(key, text.encode(), hashlib.sha256).digest()).decode().rstrip("=")

    altered = f"{prefix}.{bigger}.{signature}"
    other_key = hashlib.sha256(b"clinic-audit-checkpoint|someone-else's-audit-key-0123456789").digest()
    forged = f"{prefix}.{bigger}.{signed(other_key, f'{prefix}.{bigger}')}"
    # A MAC made with the chain's key (the one entries carry) is not a checkpoint signature.
    with_chain_key = f"{prefix}.{bigger}.{signed(key_for('chain'), f'{prefix}.{bigger}')}"
    for bad in (altered, forged, with_chain_key):
        with pytest.raises(CheckpointRefused, match="signature does not match"):
            read_token(bad)
    assert read_token(token).count == payload["count"]

    refused = clinic_verify(harness, "--checkpoint", altered)
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("error: checkpoint refused: its signature does not match: it was altered, "
                                      "forged, or signed with another audit key")
    assert not tokens_in(refused.stdout)
    only_forgeries = tmp_path / "forged.txt"
    only_forgeries.write_text(f"{forged}\n{with_chain_key}\n")
    for argument, message in ((str(only_forgeries), f"no valid checkpoint in {only_forgeries}"),
                              (str(tmp_path / "missing.txt"), "neither a checkpoint token nor a readable file")):
        with pytest.raises(CheckpointRefused, match=message):
            checkpoints.gather([argument])


def test_a_token_is_found_in_a_log_line_and_says_what_it_signed():
    import datetime as dt

    from clinic.audit.services import configure
    from tests.conftest import TEST_AUDIT_KEY

    configure(TEST_AUDIT_KEY)
    checkpoint = checkpoints.Checkpoint(last_id=41, last_mac="ab" * 32, count=40,
                                        at=dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone.utc))
    line = json.dumps({"event": "audit.checkpoint", "token": checkpoint.token, "level": "info"})
    assert read_token(line) == checkpoint
    assert checkpoints.read_tokens(f"{line}\nnoise\ntoken={checkpoint.token} next") == ([checkpoint, checkpoint], [])
    assert checkpoint.when == "2026-03-01 09:30:00 UTC"
    with pytest.raises(CheckpointRefused, match="not a checkpoint token"):
        read_token("ckpt1.only-half")


def run_checkpoint_job(harness) -> tuple[dict, list[dict]]:
    """Queue the periodic job, run it and whatever it queued, as the app's worker would."""

    async def work():
        job_id = await enqueue("audit.write_checkpoint")
        await Worker(harness.app.state.jobs).run_due()
        return await find_job(job_id)

    job = harness.run(work)
    sends = [harness.run(find_job, row["id"])
             for row in harness.sql("SELECT id FROM job WHERE kind = 'audit.send_checkpoint' ORDER BY id")]
    return job, sends


def test_the_periodic_job_writes_a_signed_checkpoint_to_the_log(harness, capsys):
    schedules = {schedule.kind: schedule.every for schedule in harness.app.state.jobs.schedules}
    assert schedules["audit.write_checkpoint"] == dt.timedelta(minutes=5)
    write_entries(harness, 2)
    capsys.readouterr()
    job, sends = run_checkpoint_job(harness)
    lines = [line for line in capsys.readouterr().out.splitlines() if "audit.checkpoint" in line]
    assert len(lines) == 1
    checkpoint = read_token(lines[0])
    (head,) = harness.sql("SELECT last_event_id, last_mac FROM audit_chain_head")
    assert (checkpoint.last_id, checkpoint.last_mac) == (head["last_event_id"], head["last_mac"])
    assert checkpoint.count == trail_size(harness)
    assert job["state"] == "done" and job["result"] == {"last_id": checkpoint.last_id, "count": checkpoint.count}
    assert sends == []  # no checkpoint address configured


@contextmanager
def checkpoint_sink(status: int = 204):
    """A webhook on a loopback port that keeps what it was sent, configured as the checkpoint address."""
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            length = int(self.headers["Content-Length"])
            received.append({"path": self.path, "type": self.headers["Content-Type"],
                             "body": json.loads(self.rfile.read(length))})
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    checkpoints.configure(f"http://127.0.0.1:{server.server_port}/hooks/clinic-7f3a")
    try:
        yield received
    finally:
        checkpoints.configure("")
        server.shutdown()
        server.server_close()


def test_the_checkpoint_is_posted_to_the_checkpoint_address_once_per_change(harness):
    write_entries(harness, 2)
    with checkpoint_sink() as received:
        job, sends = run_checkpoint_job(harness)
        unchanged, sends_after_unchanged = run_checkpoint_job(harness)
        write_entries(harness, 1)
        moved, sends_after_move = run_checkpoint_job(harness)
    assert job["state"] == unchanged["state"] == moved["state"] == "done"
    assert [send["state"] for send in sends] == ["done"]
    assert len(sends_after_unchanged) == 1  # the trail did not move: nothing new to send
    assert [send["state"] for send in sends_after_move] == ["done", "done"]
    assert len(received) == 2 and {post["path"] for post in received} == {"/hooks/clinic-7f3a"}
    assert all(post["type"] == "application/json" for post in received)
    last = received[-1]["body"]
    checkpoint = read_token(last["token"])
    assert last["event"] == "audit.checkpoint" and last["count"] == checkpoint.count == trail_size(harness)
    assert last["last_id"] == checkpoint.last_id and last["token"] in last["text"]


def test_a_sink_that_fails_is_retried_later_and_blocks_nothing(harness):
    write_entries(harness, 1)
    with checkpoint_sink(status=500) as received:
        job, sends = run_checkpoint_job(harness)
    assert job["state"] == "done"
    assert len(received) == 1
    (send,) = sends
    assert send["state"] == "retrying" and send["attempts"] == 1 and send["max_attempts"] == 10
    assert harness.sql("SELECT last_error FROM job WHERE id = {}", send["id"])[0]["last_error"] == "HTTPError"
    latest, _ = harness.run(checkpoints.latest)
    assert latest is not None and latest.token == received[0]["body"]["token"]


def test_the_audit_screen_shows_the_latest_checkpoint_to_copy(harness, client):
    sign_in_as(harness, "admin")
    empty = html(client.get("/admin/audit"))
    assert one(empty, "[data-testid=checkpoint] summary").text() == "Latest checkpoint: none yet"
    checkpoint = harness.run(checkpoints.issue)
    page = html(client.get("/admin/audit"))
    assert one(page, "[data-testid=checkpoint-token]").text() == checkpoint.token
    assert one(page, "[data-testid=checkpoint-last-id]").text() == str(checkpoint.last_id)
    assert f"{checkpoint.count} entries" in one(page, "[data-testid=checkpoint] summary").text()
    # The copy in the database proves nothing; one that does not verify is called out, not shown.
    prefix, body, signature = checkpoint.token.split(".")
    harness.sql("UPDATE kv_store SET value = {} WHERE namespace = 'audit'", f"{prefix}.{body}.{signature[::-1]}".encode())
    tampered = html(client.get("/admin/audit"))
    assert "signature does not match" in one(tampered, "[data-testid=checkpoint] .alert-error").text()
    assert not tampered.css("[data-testid=checkpoint-token]")
