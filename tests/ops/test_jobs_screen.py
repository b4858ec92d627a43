"""System: administrators see dead and recent background jobs and retry the dead."""

from __future__ import annotations

import datetime as dt

from clinic.core.jobs import DEAD, DONE, Job, enqueue
from tests.factories import post, sign_in_as
from tests.helpers import html, is_fragment, one, texts

UTC = dt.timezone.utc


def some_jobs(harness) -> dict:
    now = dt.datetime.now(UTC)

    async def make():
        dead = (await Job.insert(Job(kind="security.prune_sessions", state=DEAD, attempts=3, max_attempts=3,
                                     last_error="OperationalError", finished_at=now, due_at=None)))[0]["id"]
        done = (await Job.insert(Job(kind="security.prune_rate_limits", state=DONE, attempts=1,
                                     result='{"deleted":4}', finished_at=now, due_at=None)))[0]["id"]
        waiting = await enqueue("security.prune_sign_in_failures", run_at=now + dt.timedelta(minutes=5))
        return {"dead": dead, "done": done, "waiting": waiting}

    return harness.run(make)


def test_administrators_see_dead_and_recent_jobs(harness, client):
    sign_in_as(harness, "admin")
    jobs = some_jobs(harness)
    page = html(client.get("/admin/jobs"))
    assert one(page, "h1").text() == "Background jobs"
    assert one(page, "nav a[aria-current]").text(strip=True) == "Jobs"
    dead_rows = page.css("#dead-jobs tr[data-job-id]")
    assert [int(row.attributes["data-job-id"]) for row in dead_rows] == [jobs["dead"]]
    assert "Delete expired sessions" in dead_rows[0].text() and "OperationalError" in dead_rows[0].text()
    assert texts(page, "#dead-jobs button") == ["Retry"]
    recent = {int(row.attributes["data-job-id"]): row.attributes["data-state"]
              for row in page.css("#recent-jobs tr[data-job-id]")}
    assert recent == {jobs["dead"]: "dead", jobs["done"]: "done", jobs["waiting"]: "pending"}
    assert "deleted 4" in one(page, f'#recent-jobs tr[data-job-id="{jobs["done"]}"]').text()
    assert one(page, '[data-health="dead"]').text() == "1"


def test_retrying_a_dead_job_queues_it_again_and_is_audited(harness, client):
    admin = sign_in_as(harness, "admin")
    jobs = some_jobs(harness)
    response = post(client, f"/admin/jobs/{jobs['dead']}/retry", htmx=True)
    assert response.status_code == 200 and is_fragment(response)
    fragment = html(response)
    assert one(fragment, "[hx-swap-oob] .alert-ok").text() == f"Job #{jobs['dead']} will run again shortly."
    assert fragment.css("#dead-jobs") == []
    row = harness.sql("SELECT state, attempts, finished_at FROM job WHERE id = {}", jobs["dead"])[0]
    assert (row["state"], row["attempts"], row["finished_at"]) == ("pending", 0, None)
    entries = harness.audit("action = 'job.retry'", columns="staff_id, entity_type, entity_id, detail")
    assert entries == [{"staff_id": admin["id"], "entity_type": "job", "entity_id": str(jobs["dead"]),
                        "detail": "security.prune_sessions"}]


def test_a_job_that_did_not_fail_cannot_be_retried(harness, client):
    sign_in_as(harness, "admin")
    jobs = some_jobs(harness)
    response = post(client, f"/admin/jobs/{jobs['done']}/retry", htmx=True)
    assert response.status_code == 409
    assert one(html(response), "[hx-swap-oob] .alert-error").text() == (
        f"Job #{jobs['done']} is done: only failed jobs can be retried.")
    assert harness.sql("SELECT state FROM job WHERE id = {}", jobs["done"])[0]["state"] == "done"
    assert harness.audit("action = 'job.retry'") == []
    assert post(client, "/admin/jobs/999999/retry").status_code == 404


def test_without_htmx_the_retry_answers_with_the_whole_page(harness, client):
    sign_in_as(harness, "admin")
    jobs = some_jobs(harness)
    response = post(client, f"/admin/jobs/{jobs['dead']}/retry")
    assert response.status_code == 200 and not is_fragment(response)
    assert one(html(response), "#alerts .alert-ok")


def test_the_list_alone_is_a_fragment_holding_its_own_target(harness, client):
    sign_in_as(harness, "admin")
    some_jobs(harness)
    response = client.get("/admin/jobs", headers={"HX-Request": "true"})
    assert is_fragment(response) and "HX-Request" in response.headers["vary"]
    fragment = html(response)
    assert len(fragment.css("#job-lists")) == 1
    assert all(form.attributes["hx-target"] == "#job-lists" for form in fragment.css("form[hx-post]"))
    assert fragment.css('form input[name="_csrf_token"]')


def test_only_administrators_have_it_in_their_navigation(harness, client):
    sign_in_as(harness, "receptionist")
    assert "System" not in texts(html(client.get("/")), "nav a")
    assert client.get("/admin/jobs", follow_redirects=False).status_code == 403
